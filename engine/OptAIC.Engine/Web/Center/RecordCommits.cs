using LibGit2Sharp;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// Which commit recorded each run: the first commit of HEAD's history whose registry tree added the run's record
/// (<c>&lt;registry&gt;/&lt;instance&gt;/runs/&lt;id&gt;.yaml</c>). Walks at most <see cref="MaxCommits"/> commits, newest first.
/// </summary>
public static class RecordCommits
{
    public const int MaxCommits = 2000;

    /// <summary>Run id to the sha of the commit that added its record; empty outside Git.</summary>
    public static IReadOnlyDictionary<string, string> Read(string repositoryRoot, string registryPath)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var gitDir = Repository.Discover(repositoryRoot);
            if (gitDir is null)
            {
                return found;
            }
            using var repo = new Repository(gitDir);
            if (repo.Head.Tip is null)
            {
                return found;
            }
            var registry = registryPath.Replace('\\', '/').Trim('/');
            var walked = 0;
            foreach (var commit in repo.Commits.QueryBy(new CommitFilter { SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time, FirstParentOnly = true }))
            {
                if (++walked > MaxCommits)
                {
                    break;
                }
                var tree = commit[registry]?.Target as Tree;
                var parentTree = commit.Parents.FirstOrDefault()?[registry]?.Target as Tree;
                if (tree is null || (parentTree is not null && parentTree.Sha == tree.Sha))
                {
                    continue;
                }
                foreach (var instance in tree.Where(e => e.TargetType == TreeEntryTargetType.Tree))
                {
                    var runs = (instance.Target as Tree)?["runs"]?.Target as Tree;
                    var parentRuns = (parentTree?[instance.Name]?.Target as Tree)?["runs"]?.Target as Tree;
                    if (runs is null || (parentRuns is not null && parentRuns.Sha == runs.Sha))
                    {
                        continue;
                    }
                    foreach (var run in runs)
                    {
                        if (run.Name.EndsWith(".yaml", StringComparison.Ordinal) && parentRuns?[run.Name] is null)
                        {
                            // Newest first: an older commit that added it (a re-added record) overrides, so keep the oldest.
                            found[run.Name[..^5]] = commit.Sha;
                        }
                    }
                }
            }
        }
        catch (LibGit2SharpException)
        {
            // A repository being rewritten: the pages show no recording commit rather than fail.
        }
        return found;
    }
}
