using LibGit2Sharp;

namespace OptAIC.Engine.Ci;

public enum PushStatus
{
    Pushed,

    /// <summary>The remote refused: it has commits this clone has not fetched, or the ref changed or was created meanwhile.</summary>
    Rejected,

    /// <summary>The remote's policy refused the update (a hook declined it, the branch is protected): fetching and trying again does not help.</summary>
    Refused,
}

/// <summary>What a push did; <see cref="Reason"/> says why it was rejected (redacted, safe to log).</summary>
public sealed record PushOutcome(PushStatus Status, string? Reason)
{
    public bool Succeeded => Status == PushStatus.Pushed;
}

/// <summary>A Git operation against the remote failed for a reason other than a rejected push (network, authentication, a bad remote).</summary>
public sealed class GitRemoteException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One clone and one of its remotes, with what the bot needs and no more: fetch a branch, move the
/// local branch onto a commit, commit given paths, push with a rejection as a result rather than an
/// exception, and read or update refs on the remote (for the lock). Credentials come from
/// <see cref="CredentialsFromEnvironment"/>; messages are redacted. Not thread-safe (one per thread).
/// </summary>
public sealed class GitRemoteSession : IDisposable
{
    private readonly Repository _repository;
    private readonly CredentialsFromEnvironment _credentials;
    private readonly string? _fileRemote;

    /// <param name="allowInsecureHttp">Send a token to a plain http:// remote other than this machine (readable by anyone on the path); refused unless set.</param>
    public GitRemoteSession(string repositoryRoot, string remoteName = "origin", CredentialsFromEnvironment? credentials = null, bool allowInsecureHttp = false)
    {
        _credentials = credentials ?? CredentialsFromEnvironment.None;
        try
        {
            _repository = new Repository(repositoryRoot);
        }
        catch (RepositoryNotFoundException)
        {
            throw new GitRemoteException($"{repositoryRoot} is not a Git repository; the CI bot works in a clone of the model repository");
        }
        if (_repository.Network.Remotes[remoteName] is null)
        {
            var known = string.Join(", ", _repository.Network.Remotes.Select(r => r.Name));
            _repository.Dispose();
            throw new GitRemoteException($"{repositoryRoot} has no remote '{remoteName}' (remotes: {(known.Length == 0 ? "none" : known)}); pass --remote");
        }
        RemoteName = remoteName;
        var url = _repository.Network.Remotes[remoteName].Url;
        // Plain http to this machine (a test server, a local proxy) never crosses a network.
        if (_credentials.HasToken && !allowInsecureHttp && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback)
        {
            _repository.Dispose();
            throw new GitRemoteException(
                $"the remote '{remoteName}' is plain http ({_credentials.Redact(url)}): the token from {_credentials.Source} would cross the network unencrypted; use an https:// URL, or pass --allow-insecure-http if the network is yours");
        }
        _fileRemote = FileRemote.GitFolder(url);
        RepositoryRoot = _repository.Info.WorkingDirectory ?? _repository.Info.Path;
    }

    public string RepositoryRoot { get; }

    public string RemoteName { get; }

    public CredentialsFromEnvironment Credentials => _credentials;

    internal Repository Repository => _repository;

    /// <summary>The name under which a remote branch is tracked locally: refs/remotes/origin/main.</summary>
    public string TrackingRef(string branch) => $"refs/remotes/{RemoteName}/{branch}";

    /// <summary>Fetches <paramref name="branch"/> and returns the remote's head commit, or null when the remote has no such branch.</summary>
    public string? FetchBranch(string branch)
    {
        Fetch([$"+refs/heads/{branch}:{TrackingRef(branch)}"]);
        // A fetch does not delete the tracking ref of a branch removed on the remote; ask the remote.
        var head = RemoteRefs().GetValueOrDefault($"refs/heads/{branch}");
        if (head is null && _repository.Refs[TrackingRef(branch)] is { } stale)
        {
            _repository.Refs.Remove(stale);
        }
        return head;
    }

    /// <summary>Fetches with explicit refspecs (objects and the refs they map to).</summary>
    public void Fetch(IEnumerable<string> refspecs)
    {
        var options = new FetchOptions { CredentialsProvider = _credentials.Handler, TagFetchMode = TagFetchMode.None, Prune = false };
        Remote("fetch from", () => Commands.Fetch(_repository, RemoteName, refspecs, options, "optaic: fetch"));
    }

    /// <summary>The remote's refs as it advertises them now (ls-remote): canonical name to commit SHA.</summary>
    public IReadOnlyDictionary<string, string> RemoteRefs() => Remote("list the refs of", ListRemoteRefs);

