using System.Diagnostics;

namespace OptAIC.Engine.Registry;

/// <summary>Who holds a <see cref="RepositoryLock"/>.</summary>
public sealed class LockHolder
{
    public int Pid { get; set; }
    public string Host { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>What the holder is doing, e.g. <c>apply</c>.</summary>
    public string Command { get; set; } = "";

    public override string ToString() =>
        $"{(Command.Length > 0 ? "optaic " + Command : "optaic")} (pid {Pid} on {Host} since {YamlScalars.FormatDateTimeOffset(StartedAt)})";
}

/// <summary>
/// The exclusive lock of a repository, held by <c>optaic apply</c> while it writes the registry and commits:
/// the file <c>&lt;repo&gt;/.optaic/lock</c> opened with <see cref="FileShare.None"/> and
/// <see cref="FileOptions.DeleteOnClose"/>, so the operating system releases it when the holder exits, even
/// when killed; no stale lock survives its process. The holder's pid, host and start time are written inside,
/// and also to <c>.optaic/lock.info</c>, because a waiter cannot open the locked file itself.
/// Not re-entrant. Keep <c>.optaic/lock*</c> out of Git (.gitignore).
/// </summary>
public sealed class RepositoryLock : IDisposable
{
    public const string FolderName = ".optaic";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _stream;
    private bool _disposed;

    private RepositoryLock(FileStream stream, string lockPath, LockHolder holder)
    {
        _stream = stream;
        LockPath = lockPath;
        Holder = holder;
    }

    public string LockPath { get; }
    public LockHolder Holder { get; }

    public static string LockPathOf(string repositoryRoot) => Path.Combine(Path.GetFullPath(repositoryRoot), FolderName, "lock");

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/> for another holder to release it.</summary>
    /// <exception cref="RepositoryLockedException">Still held by another process after the wait.</exception>
    public static RepositoryLock Acquire(string repositoryRoot, TimeSpan timeout, string command = "apply", CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (TryAcquire(repositoryRoot, command) is { } acquired)
            {
                return acquired;
            }

            if (deadline.Elapsed >= timeout)
            {
                var holder = ReadHolder(repositoryRoot);
                var who = holder is null ? "another optaic process" : $"another {holder}";
                throw new RepositoryLockedException(
                    $"{who} holds the lock on this repository ({LockPathOf(repositoryRoot)}); waited {timeout.TotalSeconds:0.#} s. " +
                    "Try again when it has finished.");
            }

            var remaining = timeout - deadline.Elapsed;
            cancellationToken.WaitHandle.WaitOne(remaining < PollInterval ? remaining : PollInterval);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Takes the lock if it is free; null when another process (or another handle in this one) holds it.</summary>
    public static RepositoryLock? TryAcquire(string repositoryRoot, string command = "apply")
    {
        var lockPath = LockPathOf(repositoryRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException) when (File.Exists(lockPath))
        {
            // Windows: the previous holder's file is pending deletion.
            return null;
        }

        var holder = new LockHolder { Pid = Environment.ProcessId, Host = Environment.MachineName, StartedAt = DateTimeOffset.UtcNow, Command = command };
        try
        {
            var bytes = RecordYaml.SerializeToUtf8(holder);
            stream.SetLength(0);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
            AtomicFile.Write(InfoPath(repositoryRoot), bytes);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return new RepositoryLock(stream, lockPath, holder);
    }

    /// <summary>The current holder as last recorded, or null when unknown (no lock, or its info unreadable).</summary>
    public static LockHolder? ReadHolder(string repositoryRoot)
    {
        try
        {
            var info = InfoPath(repositoryRoot);
            return File.Exists(info) ? RecordYaml.ReadFile<LockHolder>(info) : null;
        }
        catch (Exception e) when (e is IOException or RegistryFormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // The info file goes first, while the lock still keeps others from writing theirs.
        try
        {
            File.Delete(Path.Combine(Path.GetDirectoryName(LockPath)!, "lock.info"));
        }
        catch (IOException)
        {
            // A stale info file is overwritten by the next holder.
        }

        _stream.Dispose();
    }

    private static string InfoPath(string repositoryRoot) => LockPathOf(repositoryRoot) + ".info";
}
