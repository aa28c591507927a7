namespace OptAIC.Engine.Registry;

/// <summary>Base of the errors the registry reports to users.</summary>
public class RegistryException : Exception
{
    public RegistryException()
    {
    }

    public RegistryException(string message)
        : base(message)
    {
    }

    public RegistryException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A record file that is not valid YAML or does not fit its record type.</summary>
public sealed class RegistryFormatException : RegistryException
{
    public RegistryFormatException()
    {
    }

    public RegistryFormatException(string message)
        : base(message)
    {
    }

    public RegistryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RegistryFormatException(string file, int line, int column, string problem, Exception? innerException = null)
        : base($"{file}({line},{column}): {problem}", innerException)
    {
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The file (or source name) that is malformed.</summary>
    public string? File { get; }

    /// <summary>1-based line of the problem, 0 when not known.</summary>
    public int Line { get; }

    /// <summary>1-based column of the problem, 0 when not known.</summary>
    public int Column { get; }
}

/// <summary>A version number that is already taken: two versions never share a number.</summary>
public sealed class VersionAlreadyExistsException : RegistryException
{
    public VersionAlreadyExistsException()
    {
    }

    public VersionAlreadyExistsException(string message)
        : base(message)
    {
    }

    public VersionAlreadyExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public VersionAlreadyExistsException(string instance, int version)
        : base($"Version {version} of '{instance}' is already registered (another apply took this number); " +
               $"ask NextVersionNumber again and retry with the next number.")
    {
        Instance = instance;
        Version = version;
    }

    public string? Instance { get; }
    public int Version { get; }
}

/// <summary>An artifact too large to be kept in the Git repository.</summary>
public sealed class ArtifactTooLargeException : RegistryException
{
    public ArtifactTooLargeException()
    {
    }

    public ArtifactTooLargeException(string message)
        : base(message)
    {
    }

    public ArtifactTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>An artifact that is missing or whose content does not hash to what its record says.</summary>
public sealed class ArtifactIntegrityException : RegistryException
{
    public ArtifactIntegrityException()
    {
    }

    public ArtifactIntegrityException(string message)
        : base(message)
    {
    }

    public ArtifactIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A model card template that does not parse or fails while rendering; the message names line and column.</summary>
public sealed class ModelCardTemplateException : RegistryException
{
    public ModelCardTemplateException()
    {
    }

    public ModelCardTemplateException(string message)
        : base(message)
    {
    }

    public ModelCardTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Another process holds the repository lock and did not release it within the wait.</summary>
public sealed class RepositoryLockedException : RegistryException
{
    public RepositoryLockedException()
    {
    }

    public RepositoryLockedException(string message)
        : base(message)
    {
    }

    public RepositoryLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A Git operation that cannot be done (no repository, unknown revision, nothing to commit…).</summary>
public sealed class GitRepositoryException : RegistryException
{
    public GitRepositoryException()
    {
    }

    public GitRepositoryException(string message)
        : base(message)
    {
    }

    public GitRepositoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A write the environment refused (a full disk, a read-only folder, missing permissions): the message names the
/// file the user knows (never a temporary one) and what to do; nothing was half-written.
/// </summary>
public sealed class RegistryWriteException : RegistryException
{
    public RegistryWriteException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The one-line message for a failed write of <paramref name="path"/>.</summary>
    public static RegistryWriteException For(string path, Exception cause)
    {
        var what = Describe(cause);
        return new RegistryWriteException($"cannot write {path}: {what.Problem}; {what.Advice} (nothing was half-written; run the command again afterwards)", cause);
    }

    /// <summary>Whether an exception is the environment refusing a write (as opposed to a bug).</summary>
    public static bool IsEnvironmental(Exception e) => e is IOException or UnauthorizedAccessException
        || (e is LibGit2Sharp.LibGit2SharpException && e.Message.Contains("write", StringComparison.OrdinalIgnoreCase));

    private static (string Problem, string Advice) Describe(Exception cause) => cause switch
    {
        IOException { HResult: 28 } or IOException { HResult: 0x70 } => ("no space left on the device", "free some space"),
        _ when cause.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => ("no space left on the device", "free some space"),
        UnauthorizedAccessException => ("permission denied (the folder is read-only or not yours)", "make it writable, e.g. chmod u+w, or run as its owner"),
        IOException { HResult: 30 } => ("the file system is read-only", "remount it read-write or use a writable clone"),
        _ when cause.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => ("the file system is read-only", "remount it read-write or use a writable clone"),
        _ => (cause.Message.TrimEnd('.'), "check the disk and the folder's permissions"),
    };
}

/// <summary>The registry failed its integrity check: plan, apply and status refuse to act on it. One line per problem.</summary>
public sealed class RegistryIntegrityException(RegistryVerification verification)
    : RegistryException(Describe(verification))
{
    public RegistryVerification Verification { get; } = verification;

    public static void ThrowIfBroken(RegistryVerification verification)
    {
        if (!verification.IsClean)
        {
            throw new RegistryIntegrityException(verification);
        }
    }

    private static string Describe(RegistryVerification verification)
    {
        var lines = verification.Problems.Take(10).Select(p => p.Message.StartsWith(p.Path, StringComparison.Ordinal) ? p.Message : $"{p.Path}: {p.Message}").ToList();
        if (verification.Problems.Count > 10)
        {
            lines.Add($"... and {verification.Problems.Count - 10} more (run 'optaic verify')");
        }

        return $"the registry failed its integrity check ({verification.Problems.Count} problem(s)); nothing was done:\n  " + string.Join("\n  ", lines);
    }
}
