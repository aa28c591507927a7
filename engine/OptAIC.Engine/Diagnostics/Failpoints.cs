using System.Diagnostics;

namespace OptAIC.Engine.Diagnostics;

/// <summary>The named points where a test can stop the engine, one per moment that a crash must survive.</summary>
public enum Failpoint
{
    /// <summary>After one artifact is stored and before the next is.</summary>
    BetweenArtifacts,

    /// <summary>After one registry record is written and before the next is.</summary>
    BetweenRecords,

    /// <summary>Before the commit's blobs, tree and commit object are written.</summary>
    BeforeCommitObjects,

    /// <summary>After the commit's objects are written, before the commit intent is recorded.</summary>
    AfterCommitObjects,

    /// <summary>After the commit intent is recorded, before the branch moves.</summary>
    BeforeRef,

    /// <summary>After the branch moved to the new commit, before the index is written.</summary>
    AfterRef,

    /// <summary>Just before the index is written.</summary>
    BeforeIndex,

    /// <summary>After the index is written, before the intent and the journals are cleaned.</summary>
    AfterIndex,

    /// <summary>In the middle of a journal append: half a line is on disk.</summary>
    InsideJournalAppend,
}

/// <summary>
/// Failpoints: <c>OPTAIC_FAILPOINT=&lt;name&gt;</c> makes the process kill itself (SIGKILL, no cleanup) when it reaches
/// that point; <c>OPTAIC_FAILPOINT=enospc:&lt;name&gt;</c> makes the write at that point fail as a full disk would;
/// <c>OPTAIC_FAILPOINT=?</c> makes any command print the names and exit 0. Unset, a failpoint costs one comparison.
/// </summary>
public static class Failpoints
{
    public const string Variable = "OPTAIC_FAILPOINT";
    private const string DiskFullPrefix = "enospc:";
    private static readonly string? Armed = Environment.GetEnvironmentVariable(Variable);

    /// <summary>The names a user sets, in the order a commit passes them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<Failpoint>().Select(Name)];

    /// <summary>The points where <c>enospc:</c> applies (the writes of artifacts, records and the commit).</summary>
    public static IReadOnlyList<Failpoint> DiskFullPoints { get; } = [Failpoint.BetweenArtifacts, Failpoint.BetweenRecords, Failpoint.BeforeCommitObjects];

    public static bool ListRequested => Armed == "?";

    public static string Name(Failpoint point) => point switch
    {
        Failpoint.BetweenArtifacts => "between-artifacts",
        Failpoint.BetweenRecords => "between-records",
        Failpoint.BeforeCommitObjects => "before-commit-objects",
        Failpoint.AfterCommitObjects => "after-commit-objects",
        Failpoint.BeforeRef => "before-ref",
        Failpoint.AfterRef => "after-ref",
        Failpoint.BeforeIndex => "before-index",
        Failpoint.AfterIndex => "after-index",
        Failpoint.InsideJournalAppend => "inside-journal-append",
        _ => throw new UnreachableException(),
    };

    /// <summary>Kills the process here when this point is armed; throws a disk-full error when it is armed with <c>enospc:</c>.</summary>
    public static void Hit(Failpoint point)
    {
        if (Armed is null)
        {
            return;
        }

        var name = Name(point);
        if (Armed == name)
        {
            Kill();
        }

        if (Armed.StartsWith(DiskFullPrefix, StringComparison.Ordinal) && Armed.AsSpan(DiskFullPrefix.Length).SequenceEqual(name))
        {
            // The HResult of ENOSPC on Unix, as .NET reports a real full disk.
            throw new IOException("No space left on device", 28);
        }
    }

    /// <summary>As <see cref="Hit(Failpoint)"/>, at the write of <paramref name="path"/>: a disk-full failure names that file.</summary>
    public static void Hit(Failpoint point, string path)
    {
        try
        {
            Hit(point);
        }
        catch (IOException e)
        {
            throw Registry.RegistryWriteException.For(path, e);
        }
    }

    /// <summary>Whether this point is armed to kill (for writes that must tear themselves first).</summary>
    public static bool IsArmed(Failpoint point) => Armed is not null && Armed == Name(point);

    public static void Kill()
    {
        Console.Out.Flush();
        Console.Error.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Thread.Sleep(Timeout.Infinite);
    }
}