    private Dictionary<string, string> ListRemoteRefs()
    {
        var remote = _repository.Network.Remotes[RemoteName];
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        var listed = _credentials.Handler is { } handler
            ? _repository.Network.ListReferences(remote, handler)
            : _repository.Network.ListReferences(remote);
        foreach (var reference in listed)
        {
            if (reference.ResolveToDirectReference() is { } direct && !reference.CanonicalName.EndsWith("^{}", StringComparison.Ordinal))
            {
                refs[reference.CanonicalName] = direct.TargetIdentifier;
            }
        }
        return refs;
    }

    /// <summary>The commit a local ref or revision points at, or null.</summary>
    public Commit? Lookup(string revision) => _repository.Lookup<Commit>(revision);

    /// <summary>The commit checked out now.</summary>
    public Commit Head => _repository.Head.Tip ?? throw new GitRemoteException($"{RepositoryRoot} has no commit checked out");

    /// <summary>
    /// Points the local <paramref name="branch"/> at <paramref name="commitSha"/>, checks it out and
    /// makes the working tree match it exactly (like `git checkout -B branch sha; git reset --hard`).
    /// Files tracked before and not at the commit are removed; untracked files are left alone.
    /// </summary>
    public void ResetBranch(string branch, string commitSha)
    {
        var commit = _repository.Lookup<Commit>(commitSha)
            ?? throw new GitRemoteException($"commit {commitSha} is not in {RepositoryRoot}; fetch first");
        var local = _repository.Branches[branch];
        if (local is null)
        {
            local = _repository.Branches.Add(branch, commit);
        }
        else if (local.Tip?.Sha != commit.Sha)
        {
            _repository.Refs.UpdateTarget(local.Reference, commit.Id, $"optaic: reset {branch} to {commit.Sha[..7]}");
        }
        if (!_repository.Head.IsCurrentRepositoryHead || _repository.Head.CanonicalName != local.CanonicalName)
        {
            Commands.Checkout(_repository, local, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        }
        _repository.Reset(ResetMode.Hard, commit);
    }

    /// <summary>Tracked files with changes, staged or not (what a reset would throw away).</summary>
    public IReadOnlyList<string> UncommittedChanges()
    {
        var status = _repository.RetrieveStatus(new StatusOptions { IncludeUntracked = false, IncludeIgnored = false });
        return [.. status.Where(e => e.State != FileStatus.Unaltered && e.State != FileStatus.Ignored).Select(e => e.FilePath)];
    }

    /// <summary>
    /// Stages exactly <paramref name="paths"/> (repository-relative; deleted files are staged as
    /// deletions) and commits them on the current branch. Null when they hold no change.
    /// </summary>
    public Commit? CommitPaths(IReadOnlyCollection<string> paths, string message, Signature author, Signature committer)
    {
        if (paths.Count == 0)
        {
            return null;
        }
        Commands.Stage(_repository, paths, new StageOptions { IncludeIgnored = true });
        try
        {
            return _repository.Commit(message, author, committer, new CommitOptions { AllowEmptyCommit = false });
        }
        catch (EmptyCommitException)
        {
            return null;
        }
    }

    /// <summary>
    /// Pushes <paramref name="source"/> (a local ref) to <paramref name="destination"/> on the remote.
    /// Without force it only fast-forwards, and a remote that moved since (even during the push) makes
    /// it <see cref="PushStatus.Rejected"/>, never a silent overwrite.
    /// </summary>
    public PushOutcome Push(string source, string destination, bool force = false)
    {
        if (_fileRemote is null)
        {
            return PushRefspec($"{(force ? "+" : "")}{source}:{destination}");
        }
        // A folder remote: through Git's own transport (git-receive-pack), so the remote's hooks run and its
        // refs are locked as a server locks them. libgit2's local transport would write the refs itself.
        return GitPush(null, $"{(force ? "+" : "")}{source}:{destination}");
    }

    /// <summary>Deletes <paramref name="destination"/> on the remote; with <paramref name="expected"/>, only while it still points there.</summary>
    public PushOutcome DeleteRemoteRef(string destination, string? expected = null)
    {
        if (_fileRemote is not null)
        {
            return GitPush(expected is null ? null : $"--force-with-lease={destination}:{expected}", $":{destination}");
        }
        // A server deletes only if the ref still has the value it advertised when the push connected.
        return PushRefspec($":{destination}");
    }

    /// <summary>`git push --porcelain` to the remote; its refusal (a hook's words included) comes back as the reason.</summary>
    private PushOutcome GitPush(string? lease, string refspec)
    {
        var info = new System.Diagnostics.ProcessStartInfo("git")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "push", "--porcelain", "--no-verify", lease, RemoteName, refspec })
        {
            if (argument is not null)
            {
                info.ArgumentList.Add(argument);
            }
        }
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["LC_ALL"] = "C";
        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new GitRemoteException($"cannot push to the folder remote '{RemoteName}': the git command is not installed ({e.Message}); install git", e);
        }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0)
            {
                return new PushOutcome(PushStatus.Pushed, null);
            }
            var remoteSaid = error.Result.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("remote:", StringComparison.Ordinal) && l.Length > 7).Select(l => l[7..].Trim()).ToList();
            // Porcelain: "!\t<src>:<dst>\t[rejected] (fetch first)" or "[remote rejected] (pre-receive hook declined)".
            var rejected = output.Split('\n').Where(l => l.StartsWith('!')).Select(l => l.Split('\t').Last().Trim()).ToList();
            var errors = error.Result.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("error:", StringComparison.Ordinal) || l.StartsWith("fatal:", StringComparison.Ordinal));
            var behind = rejected.Any(r => r.StartsWith("[rejected]", StringComparison.Ordinal) || r.Contains("stale info", StringComparison.Ordinal));
            var reason = string.Join("; ", remoteSaid.Concat(rejected).Concat(errors).Where(l => l.Length > 0).Distinct());
            reason = reason.Length == 0 ? $"git push exited with {process.ExitCode}" : reason;
            return behind
                ? new PushOutcome(PushStatus.Rejected, _credentials.Redact($"non-fast-forward: the remote has commits this clone has not fetched ({reason})"))
                : new PushOutcome(rejected.Count > 0 ? Classify(reason) : PushStatus.Rejected, _credentials.Redact(reason));
        }
    }

    private PushOutcome PushRefspec(string refspec)
    {
        var errors = new List<string>();
        var options = new PushOptions
        {
            CredentialsProvider = _credentials.Handler,
            // A server that refuses a ref update (a race lost on its side, a protected branch, a hook) reports it here.
            OnPushStatusError = e => errors.Add($"{e.Reference}: {e.Message}"),
        };
        var remote = _repository.Network.Remotes[RemoteName];
        try
        {
            Remote("push to", () => _repository.Network.Push(remote, refspec, options));
        }
        catch (NonFastForwardException e)
        {
            // libgit2 checks before sending that the remote's ref is an ancestor of what is pushed.
            return new PushOutcome(PushStatus.Rejected, _credentials.Redact($"non-fast-forward: {e.Message}"));
        }
        catch (NameConflictException e)
        {
            // A ref that appeared since the push started.
            return new PushOutcome(PushStatus.Rejected, _credentials.Redact($"the ref exists already: {e.Message}"));
        }
        catch (LockedFileException e)
        {
            // A file remote whose ref is being written by another push at this moment.
            return new PushOutcome(PushStatus.Rejected, _credentials.Redact($"the ref is being updated by someone else: {e.Message}"));
        }
        return errors.Count == 0
            ? new PushOutcome(PushStatus.Pushed, null)
            : new PushOutcome(Classify(string.Join("; ", errors)), _credentials.Redact(string.Join("; ", errors)));
    }

    /// <summary>
    /// A ref update the remote turned down: its own rule (a hook declined it, a protected branch, no
    /// permission; fetching and trying again does not help) or, for anything else, a race (another push
    /// holds or just moved the ref), which is retried.
    /// </summary>
    private static PushStatus Classify(string reason)
    {
        string[] rules = ["hook declined", "protected", "denied", "permission", "not permitted", "not allowed", "forbidden"];
        return rules.Any(r => reason.Contains(r, StringComparison.OrdinalIgnoreCase)) ? PushStatus.Refused : PushStatus.Rejected;
    }

    public void Dispose() => _repository.Dispose();

    private T Remote<T>(string what, Func<T> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return action();
            }
            catch (LibGit2SharpException e) when (attempt < 5 && IsVanishedRef(e))
            {
                // A file remote lists its refs and then reads each: a ref deleted in between (a lock
                // released at that moment) fails the listing. Listing again sees a consistent set.
                Thread.Sleep(10 * attempt);
            }
            catch (LibGit2SharpException e) when (e is not (NonFastForwardException or NameConflictException or LockedFileException))
            {
                throw Failure(what, e);
            }
        }
    }

    private static bool IsVanishedRef(LibGit2SharpException e) =>
        e is NotFoundException || (e.Message.Contains("reference", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase));

    private void Remote(string what, Action action) => Remote(what, () =>
    {
        action();
        return 0;
    });

    private GitRemoteException Failure(string what, LibGit2SharpException e)
    {
        var url = _repository.Network.Remotes[RemoteName]?.Url ?? RemoteName;
        var hint = _credentials.HasToken
            ? $" (credentials: {_credentials})"
            : $" (no credentials: set {CredentialsFromEnvironment.TokenVariable} or {CredentialsFromEnvironment.GitHubTokenVariable} if the remote needs them)";
        // The inner exception is not kept: its message could carry what Redact removes.
        return new GitRemoteException(_credentials.Redact($"could not {what} remote '{RemoteName}' ({url}): {e.Message}{hint}"));
    }
}
