using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LibGit2Sharp;

namespace OptAIC.Engine.Ci;

/// <summary>Who holds the reconcile lock and until when; stored as JSON in the message of the commit the lock ref points at.</summary>
public sealed record LeaseInfo(
    [property: JsonPropertyName("holder")] string Holder,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("pid")] int ProcessId,
    [property: JsonPropertyName("acquiredAt")] DateTimeOffset AcquiredAt,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt)
{
    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The lease in a lock commit's message, or null when the message holds none.</summary>
    public static LeaseInfo? Parse(string message)
    {
        var start = message.IndexOf('{', StringComparison.Ordinal);
        var end = message.LastIndexOf('}');
        if (start < 0 || end < start)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<LeaseInfo>(message.AsSpan(start, end - start + 1));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override string ToString() =>
        $"{Holder} on {Host} (pid {ProcessId}), acquired {Format(AcquiredAt)}, lease until {Format(ExpiresAt)}";

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}

public enum LockStatus
{
    /// <summary>The lock was free (or already ours) and is ours now.</summary>
    Acquired,

    /// <summary>Someone else holds a lease that has not expired; <see cref="LockResult.Lease"/> is theirs.</summary>
    HeldBy,

    /// <summary>Someone else's lease had expired and we took the lock over; <see cref="LockResult.Previous"/> is theirs.</summary>
    ExpiredAndTaken,
}

/// <summary>The outcome of an attempt to take the lock: <see cref="Lease"/> is ours when held, else the holder's.</summary>
public sealed record LockResult(LockStatus Status, LeaseInfo Lease, LeaseInfo? Previous = null)
{
    public bool IsHeld => Status != LockStatus.HeldBy;
}

public sealed record RemoteLockOptions
{
    public const string DefaultRefName = "refs/optaic/reconcile-lock";

    /// <summary>The ref on the remote that is the lock; it exists while someone holds it.</summary>
    public string RefName { get; init; } = DefaultRefName;

    /// <summary>Who we are: unique per run (a CI run id, or a GUID).</summary>
    public string HolderId { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>How long a lease lasts unless renewed; after that anyone may take the lock over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(15);

    public string Host { get; init; } = Environment.MachineName;

    public int ProcessId { get; init; } = Environment.ProcessId;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// A lock that lives on the remote, so that bots on different machines exclude each other: a ref
/// (refs/optaic/reconcile-lock) pointing at a commit whose message is the lease as JSON. Taking a free
/// lock pushes a new ref without force, which the remote refuses when the ref exists by then. Taking
/// over an expired lease or renewing ours pushes a child of the current lease commit without force (a
/// fast-forward, so a server compares and swaps); both are confirmed by reading the ref back.
/// Releasing deletes the ref, only while it is still ours.
/// </summary>
/// <remarks>
/// A Git server (receive-pack) updates a ref only if it still has the value the client saw, so two
/// bots creating or taking over the lock cannot both succeed; for a remote that is a folder,
/// <see cref="GitRemoteSession"/> gives the same guarantee under Git's ref lock file.
/// </remarks>
public sealed class RemoteLock
{
    private const string LocalRef = "refs/optaic/local/reconcile-lock";
    private readonly GitRemoteSession _session;
    private readonly RemoteLockOptions _options;
    private readonly Lock _gate = new();
    private string? _ourCommit;

    public RemoteLock(GitRemoteSession session, RemoteLockOptions? options = null)
    {
        _session = session;
        _options = options ?? new RemoteLockOptions();
    }

    public string HolderId => _options.HolderId;

    /// <summary>Whether we hold the lock as far as we know (<see cref="Renew"/> checks with the remote).</summary>
    public bool IsHeld => _ourCommit is not null;

    /// <summary>The lease on the remote now, or null when the lock is free.</summary>
    public LeaseInfo? Current()
    {
        lock (_gate)
        {
            return Read()?.Lease;
        }
    }

    /// <summary>One attempt: take the lock if it is free, ours already, or its lease has expired.</summary>
    public LockResult TryAcquire()
    {
        lock (_gate)
        {
            return TryAcquireOnce();
        }
    }

    private LockResult TryAcquireOnce()
    {
        // A lost race re-reads: the ref was created, replaced or deleted while we pushed.
        for (var round = 0; ; round++)
        {
            var current = Read();
            var now = _options.Time.GetUtcNow();
            if (current is null)
            {
                var lease = NewLease(now, now);
                if (PushLease(lease, parent: null))
                {
                    return new LockResult(LockStatus.Acquired, lease);
                }
            }
            else if (current.Value.Lease.Holder == _options.HolderId)
            {
                var lease = NewLease(current.Value.Lease.AcquiredAt, now);
                if (PushLease(lease, current.Value.Commit))
                {
                    return new LockResult(LockStatus.Acquired, lease);
                }
            }
            else if (current.Value.Lease.IsExpired(now))
            {
                var lease = NewLease(now, now);
                if (PushLease(lease, current.Value.Commit))
                {
                    return new LockResult(LockStatus.ExpiredAndTaken, lease, current.Value.Lease);
                }
            }
            else
            {
                return new LockResult(LockStatus.HeldBy, current.Value.Lease);
            }
            if (round >= 4)
            {
                var holder = Read()?.Lease;
                return new LockResult(LockStatus.HeldBy, holder ?? NewLease(now, now) with { Holder = "unknown (the lock changed hands repeatedly)" });
            }
            // Contenders that collided back off by different amounts, so one of them gets through.
            Thread.Sleep(Random.Shared.Next(5, 25) * (round + 1));
        }
    }

    /// <summary>
    /// Tries until the lock is taken or <paramref name="wait"/> has passed, checking every
    /// <paramref name="poll"/>; the last result names the holder when it stays taken.
    /// </summary>
    /// <param name="waiting">Told the holder each time a new holder (or a renewed lease) keeps us waiting.</param>
    public LockResult Acquire(TimeSpan wait, TimeSpan poll, Action<LeaseInfo>? waiting = null, CancellationToken ct = default)
    {
        var deadline = _options.Time.GetUtcNow() + wait;
        LeaseInfo? reported = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var result = TryAcquire();
            var left = deadline - _options.Time.GetUtcNow();
            if (result.IsHeld || left <= TimeSpan.Zero)
            {
                return result;
            }
            if (result.Lease != reported)
            {
                reported = result.Lease;
                waiting?.Invoke(result.Lease);
            }
            // Never sleep past the lease's end: an expired lease can be taken over at once.
            var untilExpiry = result.Lease.ExpiresAt - _options.Time.GetUtcNow();
            var pause = new[] { poll, left, untilExpiry < TimeSpan.Zero ? TimeSpan.Zero : untilExpiry + TimeSpan.FromMilliseconds(1) }.Min();
            if (ct.WaitHandle.WaitOne(pause))
            {
                ct.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Extends our lease by the lease duration from now; false when the lock is no longer ours (taken over after it expired).</summary>
    public bool Renew()
    {
        lock (_gate)
        {
            return RenewOnce();
        }
    }

    private bool RenewOnce()
    {
        var current = Read();
        if (_ourCommit is null || current is null || current.Value.Commit.Sha != _ourCommit)
        {
            _ourCommit = null;
            return false;
        }
        var now = _options.Time.GetUtcNow();
        if (PushLease(NewLease(current.Value.Lease.AcquiredAt, now), current.Value.Commit))
        {
            return true;
        }
        _ourCommit = null;
        return false;
    }

    /// <summary>Deletes the lock ref if it is still ours; false when it was not (already released, or taken over).</summary>
    public bool Release()
    {
        lock (_gate)
        {
            return ReleaseOnce();
        }
    }

    private bool ReleaseOnce()
    {
        if (_ourCommit is null)
        {
            return false;
        }
        var ours = _ourCommit;
        _ourCommit = null;
        var current = _session.RemoteRefs().GetValueOrDefault(_options.RefName);
        if (current != ours)
        {
            return false;
        }
        var outcome = _session.DeleteRemoteRef(_options.RefName, expected: ours);
        if (_session.Repository.Refs[LocalRef] is { } local)
        {
            _session.Repository.Refs.Remove(local);
        }
        return outcome.Succeeded;
    }

    private LeaseInfo NewLease(DateTimeOffset acquiredAt, DateTimeOffset now) =>
        new(_options.HolderId, _options.Host, _options.ProcessId, acquiredAt, now + _options.LeaseDuration);

    private (LeaseInfo Lease, Commit Commit)? Read()
    {
        var sha = _session.RemoteRefs().GetValueOrDefault(_options.RefName);
        if (sha is null)
        {
            return null;
        }
        var commit = _session.Lookup(sha);
        if (commit is null)
        {
            _session.Fetch([$"+{_options.RefName}:{LocalRef}-seen"]);
            commit = _session.Lookup(sha) ?? _session.Lookup($"{LocalRef}-seen");
            if (commit is null)
            {
                return null; // released between the listing and the fetch
            }
        }
        // A lease that does not parse (edited by hand) counts from its commit time, so it still expires.
        var lease = LeaseInfo.Parse(commit.Message) ?? new LeaseInfo(
            "unknown (unreadable lease)", "?", 0, commit.Committer.When, commit.Committer.When + _options.LeaseDuration);
        return (lease, commit);
    }

    private bool PushLease(LeaseInfo lease, Commit? parent)
    {
        var repository = _session.Repository;
        var signature = new Signature("optaic lock", "optaic-lock@users.noreply.invalid", lease.AcquiredAt);
        var tree = repository.ObjectDatabase.CreateTree(new TreeDefinition());
        var message = $"optaic: reconcile lock held by {lease.Holder}\n\n{lease.ToJson()}\n";
        var commit = repository.ObjectDatabase.CreateCommit(signature, signature, message, tree, parent is null ? [] : [parent], prettifyMessage: false);
        repository.Refs.Add(LocalRef, commit.Id, "optaic: lease", allowOverwrite: true);
        var outcome = _session.Push(LocalRef, _options.RefName);
        // Compare and swap, confirmed: the remote's ref must be our commit now.
        if (outcome.Succeeded && _session.RemoteRefs().GetValueOrDefault(_options.RefName) == commit.Sha)
        {
            _ourCommit = commit.Sha;
            return true;
        }
        if (outcome.Status == PushStatus.Refused)
        {
            // Not a lost race: the remote's own rule (a hook, a ref namespace it protects) refuses the lock ref.
            throw new GitRemoteException(
                $"the remote '{_session.RemoteName}' refused the lock ref {_options.RefName}: {outcome.Reason}; allow pushes to refs/optaic/* on the remote");
        }
        return false;
    }
}
