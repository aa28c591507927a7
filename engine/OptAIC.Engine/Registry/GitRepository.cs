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
    /// Commits the current content of exactly these paths (files or folders; new, changed and deleted files)
    /// on top of HEAD, whatever else is staged or changed in the working copy, and updates the index for them.
    /// Temporary files of interrupted writes and git-ignored files inside a folder are not committed.
    /// </summary>
    /// <returns>The new commit's SHA, or null when the paths are unchanged since HEAD (nothing committed).</returns>
    public string? CommitPaths(IEnumerable<string> paths, string message, Signature author, Signature? committer = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        var head = _repo.Head.Tip;
        var tree = head is null ? new TreeDefinition() : TreeDefinition.From(head.Tree);
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
            removed.UnionWith(FilesInTree(head?.Tree, path).Where(f => !presentSet.Contains(f)));
        }

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

        var commit = _repo.ObjectDatabase.CreateCommit(author, committer ?? author, message, newTree, head is null ? [] : [head], prettifyMessage: true);
        MoveHead(commit, "commit: " + commit.MessageShort);

        foreach (var file in added)
        {
            _repo.Index.Add(file);
        }

        foreach (var file in removed)
        {
            _repo.Index.Remove(file);
        }

        _repo.Index.Write();
        return commit.Sha;
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
