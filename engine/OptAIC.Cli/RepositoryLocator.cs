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
}

/// <summary>A problem with how the command was called or with its input files: exit code 2, message, no stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
