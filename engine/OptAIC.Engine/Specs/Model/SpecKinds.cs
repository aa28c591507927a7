namespace OptAIC.Engine.Specs.Model;

public static class SpecKinds
{
    public const string ApiVersion = "optaic.io/v1";
    public const string Project = "Project";
    public const string Dataset = "Dataset";
    public const string FeatureSet = "FeatureSet";
    public const string ModelDefinition = "ModelDefinition";
    public const string ModelInstance = "ModelInstance";
    public const string Pipeline = "Pipeline";

    public static readonly IReadOnlyList<string> All = [Project, Dataset, FeatureSet, ModelDefinition, ModelInstance, Pipeline];

    public static Type SpecType(string kind) => kind switch
    {
        Project => typeof(ProjectSpec),
        Dataset => typeof(DatasetSpec),
        FeatureSet => typeof(FeatureSetSpec),
        ModelDefinition => typeof(ModelDefinitionSpec),
        ModelInstance => typeof(ModelInstanceSpec),
        Pipeline => typeof(PipelineSpec),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown kind"),
    };

    /// <summary>The schema file of a kind: schemas/&lt;kind in lower case&gt;.schema.json.</summary>
    public static string SchemaFileName(string kind) => kind.ToLowerInvariant() + ".schema.json";
}
