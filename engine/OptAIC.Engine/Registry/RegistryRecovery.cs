using OptAIC.Engine.Workflows;

namespace OptAIC.Engine.Registry;

public enum RecoveryKind
{
    /// <summary>The work folder was not git-ignored; the rule went into .git/info/exclude.</summary>
    IgnoreRuleWritten,

    /// <summary>A commit a kill interrupted was completed (or dropped, when HEAD had moved on).</summary>
    CommitCompleted,

    /// <summary>Index entries that lagged behind HEAD were set to HEAD's.</summary>
    IndexRepaired,

    /// <summary>Journals of another state (another HEAD, or runs that had ended) were deleted.</summary>
    JournalsCleaned,

    /// <summary>Temporary files and orphan model cards of interrupted writes were deleted.</summary>
    InterruptedWritesRemoved,
}

/// <summary>One thing recovery did, said in one line.</summary>
public sealed record RecoveryStep(RecoveryKind Kind, string Message);

/// <summary>
/// What every command that writes the registry does first, under the repository lock: make sure the work folder
/// is git-ignored, complete or drop a torn commit, repair a lagging index, delete journals that belong to
/// another state, and remove what interrupted writes left. Afterwards HEAD, index and work tree agree for the
/// registry, and no journal from another state can be reused.
/// </summary>
public static class RegistryRecovery
{
    public static IReadOnlyList<RecoveryStep> Run(string repositoryRoot, RegistryStore store)
    {
        var steps = new List<RecoveryStep>();
        var workFolder = Path.Combine(repositoryRoot, RepositoryLock.FolderName);
        string? head = null;
        try
        {
            using var git = GitRepository.Open(repositoryRoot);
            if (git.EnsureIgnored(workFolder))
            {
                steps.Add(new(RecoveryKind.IgnoreRuleWritten, $"{RepositoryLock.FolderName}/ was not git-ignored; added it to .git/info/exclude"));
            }

            var intent = CommitIntentFile.In(workFolder);
            var hadIntent = intent.Read() is not null;
            foreach (var line in git.Recover(intent, store.Root))
            {
                steps.Add(new(line.StartsWith("repaired", StringComparison.Ordinal) ? RecoveryKind.IndexRepaired : RecoveryKind.CommitCompleted, line));
            }

            head = git.HeadCommit;
            if (hadIntent)
            {
                // The commit consumed every journal of the apply that made it.
                var all = RunJournal.Prune(workFolder, (_, _) => false);
                if (all > 0)
                {
                    steps.Add(new(RecoveryKind.JournalsCleaned, $"removed {all} journal(s) of the apply that made that commit"));
                }
            }
        }
        catch (GitRepositoryException)
        {
            // Not a Git repository: nothing to commit, so nothing torn.
        }

        var stale = PruneJournals(workFolder, head);
        if (stale > 0)
        {
            steps.Add(new(RecoveryKind.JournalsCleaned, $"removed {stale} journal(s) of another state (another commit, or runs that had ended)"));
        }

        var removed = store.CleanInterruptedWrites();
        if (removed.Count > 0)
        {
            steps.Add(new(RecoveryKind.InterruptedWritesRemoved, $"removed {removed.Count} file(s) an interrupted write had left ({string.Join(", ", removed.Take(3).Select(Path.GetFileName))}{(removed.Count > 3 ? ", …" : "")})"));
        }

        return steps;
    }

    /// <summary>
    /// Keeps only the journals a resume can use: runs of the current HEAD that did not succeed. A succeeded run's
    /// effects are either in the work tree (so the plan no longer asks for it) or were discarded by the user
    /// (git reset): reusing it would claim work that is not there.
    /// </summary>
    public static int PruneJournals(string workFolder, string? head) =>
        RunJournal.Prune(workFolder, (request, summary) =>
            request is not null && summary is not null && summary.Status != Workflows.RunStatus.Succeeded
            && string.Equals(request.CommitSha, head ?? "", StringComparison.Ordinal));

    /// <summary>After a successful commit: the journals are consumed, then the intent goes.</summary>
    public static void Finish(string repositoryRoot)
    {
        var workFolder = Path.Combine(repositoryRoot, RepositoryLock.FolderName);
        RunJournal.Prune(workFolder, (_, _) => false);
        var intent = CommitIntentFile.In(workFolder);
        if (File.Exists(intent.Path))
        {
            intent.Delete();
        }
    }
}
