using System.Text;
using System.Text.RegularExpressions;
using LibGit2Sharp;

namespace OptAIC.Engine.Ci;

public enum BotStatus
{
    /// <summary>The reconcile was committed and pushed.</summary>
    Pushed,

    /// <summary>Apply changed nothing: the registry already matches the specs.</summary>
    NothingToDo,

    /// <summary>The commit the run was started for is the bot's own reconcile commit.</summary>
    OwnCommit,

    /// <summary>The remote branch has a newer commit than the one this run was started for; that commit's run reconciles.</summary>
    Superseded,

    /// <summary>Another reconcile held the lock for longer than the run was willing to wait.</summary>
    LockUnavailable,

    /// <summary>Our lease expired during the run and another bot took the lock over: nothing was pushed.</summary>
    LockLost,

    /// <summary>Every push was rejected because the remote kept moving.</summary>
    RetriesExhausted,

    /// <summary>The remote refused the push by its own rule (a hook, a protected branch) while its branch had not moved: retrying would not help.</summary>
    PushRefused,

    /// <summary>The run could not start safely (uncommitted changes, a commit not on the remote, no such branch).</summary>
    Refused,
}

/// <summary>
/// What a bot run did and why (<see cref="Summary"/>), the commit it pushed, how many apply-and-push
/// attempts it made, and its log (all redacted).
/// </summary>
public sealed record BotResult(BotStatus Status, string Summary, string? PushedCommit, int Attempts, IReadOnlyList<string> Messages)
{
    /// <summary>The other holder when the lock was unavailable.</summary>
    public LeaseInfo? LockHolder { get; init; }

    /// <summary>The run did what it should (including deciding there was nothing to do); false means the CI job should fail.</summary>
    public bool Succeeded => Status is BotStatus.Pushed or BotStatus.NothingToDo or BotStatus.OwnCommit or BotStatus.Superseded;
}

/// <summary>The name and email the bot commits as; together with the trailer they mark its commits.</summary>
public sealed record BotIdentity(string Name, string Email)
{
    public static BotIdentity Default { get; } = new("optaic-bot", "optaic-bot@users.noreply.github.com");
}

public sealed record ReconcileBotOptions
{
    public required string RepositoryRoot { get; init; }

    public string Remote { get; init; } = "origin";

    public string Branch { get; init; } = "main";

    /// <summary>The commit this run was started for (GITHUB_SHA); default: the commit checked out.</summary>
    public string? StartedFor { get; init; }

    public BotIdentity Identity { get; init; } = BotIdentity.Default;

    /// <summary>The start of the commit's first line (the Project spec's commit.messagePrefix).</summary>
    public string MessagePrefix { get; init; } = "optaic:";

