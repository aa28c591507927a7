using LibGit2Sharp;

namespace OptAIC.Engine.Ci;

/// <summary>
/// Whether a remote is a folder on this machine (a bare repository on disk or a shared drive). Pushes to such a
/// remote go through Git's own transport (git-receive-pack): it runs the remote's hooks and updates refs under
/// Git's lock files, comparing with what is expected. libgit2's file transport does neither: it overwrites refs
/// unconditionally, so two racing pushes can both "succeed", and a pre-receive hook that refuses is never asked.
/// </summary>
internal static class FileRemote
{
    /// <summary>The Git folder of <paramref name="url"/> when it names a repository on this machine, else null (a network remote).</summary>
    public static string? GitFolder(string url)
    {
        string path;
        if (url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.LocalPath : url["file://".Length..];
        }
        else if (url.Contains("://", StringComparison.Ordinal) || IsScpLike(url))
        {
            return null;
        }
        else
        {
            path = url;
        }
        if (!Directory.Exists(path))
        {
            return null;
        }
        if (File.Exists(Path.Combine(path, "HEAD")) && Directory.Exists(Path.Combine(path, "refs")))
        {
            return Path.GetFullPath(path);
        }
        var dotGit = Path.Combine(path, ".git");
        return Directory.Exists(dotGit) ? Path.GetFullPath(dotGit) : null;
    }

    private static bool IsScpLike(string url)
    {
        // user@host:path (ssh); a Windows drive letter "C:\" is not.
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        return colon > 1 && url.IndexOf('/', StringComparison.Ordinal) is var slash && (slash < 0 || colon < slash);
    }
}
