using LibGit2Sharp;

namespace OptAIC.Engine.Registry;

/// <summary>A commit as <c>optaic history</c> shows it.</summary>
public sealed record CommitInfo(string Sha, string MessageShort, string Message, string AuthorName, string AuthorEmail, DateTimeOffset When);

/// <summary>
/// The model repository, through LibGit2Sharp: commits exactly the registry files the engine wrote, and reads
/// files of any revision from the object database without a checkout (for <c>lint --rev</c>, <c>plan</c>
/// against a base, and <c>history</c>). Paths are repository-relative with '/' or absolute under <see cref="Root"/>.
/// </summary>
public sealed class GitRepository : IDisposable
{
    private readonly Repository _repo;

    private GitRepository(Repository repo)
    {
        _repo = repo;
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(repo.Info.WorkingDirectory));
    }

    /// <summary>The working directory (top level of the repository).</summary>
    public string Root { get; }

    /// <summary>The SHA of HEAD, or null in a repository without commits.</summary>
    public string? HeadCommit => _repo.Head.Tip?.Sha;

    /// <summary>The checked-out branch name, or null when HEAD is detached.</summary>
    public string? CurrentBranch => _repo.Info.IsHeadDetached ? null : _repo.Head.FriendlyName;

    /// <summary>Opens the repository containing <paramref name="path"/> (the path itself or any folder above it).</summary>
    /// <exception cref="GitRepositoryException">No repository there, or a bare one.</exception>
    public static GitRepository Open(string path)
    {
        var gitDir = Repository.Discover(Path.GetFullPath(path))
            ?? throw new GitRepositoryException($"No Git repository at or above {Path.GetFullPath(path)}; run optaic inside the model repository (or create one with git init).");
        var repo = new Repository(gitDir);
        if (repo.Info.IsBare || repo.Info.WorkingDirectory is null)
        {
            repo.Dispose();
            throw new GitRepositoryException($"{gitDir} is a bare repository; optaic needs a working copy.");
        }

        return new GitRepository(repo);
    }

    /// <summary>Creates a repository (with a working directory) at <paramref name="path"/> and opens it.</summary>
    public static GitRepository Init(string path)
    {
        Directory.CreateDirectory(path);
        Repository.Init(path);
        return Open(path);
    }

    /// <summary>
    /// Commits the current content of exactly these paths (files or folders; new, changed and, when
    /// <paramref name="commitDeletions"/>, deleted files) on top of HEAD, whatever else is staged or changed in the
    /// working copy, and updates the index for them. Temporary files of interrupted writes and git-ignored files
    /// inside a folder are not committed.
    /// With an <paramref name="intent"/>, the commit is crash-safe: the objects are written first, then the intent
    /// (parent and new commit), then the branch moves, then the index is written; <see cref="Recover"/> completes
    /// a commit a kill interrupted at any of those points. The caller deletes the intent when its own clean-up is done.
    /// </summary>
    /// <returns>The new commit's SHA, or null when the paths are unchanged since HEAD (nothing committed).</returns>
    public string? CommitPaths(IEnumerable<string> paths, string message, Signature author, Signature? committer = null,
        CommitIntentFile? intent = null, bool commitDeletions = true)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        var head = _repo.Head.Tip;
        var added = new SortedSet<string>(StringComparer.Ordinal);
        var removed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in paths.Select(ToRelative).Distinct(StringComparer.Ordinal))
        {
            var full = Path.Combine(Root, path);
            var present = Directory.Exists(full)
                ? Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Select(ToRelative)
                    .Where(f => !IsGitInternal(f) && !AtomicFile.IsTempFile(f) && !_repo.Ignore.IsPathIgnored(f)).ToList()
                : File.Exists(full) ? [path] : [];
            added.UnionWith(present);
            var presentSet = present.ToHashSet(StringComparer.Ordinal);
            if (commitDeletions)
            {
                removed.UnionWith(FilesInTree(head?.Tree, path).Where(f => !presentSet.Contains(f)));
            }
        }

        Commit commit;
        try
        {
            Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.BeforeCommitObjects);
            var tree = head is null ? new TreeDefinition() : TreeDefinition.From(head.Tree);
            foreach (var file in added)
            {
                tree.Add(file, _repo.ObjectDatabase.CreateBlob(file), Mode.NonExecutableFile);
            }

            foreach (var file in removed)
            {
                tree.Remove(file);
            }

            var newTree = _repo.ObjectDatabase.CreateTree(tree);
            if (head is not null && newTree.Id == head.Tree.Id)
            {
                return null;
            }

            commit = _repo.ObjectDatabase.CreateCommit(author, committer ?? author, message, newTree, head is null ? [] : [head], prettifyMessage: true);
        }
        catch (Exception e) when (RegistryWriteException.IsEnvironmental(e))
        {
            throw RegistryWriteException.For(Path.Combine(_repo.Info.Path, "objects"), e);
        }

        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.AfterCommitObjects);
        intent?.Write(new CommitIntent(head?.Sha, commit.Sha, [.. added, .. removed]));
        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.BeforeRef);
        MoveHead(commit, "commit: " + commit.MessageShort);
        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.AfterRef);
        SyncIndex(commit, [.. added, .. removed]);
        return commit.Sha;
    }

    /// <summary>
    /// Brings a torn commit to a whole one, at the start of a command that writes: completes the commit an intent
    /// records (moves the branch if it had not moved, writes the index), and, with no intent, repairs index entries
    /// under <paramref name="folder"/> that disagree with HEAD while the work tree agrees with it (a commit whose
    /// index was never written, or an index rolled back by hand). Returns what it did, as one line each.
    /// </summary>
    public IReadOnlyList<string> Recover(CommitIntentFile intent, string folder)
    {
        var done = new List<string>();
        if (intent.Read() is { } pending)
        {
            var head = _repo.Head.Tip?.Sha;
            var commit = _repo.Lookup<Commit>(pending.Commit);
            if (commit is not null && head == pending.Parent && WorkTreeMatches(commit, pending.Paths))
            {
                MoveHead(commit, "commit (completed by optaic after an interruption): " + commit.MessageShort);
                SyncIndex(commit, pending.Paths);
                done.Add($"completed the commit {commit.Sha[..7]} that an interrupted run had prepared (\"{commit.MessageShort}\")");
            }
            else if (commit is not null && head == pending.Commit)
            {
                SyncIndex(commit, pending.Paths);
                done.Add($"completed the commit {commit.Sha[..7]} that an interrupted run had made: its index is now written");
            }
            else
            {
                done.Add($"dropped the commit {pending.Commit[..7]} that an interrupted run had prepared: HEAD has moved on since; its files stay in the work tree");
            }

            intent.Delete();
        }

        if (_repo.Head.Tip is { } tip)
        {
            var repaired = RepairIndex(tip, ToRelative(folder));
            if (repaired > 0)
            {
                done.Add($"repaired {repaired} index entr{(repaired == 1 ? "y" : "ies")} under {ToRelative(folder)}/ that lagged behind the commit {tip.Sha[..7]} (a torn commit); `git status` is clean again");
            }
        }

        return done;
    }

    /// <summary>Files under <paramref name="folder"/> whose work-tree content differs from HEAD's (new or changed; not deleted), ignored files aside.</summary>
    public IReadOnlyList<string> ChangedSinceHead(string folder)
    {
        var relative = ToRelative(folder).TrimEnd('/') + "/";
        return [.. _repo.RetrieveStatus(new StatusOptions { PathSpec = [relative], IncludeUntracked = true, RecurseUntrackedDirs = true, Show = StatusShowOption.IndexAndWorkDir })
            .Where(e => e.State != FileStatus.Ignored && e.State != FileStatus.Unaltered && File.Exists(Path.Combine(Root, e.FilePath)))
            .Where(e => !AtomicFile.IsTempFile(e.FilePath))
            .Select(e => e.FilePath)
            .Where(f => !(_repo.Head.Tip?[f]?.Target is Blob blob && GitBlobId(File.ReadAllBytes(Path.Combine(Root, f))) == blob.Sha))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Makes Git ignore <paramref name="folder"/> (a top-level folder such as .optaic) through .git/info/exclude, unless it already does; true when it wrote the rule.</summary>
    public bool EnsureIgnored(string folder)
    {
        var relative = ToRelative(folder).TrimEnd('/');
        if (_repo.Ignore.IsPathIgnored(relative + "/") || _repo.Ignore.IsPathIgnored(relative + "/x"))
        {
            return false;
        }

        var exclude = Path.Combine(_repo.Info.Path, "info", "exclude");
        Directory.CreateDirectory(Path.GetDirectoryName(exclude)!);
        var existing = File.Exists(exclude) ? File.ReadAllText(exclude) : "";
        var separator = existing.Length == 0 || existing.EndsWith('\n') ? "" : "\n";
        File.AppendAllText(exclude, $"{separator}# optaic's work folder: journals, caches, locks (written by optaic)\n/{relative}/\n");
        return true;
    }

    /// <summary>Files under <paramref name="folder"/> that HEAD has and the work tree lacks.</summary>
    public IReadOnlyList<string> DeletedSinceHead(string folder)
    {
        var relative = ToRelative(folder);
        return [.. FilesInTree(_repo.Head.Tip?.Tree, relative).Where(f => !File.Exists(Path.Combine(Root, f))).Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether the index, for files under <paramref name="folder"/>, disagrees with HEAD.</summary>
    public bool IndexDiffersFromHead(string folder)
    {
        var relative = ToRelative(folder);
        var tip = _repo.Head.Tip;
        var inHead = FilesInTree(tip?.Tree, relative).ToDictionary(f => f, f => ((Blob)tip![f].Target).Id, StringComparer.Ordinal);
        var inIndex = _repo.Index.Where(e => InFolder(e.Path, relative)).ToDictionary(e => e.Path, e => e.Id, StringComparer.Ordinal);
        return inHead.Count != inIndex.Count || inHead.Any(p => !inIndex.TryGetValue(p.Key, out var id) || id != p.Value);
    }

    private static bool InFolder(string path, string folder) =>
        folder.Length == 0 || path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);

    /// <summary>Sets the index entries of <paramref name="paths"/> to the commit's content (removing those it lacks).</summary>
    private void SyncIndex(Commit commit, IEnumerable<string> paths)
    {
        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.BeforeIndex);
        try
        {
            foreach (var path in paths)
            {
                if (commit[path]?.Target is Blob blob)
                {
                    _repo.Index.Add(blob, path, Mode.NonExecutableFile);
                }
                else if (_repo.Index[path] is not null)
                {
                    _repo.Index.Remove(path);
                }
            }

            _repo.Index.Write();
        }
        catch (Exception e) when (RegistryWriteException.IsEnvironmental(e))
        {
            throw RegistryWriteException.For(Path.Combine(_repo.Info.Path, "index"), e);
        }

        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.AfterIndex);
    }

    private bool WorkTreeMatches(Commit commit, IEnumerable<string> paths) => paths.All(path =>
    {
        var full = Path.Combine(Root, path);
        return commit[path]?.Target is Blob blob
            ? File.Exists(full) && GitBlobId(File.ReadAllBytes(full)) == blob.Sha
            : !File.Exists(full);
    });

    private int RepairIndex(Commit tip, string folder)
    {
        var inHead = FilesInTree(tip.Tree, folder).ToDictionary(f => f, f => (Blob)tip[f].Target, StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var (path, blob) in inHead)
        {
            var full = Path.Combine(Root, path);
            if (_repo.Index[path]?.Id != blob.Id && File.Exists(full) && GitBlobId(File.ReadAllBytes(full)) == blob.Sha)
            {
                stale.Add(path);
            }
        }

        foreach (var entry in _repo.Index.Where(e => InFolder(e.Path, folder) && !inHead.ContainsKey(e.Path)).ToList())
        {
            if (!File.Exists(Path.Combine(Root, entry.Path)))
            {
                stale.Add(entry.Path);
            }
        }

        if (stale.Count > 0)
        {
            SyncIndex(tip, stale);
        }

        return stale.Count;
    }

    /// <summary>Git's object id of a blob with this content (SHA-1 of "blob &lt;size&gt;\0" and the bytes).</summary>
    private static string GitBlobId(byte[] content)
    {
        var header = System.Text.Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA1);
        sha.AppendData(header);
        sha.AppendData(content);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Commits reachable from HEAD that changed the file or folder at <paramref name="path"/>, newest first.</summary>
    public IReadOnlyList<CommitInfo> LogForPath(string path, int? limit = null)
    {
        var relative = ToRelative(path);
        var result = new List<CommitInfo>();
        if (_repo.Head.Tip is null)
        {
            return result;
        }

        var filter = new CommitFilter { SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time };
        foreach (var commit in _repo.Commits.QueryBy(filter))
        {
            var id = commit[relative]?.Target.Id;

            // Touched: differs from every parent (a merge that took one side's version unchanged did not touch it).
            var touched = commit.Parents.Any()
                ? commit.Parents.All(p => p[relative]?.Target.Id != id)
                : id is not null;
            if (touched)
            {
                result.Add(new CommitInfo(commit.Sha, commit.MessageShort, commit.Message, commit.Author.Name, commit.Author.Email, commit.Author.When));
                if (result.Count == limit)
                {
                    break;
                }
            }
        }

        return result;
    }

    /// <summary>The text (UTF-8) of a file at a revision (SHA, branch, tag, <c>HEAD~1</c>…), or null if absent there.</summary>
    /// <exception cref="GitRepositoryException">The revision does not exist.</exception>
    public string? ReadFileAtCommit(string rev, string path)
    {
        var bytes = ReadBytesAtCommit(rev, path);
        return bytes is null ? null : new System.Text.UTF8Encoding(false).GetString(bytes).TrimStart('\uFEFF');
    }

    public byte[]? ReadBytesAtCommit(string rev, string path)
    {
        if (ResolveCommit(rev)[ToRelative(path)] is not { TargetType: TreeEntryTargetType.Blob } entry)
        {
            return null;
        }

        using var content = ((Blob)entry.Target).GetContentStream();
        using var buffer = new MemoryStream();
        content.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Files under <paramref name="folder"/> ("" for all) at a revision, recursively, repository-relative, ordinal order.</summary>
    public IReadOnlyList<string> ListFilesAtCommit(string rev, string folder)
    {
        var commit = ResolveCommit(rev);
        var relative = string.IsNullOrEmpty(folder) || folder == "." ? "" : ToRelative(folder);
        return FilesInTree(commit.Tree, relative).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether any of the paths (files or folders) has changes not committed, untracked files included.</summary>
    public bool IsDirty(IEnumerable<string> paths)
    {
        var pathSpec = paths.Select(ToRelative).ToArray();
        if (pathSpec.Length == 0)
        {
            return false;
        }

        var options = new StatusOptions { PathSpec = pathSpec, IncludeUntracked = true, RecurseUntrackedDirs = true, IncludeIgnored = false };
        return _repo.RetrieveStatus(options).IsDirty;
    }

    /// <summary>A path as Git names it: relative to <see cref="Root"/>, with '/' separators.</summary>
    public string ToRelative(string path)
    {
        var full = Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(Root, path));
        var relative = Path.GetRelativePath(Root, full);
        if (relative == ".")
        {
            return "";
        }

        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new GitRepositoryException($"{path} is outside the repository {Root}.");
        }

        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    public void Dispose() => _repo.Dispose();

    private Commit ResolveCommit(string rev)
    {
        GitObject? found;
        try
        {
            found = _repo.Lookup(rev);
        }
        catch (LibGit2SharpException e)
        {
            throw new GitRepositoryException($"'{rev}' is not a revision of {Root}: {e.Message}", e);
        }

        if (found is null)
        {
            throw new GitRepositoryException($"Revision '{rev}' does not exist in {Root}.");
        }

        try
        {
            return found.Peel<Commit>();
        }
        catch (LibGit2SharpException e)
        {
            throw new GitRepositoryException($"'{rev}' does not name a commit: {e.Message}", e);
        }
    }

    private static bool IsGitInternal(string relative) => relative == ".git" || relative.StartsWith(".git/", StringComparison.Ordinal);

    private static IEnumerable<string> FilesInTree(Tree? root, string relative)
    {
        if (root is null)
        {
            return [];
        }

        if (relative.Length == 0)
        {
            return Walk(root, "");
        }

        return root[relative] switch
        {
            { TargetType: TreeEntryTargetType.Blob } => [relative],
            { TargetType: TreeEntryTargetType.Tree } entry => Walk((Tree)entry.Target, relative + "/"),
            _ => [],
        };
    }

    private static IEnumerable<string> Walk(Tree tree, string prefix)
    {
        foreach (var entry in tree)
        {
            if (entry.TargetType == TreeEntryTargetType.Blob)
            {
                yield return prefix + entry.Name;
            }
            else if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                foreach (var file in Walk((Tree)entry.Target, prefix + entry.Name + "/"))
                {
                    yield return file;
                }
            }
        }
    }

    private void MoveHead(Commit commit, string logMessage)
    {
        if (_repo.Info.IsHeadDetached)
        {
            _repo.Refs.UpdateTarget(_repo.Refs.Head, commit.Id, logMessage);
            return;
        }

        // HEAD points at a branch, which does not exist yet in a repository without commits.
        var branch = _repo.Refs.Head.TargetIdentifier;
        if (_repo.Refs[branch] is { } existing)
        {
            _repo.Refs.UpdateTarget(existing, commit.Id, logMessage);
        }
        else
        {
            _repo.Refs.Add(branch, commit.Id, logMessage);
        }
    }
}
