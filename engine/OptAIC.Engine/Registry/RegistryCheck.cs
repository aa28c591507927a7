namespace OptAIC.Engine.Registry;

/// <summary>
/// The registry's integrity, what <c>git fsck</c> is to Git. <see cref="Quick"/> is the cheap part that plan, apply
/// and status run first: files changed or deleted since the last commit, and a torn commit. <see cref="Full"/> is
/// <c>optaic verify</c>: every record, every artifact's sha256, and each stage history against Git's history.
/// Each problem names the file (and line) and says what to do.
/// </summary>
public static class RegistryCheck
{
    public static RegistryVerification Quick(RegistryStore store, string repositoryRoot)
    {
        var problems = new List<RegistryProblem>();
        GitRepository git;
        try
        {
            git = GitRepository.Open(repositoryRoot);
        }
        catch (GitRepositoryException)
        {
            return store.Verify(verifyHashes: false);
        }

        using (git)
        {
            Torn(git, store, repositoryRoot, problems);
            foreach (var deleted in git.DeletedSinceHead(store.Root))
            {
                problems.Add(new(Path.Combine(git.Root, deleted), RegistryProblemKind.DeletedFile,
                    $"recorded in the last commit but deleted from the work tree; restore it with 'git checkout HEAD -- {deleted}' (optaic never deletes registry files; to retire an instance, archive it in its spec)"));
            }

            var changed = git.ChangedSinceHead(store.Root);
            var instances = new SortedSet<string>(StringComparer.Ordinal);
            var artifacts = new List<string>();
            foreach (var file in changed)
            {
                var inRegistry = Path.GetRelativePath(store.Root, Path.Combine(git.Root, file)).Replace('\\', '/');
                var first = inRegistry.Split('/')[0];
                if (first == RepositoryArtifactStore.FolderName)
                {
                    artifacts.Add(Path.Combine(git.Root, file));
                }
                else if (Directory.Exists(Path.Combine(store.Root, first)) && RegistryStore.IsInstanceName(first))
                {
                    instances.Add(first);
                }
            }

            problems.AddRange(store.Verify(instances, verifyHashes: false, includeTempFiles: false).Problems.Where(p => p.Kind != RegistryProblemKind.OrphanModelCard && p.Kind != RegistryProblemKind.MissingModelCard));
            foreach (var artifact in artifacts)
            {
                CheckArtifactName(artifact, problems);
            }
        }

        return new RegistryVerification(problems);
    }

    public static RegistryVerification Full(RegistryStore store, string repositoryRoot)
    {
        var problems = new List<RegistryProblem>(Quick(store, repositoryRoot).Problems);
        var seen = problems.Select(p => (p.Path, p.Kind)).ToHashSet();
        problems.AddRange(store.Verify(verifyHashes: true).Problems.Where(p => seen.Add((p.Path, p.Kind))));
        try
        {
            using var git = GitRepository.Open(repositoryRoot);
            foreach (var instance in store.ListInstances())
            {
                StageHistoryAgainstGit(git, store, instance, problems);
            }
        }
        catch (GitRepositoryException)
        {
            // Without Git there is no history to check against.
        }

        return new RegistryVerification(problems);
    }

    private static void Torn(GitRepository git, RegistryStore store, string repositoryRoot, List<RegistryProblem> problems)
    {
        var intent = CommitIntentFile.In(Path.Combine(repositoryRoot, RepositoryLock.FolderName));
        if (intent.Read() is { } pending)
        {
            problems.Add(new(intent.Path, RegistryProblemKind.TornCommit,
                $"a commit ({pending.Commit[..7]}) was interrupted; run 'optaic apply' to complete it"));
        }
        else if (git.HeadCommit is not null && git.IndexDiffersFromHead(store.Root) && git.DeletedSinceHead(store.Root).Count == 0 && IndexOnlyLags(git, store))
        {
            problems.Add(new(store.Root, RegistryProblemKind.TornCommit,
                "the index lags behind the last commit (a torn commit: 'git status' shows registry files as staged changes); run 'optaic apply' to repair it, and do not commit before"));
        }
    }

    /// <summary>A lagging index, as opposed to changes a user staged on purpose: the work tree equals HEAD for the files the index disagrees on.</summary>
    private static bool IndexOnlyLags(GitRepository git, RegistryStore store) => git.ChangedSinceHead(store.Root).Count == 0;

    private static void CheckArtifactName(string path, List<RegistryProblem> problems)
    {
        var stem = Path.GetFileName(path).Split('.')[0];
        if (stem.Length != 64)
        {
            return;
        }

        using var stream = File.OpenRead(path);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        if (!string.Equals(sha, stem, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(new(path, RegistryProblemKind.ArtifactHashMismatch,
                $"the artifact's content hashes to {sha[..12]}…, not to its name; restore it with 'git checkout HEAD -- {path}' or from the artifact store"));
        }
    }

    private static void StageHistoryAgainstGit(GitRepository git, RegistryStore store, string instance, List<RegistryProblem> problems)
    {
        var path = store.StagesPath(instance);
        var relative = git.ToRelative(path);
        StageHistory? newer = null;
        try
        {
            newer = store.GetStageHistory(instance);
        }
        catch (RegistryFormatException)
        {
            return; // reported as a malformed record
        }

        foreach (var commit in git.LogForPath(relative))
        {
            if (git.ReadFileAtCommit(commit.Sha, relative) is not { } text)
            {
                continue;
            }

            StageHistory older;
            try
            {
                older = RecordYaml.Deserialize<StageHistory>(text, $"{relative}@{commit.Sha[..7]}");
            }
            catch (RegistryFormatException)
            {
                continue;
            }

            if (!IsPrefix(older.Entries, newer.Entries))
            {
                problems.Add(new(path, RegistryProblemKind.StageHistoryRewritten,
                    $"the stage history is append-only, but entries it had at commit {commit.Sha[..7]} ({commit.MessageShort}) were changed or removed since; restore them with 'git show {commit.Sha[..7]}:{relative}'"));
                return;
            }

            newer = older;
        }
    }

    private static bool IsPrefix(List<StageChange> older, List<StageChange> newer) =>
        older.Count <= newer.Count && older.Zip(newer).All(p =>
            p.First.Version == p.Second.Version && p.First.To == p.Second.To && p.First.From == p.Second.From && p.First.At == p.Second.At);
}
