using LibGit2Sharp;
using OptAIC.Engine.Ci;

namespace OptAIC.Engine.Web;

/// <summary>What one look at the remote did.</summary>
public enum FollowResult
{
    /// <summary>The checked-out branch already has the remote's commit (or is ahead of it).</summary>
    UpToDate,

    /// <summary>The branch and the work tree moved forward to the remote's commit; the registry watcher was told.</summary>
    FastForwarded,

    /// <summary>Nothing moved: the branches diverged, local changes are in the way, or the fetch failed (see <see cref="RemoteFollower.LastProblem"/>).</summary>
    Blocked,
}

/// <summary>
/// <c>optaic serve --watch-remote</c>: fetches the checked-out branch from its remote (its upstream's remote, else
/// origin; credentials from the environment as the CI bot reads them) on an interval and fast-forwards the branch
/// and the work tree to it, as <c>git pull --ff-only</c> would; then the <see cref="RegistryWatcher"/> sees the new
/// commit and the models reload as after a local pull. Never merges, resets or discards: a diverged branch or a
/// local change in the way is reported once and left alone. Checkout writes the files before it moves the branch,
/// so a reload never reads a half-updated registry.
/// </summary>
public sealed class RemoteFollower : IDisposable
{
    private static readonly Signature Mover = new("optaic serve", "optaic-serve@localhost", DateTimeOffset.UnixEpoch);

    private readonly string _repositoryRoot;
    private readonly RegistryWatcher _watcher;
    private readonly TextWriter _log;
    private readonly Lock _gate = new();
    private Timer? _timer;

    public RemoteFollower(string repositoryRoot, RegistryWatcher watcher, TextWriter? log = null)
    {
        _repositoryRoot = Path.GetFullPath(repositoryRoot);
        _watcher = watcher;
        _log = log ?? Console.Error;
    }

    /// <summary>Why the last look moved nothing (null after a good one).</summary>
    public string? LastProblem { get; private set; }

    /// <summary>Looks every <paramref name="interval"/>, the first time at once.</summary>
    public void Start(TimeSpan interval) => _timer ??= new Timer(_ => Follow(), null, TimeSpan.Zero, interval);

    /// <summary>Fetches and fast-forwards now (one look at a time; a look still running makes this one return <see cref="FollowResult.UpToDate"/>).</summary>
    public FollowResult Follow()
    {
        if (!_gate.TryEnter())
        {
            return FollowResult.UpToDate;
        }
        try
        {
            var (result, message) = Look();
            if (result == FollowResult.Blocked)
            {
                if (message != LastProblem)
                {
                    _log.WriteLine($"optaic serve: --watch-remote: {message}");
                }
                LastProblem = message;
                return result;
            }
            if (message is not null)
            {
                _log.WriteLine($"optaic serve: --watch-remote: {message}");
            }
            LastProblem = null;
            if (result == FollowResult.FastForwarded)
            {
                _watcher.Check();
            }
            return result;
        }
        finally
        {
            _gate.Exit();
        }
    }

    private (FollowResult, string?) Look()
    {
        string? remoteName;
        string branch;
        using (var repo = Open())
        {
            if (repo is null)
            {
                return (FollowResult.Blocked, $"{_repositoryRoot} is not a Git repository");
            }
            if (repo.Info.IsHeadDetached || repo.Head.Tip is null)
            {
                return (FollowResult.Blocked, "HEAD is not on a branch with a commit; check out the branch to follow");
            }
            branch = repo.Head.FriendlyName;
            remoteName = repo.Head.RemoteName ?? (repo.Network.Remotes["origin"] is null ? null : "origin");
            if (remoteName is null)
            {
                return (FollowResult.Blocked, $"branch {branch} has no upstream and the repository has no remote 'origin'");
            }
        }
        string? remoteHead;
        GitRemoteSession session;
        try
        {
            session = new GitRemoteSession(_repositoryRoot, remoteName, CredentialsFromEnvironment.Read());
        }
        catch (GitRemoteException e)
        {
            return (FollowResult.Blocked, e.Message);
        }
        using (session)
        {
            try
            {
                remoteHead = session.FetchBranch(branch);
            }
            catch (GitRemoteException e)
            {
                return (FollowResult.Blocked, $"fetching {branch} from {remoteName} failed: {e.Message} (serving what it has; trying again next interval)");
            }
            if (remoteHead is null)
            {
                return (FollowResult.Blocked, $"{remoteName} has no branch {branch}");
            }
            var repo = session.Repository;
            var head = repo.Head.Tip!;
            if (head.Sha == remoteHead)
            {
                return (FollowResult.UpToDate, null);
            }
            var target = repo.Lookup<Commit>(remoteHead);
            var mergeBase = target is null ? null : repo.ObjectDatabase.FindMergeBase(head, target);
            if (target is null || mergeBase is null)
            {
                return (FollowResult.Blocked, $"{branch} and {remoteName}/{branch} have no common history; not following");
            }
            if (mergeBase.Sha == remoteHead)
            {
                return (FollowResult.UpToDate, null); // local commits ahead of the remote: nothing to take
            }
            if (mergeBase.Sha != head.Sha)
            {
                return (FollowResult.Blocked, $"{branch} ({Short(head.Sha)}) and {remoteName}/{branch} ({Short(remoteHead)}) diverged; serving {Short(head.Sha)} until the branch is reconciled by hand");
            }
            try
            {
                var merged = repo.Merge(target, Mover, new MergeOptions { FastForwardStrategy = FastForwardStrategy.FastForwardOnly, CommitOnSuccess = false });
                if (merged.Status != MergeStatus.FastForward)
                {
                    return (FollowResult.Blocked, $"{branch} could not be fast-forwarded to {Short(remoteHead)} ({merged.Status})");
                }
            }
            catch (Exception e) when (e is CheckoutConflictException or LibGit2SharpException)
            {
                return (FollowResult.Blocked, $"local changes in the work tree block the fast-forward of {branch} to {Short(remoteHead)} ({e.Message}); commit or discard them");
            }
            return (FollowResult.FastForwarded, $"{branch} fast-forwarded {Short(head.Sha)}..{Short(remoteHead)} from {remoteName}");
        }
    }

    private Repository? Open()
    {
        var gitDir = Repository.Discover(_repositoryRoot);
        return gitDir is null ? null : new Repository(gitDir);
    }

    private static string Short(string sha) => sha[..Math.Min(7, sha.Length)];

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
        // A look in progress finishes on its own; wait for it so that nothing writes the repository after this returns.
        lock (_gate)
        {
        }
    }
}