    /// <summary>Written into the trailer of the bot's commit and used as the lock holder id (a CI run id).</summary>
    public string RunId { get; init; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Stop at once when the commit the run was started for is the bot's own: true for runs triggered
    /// by a push (the bot's push must not reconcile again), false for scheduled runs, which look for
    /// due retraining and monitoring whatever the last commit was.
    /// </summary>
    public bool SkipWhenHeadIsBotCommit { get; init; } = true;

    /// <summary>Reconcile on top of a newer remote head instead of stopping as superseded.</summary>
    public bool ContinueWhenSuperseded { get; init; }

    /// <summary>How many times to fetch, apply again and push after a rejected push.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The pause before retry n is n times this.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long to wait for another bot's lock; a crashed holder's lease expires after <see cref="LeaseDuration"/>.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromMinutes(20);

    public TimeSpan LockPoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the lock stays ours without a renewal: a bot that crashed blocks the others this long at most.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Send the token to a plain http:// remote (refused by default).</summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>How often the lease is renewed while apply runs; default a third of the lease.</summary>
    public TimeSpan? RenewEvery { get; init; }

    /// <summary>Default: read from the environment (see <see cref="CredentialsFromEnvironment"/>).</summary>
    public CredentialsFromEnvironment? Credentials { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Progress lines as they happen (already redacted); the same lines end up in <see cref="BotResult.Messages"/>.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// `optaic ci reconcile`: on the main branch, under a lock on the remote, apply the specs and push one
/// commit of the registry as the bot; when the remote moved meanwhile, fetch, apply again on top of
/// it and retry. A run for an outdated commit stops early (the newer commit's run does the work), and
/// a run for the bot's own commit does nothing, so that the bot's push never causes another reconcile.
/// </summary>
public static partial class ReconcileBot
{
    public const string TrailerKey = "Optaic-Reconcile";

    /// <summary>Whether <paramref name="message"/> carries the bot's trailer (for workflows: skip such pushes).</summary>
    public static bool HasTrailer(string message) => TrailerLine().IsMatch(message);

    /// <summary>A commit by the bot: its identity as author and the trailer in the message.</summary>
    public static bool IsBotCommit(Commit commit, BotIdentity identity) =>
        commit.Author.Name == identity.Name && commit.Author.Email == identity.Email && HasTrailer(commit.Message);

    /// <summary>The bot's commit message: "optaic: reconcile N actions", the actions, and the trailer.</summary>
    public static string CommitMessage(IReadOnlyList<string> actions, string runId, string prefix = "optaic:")
    {
        var text = new StringBuilder();
        text.Append(prefix.TrimEnd()).Append(" reconcile ").Append(actions.Count).Append(actions.Count == 1 ? " action" : " actions").Append("\n\n");
        foreach (var action in actions)
        {
            text.Append("- ").Append(action.ReplaceLineEndings(" ")).Append('\n');
        }
        if (actions.Count > 0)
        {
            text.Append('\n');
        }
        text.Append(TrailerKey).Append(": ").Append(runId).Append('\n');
        return text.ToString();
    }

    public static BotResult Run(ReconcileBotOptions options, IReconcileEngine engine, CancellationToken ct = default) =>
        new Runner(options, engine, ct).Run();

    [GeneratedRegex(@"^Optaic-Reconcile:[ \t]*\S+[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex TrailerLine();

    private sealed class Runner(ReconcileBotOptions options, IReconcileEngine engine, CancellationToken ct)
    {
        private readonly List<string> _messages = [];
        private readonly CredentialsFromEnvironment _credentials = options.Credentials ?? CredentialsFromEnvironment.Read();
        private int _attempts;

        public BotResult Run()
        {
            using var session = new GitRemoteSession(options.RepositoryRoot, options.Remote, _credentials, options.AllowInsecureHttp);
            var startedFor = options.StartedFor is { } given
                ? session.Lookup(given) ?? throw new GitRemoteException($"--sha {given}: no such commit in {session.RepositoryRoot}")
                : session.Head;
            if (options.SkipWhenHeadIsBotCommit && IsBotCommit(startedFor, options.Identity))
            {
                return End(BotStatus.OwnCommit, $"nothing to do: the head {Short(startedFor.Sha)} is the bot's own commit");
            }
            if (session.UncommittedChanges() is { Count: > 0 } dirty)
            {
                return End(BotStatus.Refused,
                    $"{session.RepositoryRoot} has uncommitted changes ({string.Join(", ", dirty.Take(5))}{(dirty.Count > 5 ? ", ..." : "")}); the bot resets the working tree, so run it on a clean clone");
            }

            // The lock has its own session: its lease is renewed from a timer while apply runs.
            using var lockSession = new GitRemoteSession(options.RepositoryRoot, options.Remote, _credentials, options.AllowInsecureHttp);
            var remoteLock = new RemoteLock(lockSession, new RemoteLockOptions
            {
                HolderId = options.RunId,
                LeaseDuration = options.LeaseDuration,
                Time = options.Time,
            });
            var taken = remoteLock.Acquire(options.LockWait, options.LockPoll,
                holder => Say($"waiting for the lock: held by {holder}; waiting up to {options.LockWait} (the lease expires at the time shown unless its holder renews it)"), ct);
            if (!taken.IsHeld)
            {
                return End(BotStatus.LockUnavailable,
                    $"another reconcile holds the lock ({RemoteLockOptions.DefaultRefName} on '{options.Remote}'): {taken.Lease}; gave up after waiting {options.LockWait}. If that run is gone, its lease expires at the time shown, or delete the ref: git push {options.Remote} :{RemoteLockOptions.DefaultRefName}")
                    with
                { LockHolder = taken.Lease };
            }
            Say(taken.Status == LockStatus.ExpiredAndTaken
                ? $"took over the lock: the lease of {taken.Previous} had expired"
                : $"acquired the lock as {options.RunId}");

            var renewEvery = options.RenewEvery ?? options.LeaseDuration / 3;
            BotResult result;
            using (new Timer(_ => RenewQuietly(remoteLock), null, renewEvery, renewEvery))
            {
                try
                {
                    result = Reconcile(session, remoteLock, startedFor.Sha);
                }
                finally
                {
                    if (remoteLock.Release())
                    {
                        Say("released the lock");
                    }
                }
            }
            lock (_messages)
            {
                return result with { Messages = [.. _messages] };
            }
        }

        private BotResult Reconcile(GitRemoteSession session, RemoteLock remoteLock, string startedFor)
        {
            var branch = options.Branch;
            var remoteHead = session.FetchBranch(branch);
            if (remoteHead is null)
            {
                return End(BotStatus.Refused, $"the remote '{options.Remote}' has no branch '{branch}'; pass --branch");
            }
            if (!IsAncestor(session, startedFor, remoteHead))
            {
                return End(BotStatus.Refused,
                    $"commit {Short(startedFor)} is not on {options.Remote}/{branch} (not pushed yet, or the branch was rewritten); the bot reconciles what is on the remote, so push it first");
            }
            if (!options.ContinueWhenSuperseded && NewerThan(session, startedFor, remoteHead) is { } newer)
            {
                return End(BotStatus.Superseded,
                    $"superseded: {options.Remote}/{branch} has moved on to {Short(newer)} since {Short(startedFor)}, which this run was started for; the run for the newer commit reconciles");
            }

            while (true)
            {
                ct.ThrowIfCancellationRequested();
                _attempts++;
                // A hard reset also removes what a discarded attempt committed, so each apply starts clean.
                session.ResetBranch(branch, remoteHead);
                var result = engine.Apply(session.RepositoryRoot, ct);
                if (!result.HasChanges)
                {
                    return End(BotStatus.NothingToDo, $"nothing to do: the registry at {Short(remoteHead)} matches the specs");
                }
                var now = options.Time.GetUtcNow();
                var signature = new Signature(options.Identity.Name, options.Identity.Email, now);
                var commit = session.CommitPaths(result.ChangedPaths, CommitMessage(result.Actions, options.RunId, options.MessagePrefix), signature, signature);
                if (commit is null)
                {
                    return End(BotStatus.NothingToDo, $"nothing to do: apply reported {result.ChangedPaths.Count} paths, but they are as committed at {Short(remoteHead)}");
                }
                if (!remoteLock.Renew())
                {
                    return End(BotStatus.LockLost,
                        $"the lock was taken over by {remoteLock.Current()?.ToString() ?? "another run"} after our lease expired; nothing was pushed (raise the lease duration if apply takes longer)");
                }
                var push = session.Push($"refs/heads/{branch}", $"refs/heads/{branch}");
                if (push.Succeeded && session.RemoteRefs().GetValueOrDefault($"refs/heads/{branch}") != commit.Sha)
                {
                    // A success is claimed only after the remote is read back.
                    push = new PushOutcome(PushStatus.Rejected, $"the push was reported as done, but {options.Remote}/{branch} does not point at {Short(commit.Sha)}");
                }
                if (push.Succeeded)
                {
                    return End(BotStatus.Pushed, $"pushed {Short(commit.Sha)} to {options.Remote}/{branch}: {result.Actions.Count} action{(result.Actions.Count == 1 ? "" : "s")} on top of {Short(remoteHead)}") with
                    {
                        PushedCommit = commit.Sha,
                    };
                }
                if (push.Status == PushStatus.Refused)
                {
                    // Not a race: fetching and applying again would be refused the same way.
                    return End(BotStatus.PushRefused,
                        $"the remote '{options.Remote}' refused the push to {branch}: {push.Reason}; nothing was pushed (fix what the remote says, then run again)");
                }
                Say($"attempt {_attempts}: push rejected ({push.Reason})");
                if (_attempts > options.MaxRetries)
                {
                    return End(BotStatus.RetriesExhausted, $"gave up after {_attempts} attempts: the remote kept moving (last: {push.Reason}); the next push to {branch} starts another reconcile");
                }
                if (ct.WaitHandle.WaitOne(options.RetryBackoff * _attempts))
                {
                    ct.ThrowIfCancellationRequested();
                }
                remoteHead = session.FetchBranch(branch)
                    ?? throw new GitRemoteException($"the branch '{branch}' disappeared from the remote '{options.Remote}' during the reconcile");
                Say($"fetched {options.Remote}/{branch} at {Short(remoteHead)}; applying again on top of it");
            }
        }

        /// <summary>The newest commit on the remote that the run's commit lacks and that is not the bot's own, or null.</summary>
        private string? NewerThan(GitRemoteSession session, string startedFor, string remoteHead)
        {
            if (startedFor == remoteHead)
            {
                return null;
            }
            var filter = new CommitFilter { IncludeReachableFrom = remoteHead, ExcludeReachableFrom = startedFor, SortBy = CommitSortStrategies.Topological };
            // Bot commits on top are the reconcile of this very commit by an earlier run: not newer work.
            return session.Repository.Commits.QueryBy(filter).Any(c => !IsBotCommit(c, options.Identity)) ? remoteHead : null;
        }

        private static bool IsAncestor(GitRemoteSession session, string ancestor, string descendant)
        {
            if (ancestor == descendant)
            {
                return true;
            }
            var a = session.Lookup(ancestor);
            var d = session.Lookup(descendant);
            return a is not null && d is not null && session.Repository.ObjectDatabase.FindMergeBase(a, d)?.Sha == a.Sha;
        }

        private void RenewQuietly(RemoteLock remoteLock)
        {
            try
            {
                if (remoteLock.IsHeld && !remoteLock.Renew())
                {
                    Say("the lock was lost while apply ran: the lease expired and another run took it over");
                }
            }
            catch (GitRemoteException e)
            {
                // A transient failure: the next renewal, or the check before the push, decides.
                Say($"could not renew the lease: {e.Message}");
            }
            catch (Exception e) when (e is ArgumentNullException or ObjectDisposedException or LibGit2Sharp.LibGit2SharpException)
            {
                // Timer.Dispose does not wait for a callback in flight: one may run after the session closed.
                // An exception escaping a timer callback would end the process.
                _ = e;
            }
        }

        private void Say(string message)
        {
            var redacted = _credentials.Redact(message);
            lock (_messages)
            {
                _messages.Add(redacted);
            }
            options.Log?.Invoke(redacted);
        }

        private BotResult End(BotStatus status, string message)
        {
            Say(message);
            lock (_messages)
            {
                return new BotResult(status, _credentials.Redact(message), null, _attempts, [.. _messages]);
            }
        }

        private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;
    }
}
