using LibGit2Sharp;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Ci;

public enum SpecChangeKind
{
    Added,
    Modified,
    Deleted,
    Renamed,
}

/// <summary>A spec file a pull request touches; <see cref="OldPath"/> is set for a rename.</summary>
public sealed record SpecChange(string Path, SpecChangeKind Kind, string? OldPath = null);

/// <summary>The spec files changed between the merge base of a pull request and its head.</summary>
public sealed record ChangedSpecSet(string MergeBase, string Head, IReadOnlyList<SpecChange> Changes)
{
    /// <summary>Files that exist at the head (added, modified, renamed): what to lint and annotate.</summary>
    public IReadOnlyList<string> PresentAtHead => [.. Changes.Where(c => c.Kind != SpecChangeKind.Deleted).Select(c => c.Path)];

    /// <summary>Files the pull request deletes (or renames away): their specs' dependents may break.</summary>
    public IReadOnlyList<string> Removed =>
        [.. Changes.Where(c => c.Kind is SpecChangeKind.Deleted or SpecChangeKind.Renamed).Select(c => c.OldPath ?? c.Path)];

    public bool IsEmpty => Changes.Count == 0;
}

/// <summary>
/// Which spec files (.yaml, .yml under the specs folder) a pull request touches: the diff from the
/// merge base of base and head to head, as `git diff base...head` shows it, so that commits merged
/// into the base meanwhile are not counted as the pull request's.
/// </summary>
public static class ChangedSpecs
{
    public static ChangedSpecSet Between(string repositoryRoot, string baseRevision, string headRevision, string specsFolder = "specs")
    {
        Repository repository;
        try
        {
            repository = new Repository(repositoryRoot);
        }
        catch (RepositoryNotFoundException)
        {
            throw new SpecSourceException($"{repositoryRoot} is not a Git repository; --base and --head need one");
        }
        using (repository)
        {
            var head = Resolve(repository, headRevision, "--head");
            var @base = Resolve(repository, baseRevision, "--base");
            var mergeBase = repository.ObjectDatabase.FindMergeBase(@base, head)
                ?? throw new SpecSourceException(
                    $"--base {baseRevision} and --head {headRevision} have no common history; in a shallow clone, fetch more (actions/checkout with fetch-depth: 0)");
            var prefix = specsFolder.Trim('/') + "/";
            var changes = repository.Diff.Compare<TreeChanges>(mergeBase.Tree, head.Tree, new CompareOptions { Similarity = SimilarityOptions.Renames });
            var result = new List<SpecChange>();
            foreach (var change in changes)
            {
                var inNew = IsSpec(change.Path, prefix);
                var inOld = IsSpec(change.OldPath, prefix);
                switch (change.Status)
                {
                    case ChangeKind.Added when inNew:
                    case ChangeKind.Copied when inNew:
                        result.Add(new SpecChange(change.Path, SpecChangeKind.Added));
                        break;
                    case ChangeKind.Modified when inNew:
                    case ChangeKind.TypeChanged when inNew:
                        result.Add(new SpecChange(change.Path, SpecChangeKind.Modified));
                        break;
                    case ChangeKind.Deleted when inOld:
                        result.Add(new SpecChange(change.OldPath, SpecChangeKind.Deleted));
                        break;
                    case ChangeKind.Renamed:
                        // A spec moved out of specs/ is a deletion; one moved in is an addition.
                        if (inNew && inOld)
                        {
                            result.Add(new SpecChange(change.Path, SpecChangeKind.Renamed, change.OldPath));
                        }
                        else if (inNew)
                        {
                            result.Add(new SpecChange(change.Path, SpecChangeKind.Added));
                        }
                        else if (inOld)
                        {
                            result.Add(new SpecChange(change.OldPath, SpecChangeKind.Deleted));
                        }
                        break;
                }
            }
            result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return new ChangedSpecSet(mergeBase.Sha, head.Sha, result);
        }
    }

    private static bool IsSpec(string? path, string prefix) =>
        path is not null && path.StartsWith(prefix, StringComparison.Ordinal) && SpecPaths.IsYaml(path);

    private static Commit Resolve(Repository repository, string revision, string option)
    {
        try
        {
            return repository.Lookup<Commit>(revision)
                ?? throw new SpecSourceException($"{option} {revision}: no such commit (try a branch, tag or SHA that 'git log' shows; in CI, fetch it first)");
        }
        catch (LibGit2SharpException e) when (e is InvalidSpecificationException or AmbiguousSpecificationException)
        {
            throw new SpecSourceException($"{option} {revision}: {e.Message}");
        }
    }
}
