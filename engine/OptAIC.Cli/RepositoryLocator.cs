namespace OptAIC.Cli;

/// <summary>Finds the model repository: --repo, else the Git work tree around the current folder, else the current folder.</summary>
public static class RepositoryLocator
{
    public static string Find(string? explicitRoot)
    {
        if (explicitRoot is not null)
        {
            var full = Path.GetFullPath(explicitRoot);
            return Directory.Exists(full)
                ? full
                : throw new UsageException($"--repo {explicitRoot}: no such folder");
        }
        var current = Directory.GetCurrentDirectory();
        for (var dir = new DirectoryInfo(current); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
            {
                return dir.FullName;
            }
        }
        return current;
    }

    /// <summary>
    /// As <see cref="Find"/>, but the folder must be a Git work tree: lint and the reconcile verbs read
    /// specs as Git knows them, and a folder that is not a model repository is a usage error, not "no findings".
    /// </summary>
    public static string FindGitWorkTree(string? explicitRoot)
    {
        var root = Find(explicitRoot);
        if (!Directory.Exists(Path.Combine(root, ".git")) && !File.Exists(Path.Combine(root, ".git")))
        {
            throw new UsageException(explicitRoot is null
                ? $"{root} is not inside a Git repository; run optaic in a model repository, pass --repo DIR, or start one with 'optaic init'"
                : $"--repo {explicitRoot}: not a Git repository (no .git); start one with 'optaic init {explicitRoot}'");
        }
        return root;
    }
}

/// <summary>A problem with how the command was called or with its input files: exit code 2, message, no stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
