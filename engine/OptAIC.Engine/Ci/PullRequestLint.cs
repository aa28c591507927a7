using OptAIC.Engine.Lint;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Ci;

/// <summary>
/// Lint of a pull request: the head's specs are linted whole (references cross files), and the
/// findings are split into those in files the pull request touches or that depend on what it touches
/// (which decide whether it is clean) and those elsewhere (already there before it).
/// </summary>
public sealed record PullRequestLintReport(
    LintReport Report,
    ChangedSpecSet Changes,
    IReadOnlyList<string> DependentFiles,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<Finding> Elsewhere)
{
    /// <summary>The touched files present at the head, then the files that depend on them.</summary>
    public IReadOnlyList<string> AffectedFiles => [.. Changes.PresentAtHead, .. DependentFiles];

    public int Errors => Findings.Count(f => f.Severity == Severity.Error);

    public int Warnings => Findings.Count(f => f.Severity == Severity.Warning);
}

public static class PullRequestLint
{
    public static PullRequestLintReport Run(string repositoryRoot, ChangedSpecSet changes, string specsFolder = "specs", LintOptions? options = null)
    {
        options ??= new LintOptions();
        using var head = new GitRevisionSpecSource(repositoryRoot, changes.Head, [specsFolder]);
        var report = Linter.Run(head, options);
        if (changes.IsEmpty)
        {
            return new PullRequestLintReport(report, changes, [], [], report.Findings);
        }

        var headDocuments = SpecLoader.Load(head, options.Limits).Documents;
        var specs = SpecSet.Build(headDocuments, []);
        var touched = new HashSet<string>(changes.PresentAtHead, StringComparer.Ordinal);

        // What the pull request changes, by name: specs in touched files now, and the ones the changed
        // files held at the merge base (a removed or renamed spec breaks whatever still refers to it).
        var changedNames = headDocuments.Where(d => touched.Contains(d.File) && d.Kind is not null && d.Name is not null)
            .Select(d => (d.Kind!, d.Name!)).ToHashSet();
        var before = changes.Changes.Where(c => c.Kind != SpecChangeKind.Added).Select(c => c.OldPath ?? c.Path).ToList();
        if (before.Count > 0)
        {
            using var mergeBase = new GitRevisionSpecSource(repositoryRoot, changes.MergeBase, [specsFolder]);
            var wanted = before.ToHashSet(StringComparer.Ordinal);
            var old = new FilteredSource(mergeBase, wanted);
            changedNames.UnionWith(SpecLoader.Load(old, options.Limits).Documents
                .Where(d => d.Kind is not null && d.Name is not null).Select(d => (d.Kind!, d.Name!)));
        }

        var affected = new HashSet<string>(touched, StringComparer.Ordinal);
        if (changedNames.Any(n => n.Item1 == SpecKinds.Project))
        {
            // Project settings (data root, registry) apply to every spec.
            affected.UnionWith(headDocuments.Select(d => d.File));
        }
        else
        {
            affected.UnionWith(Dependents(specs, changedNames));
        }
        var dependents = affected.Where(f => !touched.Contains(f)).Order(StringComparer.Ordinal).ToList();
        var inScope = report.Findings.Where(f => affected.Contains(f.File)).ToList();
        var elsewhere = report.Findings.Where(f => !affected.Contains(f.File)).ToList();
        return new PullRequestLintReport(report, changes, dependents, inScope, elsewhere);
    }

    /// <summary>Files of the specs that refer, directly or through others, to any of <paramref name="changed"/>.</summary>
    private static HashSet<string> Dependents(SpecSet specs, HashSet<(string Kind, string Name)> changed)
    {
        // Who refers to whom: a reverse edge from each referenced spec to the spec that refers to it.
        var referrers = new Dictionary<(string, string), List<(string Kind, string Name, string File)>>();
        void Edge(string kind, string? name, string referrerKind, string referrerName, string file)
        {
            if (string.IsNullOrEmpty(name))
            {
                return;
            }
            if (!referrers.TryGetValue((kind, name), out var list))
            {
                referrers[(kind, name)] = list = [];
            }
            list.Add((referrerKind, referrerName, file));
        }
        foreach (var (name, featureSet) in specs.FeatureSets)
        {
            Edge(SpecKinds.Dataset, featureSet.Value.Source, SpecKinds.FeatureSet, name, featureSet.Document.File);
            foreach (var join in featureSet.Value.Join)
            {
                Edge(SpecKinds.Dataset, join.Dataset, SpecKinds.FeatureSet, name, featureSet.Document.File);
            }
        }
        foreach (var (name, instance) in specs.Instances)
        {
            var file = instance.Document.File;
            Edge(SpecKinds.ModelDefinition, instance.Value.Definition, SpecKinds.ModelInstance, name, file);
            Edge(SpecKinds.FeatureSet, instance.Value.Features?.FeatureSet, SpecKinds.ModelInstance, name, file);
            Edge(SpecKinds.ModelInstance, instance.Value.Regime, SpecKinds.ModelInstance, name, file);
            foreach (var input in instance.Value.Inputs)
            {
                Edge(SpecKinds.ModelInstance, input, SpecKinds.ModelInstance, name, file);
            }
        }
        foreach (var (name, pipeline) in specs.Pipelines)
        {
            foreach (var step in pipeline.Value.Steps)
            {
                Edge(SpecKinds.ModelInstance, step.Instance, SpecKinds.Pipeline, name, pipeline.Document.File);
            }
        }

        var files = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<(string, string)>(changed);
        var queue = new Queue<(string, string)>(changed);
        while (queue.TryDequeue(out var node))
        {
            if (!referrers.TryGetValue(node, out var list))
            {
                continue;
            }
            foreach (var (kind, name, file) in list)
            {
                files.Add(file);
                if (seen.Add((kind, name)))
                {
                    queue.Enqueue((kind, name));
                }
            }
        }
        return files;
    }

    /// <summary>Only the given files of a source: the merge base's versions of the changed files.</summary>
    private sealed class FilteredSource(ISpecSource inner, HashSet<string> files) : ISpecSource
    {
        public string Description => inner.Description;

        public string RepositoryRoot => inner.RepositoryRoot;

        public IReadOnlyList<SpecFile> Files() => [.. inner.Files().Where(f => files.Contains(f.Path))];

        public bool Exists(string relativePath) => inner.Exists(relativePath);
    }
}
