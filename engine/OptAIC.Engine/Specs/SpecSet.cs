using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Specs;

/// <summary>A spec bound to its class, with the document it came from (for positions and hashes).</summary>
public sealed record Spec<T>(SpecDocument Document, T Value)
{
    public string Name => Document.Name!;
}

/// <summary>
/// The desired state: every valid spec of a repository by kind and name. The first document of a
/// name wins; later ones are reported as duplicates.
/// </summary>
public sealed class SpecSet
{
    private SpecSet()
    {
    }

    public Spec<ProjectSpec>? Project { get; private set; }

    public IReadOnlyDictionary<string, Spec<DatasetSpec>> Datasets { get; private set; } = Empty<DatasetSpec>();

    public IReadOnlyDictionary<string, Spec<FeatureSetSpec>> FeatureSets { get; private set; } = Empty<FeatureSetSpec>();

    public IReadOnlyDictionary<string, Spec<ModelDefinitionSpec>> Definitions { get; private set; } = Empty<ModelDefinitionSpec>();

    public IReadOnlyDictionary<string, Spec<ModelInstanceSpec>> Instances { get; private set; } = Empty<ModelInstanceSpec>();

    public IReadOnlyDictionary<string, Spec<PipelineSpec>> Pipelines { get; private set; } = Empty<PipelineSpec>();

    /// <summary>The project's settings, or the defaults when the repository has no Project spec.</summary>
    public ProjectSpec ProjectSettings => Project?.Value ?? new ProjectSpec();

    public static SpecSet Build(IEnumerable<SpecDocument> documents, List<Finding> findings)
    {
        var datasets = new SortedDictionary<string, Spec<DatasetSpec>>(StringComparer.Ordinal);
        var featureSets = new SortedDictionary<string, Spec<FeatureSetSpec>>(StringComparer.Ordinal);
        var definitions = new SortedDictionary<string, Spec<ModelDefinitionSpec>>(StringComparer.Ordinal);
        var instances = new SortedDictionary<string, Spec<ModelInstanceSpec>>(StringComparer.Ordinal);
        var pipelines = new SortedDictionary<string, Spec<PipelineSpec>>(StringComparer.Ordinal);
        var set = new SpecSet();
        foreach (var document in documents.Where(d => d.Spec is not null))
        {
            switch (document.Spec)
            {
                case ProjectSpec project:
                    if (set.Project is { } first)
                    {
                        findings.Add(Finding.Error("project-multiple", document.File, document.PositionOf("kind"),
                            $"a second Project spec; a repository has at most one (the first is '{first.Name}' in {first.Document.File}:{first.Document.PositionOf().Line})"));
                    }
                    else
                    {
                        set.Project = new Spec<ProjectSpec>(document, project);
                    }
                    break;
                case DatasetSpec dataset:
                    Add(datasets, document, dataset, findings);
                    break;
                case FeatureSetSpec featureSet:
                    Add(featureSets, document, featureSet, findings);
                    break;
                case ModelDefinitionSpec definition:
                    Add(definitions, document, definition, findings);
                    break;
                case ModelInstanceSpec instance:
                    Add(instances, document, instance, findings);
                    break;
                case PipelineSpec pipeline:
                    Add(pipelines, document, pipeline, findings);
                    break;
            }
        }
        set.Datasets = datasets;
        set.FeatureSets = featureSets;
        set.Definitions = definitions;
        set.Instances = instances;
        set.Pipelines = pipelines;
        return set;
    }

    private static void Add<T>(SortedDictionary<string, Spec<T>> target, SpecDocument document, T value, List<Finding> findings)
    {
        var name = document.Name!;
        if (target.TryGetValue(name, out var first))
        {
            findings.Add(Finding.Error("duplicate-name", document.File, document.PositionOf("metadata", "name"),
                $"{document.Kind} '{name}' is already defined in {first.Document.File}:{first.Document.PositionOf("metadata", "name").Line}; names are unique per kind"));
            return;
        }
        target[name] = new Spec<T>(document, value);
    }

    private static SortedDictionary<string, Spec<T>> Empty<T>() => new(StringComparer.Ordinal);
}
