using Newtonsoft.Json.Linq;

namespace OptAIC.Engine.Specs.Model;

// The spec model: plain classes bound from documents that already passed their JSON Schema
// (schemas/*.schema.json), so the schema, not this code, decides what is valid. Enumerations stay
// strings here: the schema has already restricted them to their allowed values.

public sealed class ProjectSpec
{
    public string? DataRoot { get; set; }
    public string? RegistryPath { get; set; }
    public ArtifactStoreSpec? ArtifactStore { get; set; }
    public CommitSpec? Commit { get; set; }
    public ConcurrencySpec? Concurrency { get; set; }
    public TemplatesSpec? Templates { get; set; }
}

public sealed class ArtifactStoreSpec
{
    public string? Type { get; set; }
    public string? Path { get; set; }
    public long? MaxArtifactBytes { get; set; }
}

public sealed class CommitSpec
{
    public string? AuthorName { get; set; }
    public string? AuthorEmail { get; set; }
    public string? MessagePrefix { get; set; }
}

public sealed class ConcurrencySpec
{
    public int? MaxParallelRuns { get; set; }
}

public sealed class TemplatesSpec
{
    public string? ModelCard { get; set; }
    public string? PullRequestComment { get; set; }
}

public sealed class DatasetSpec
{
    public string? Description { get; set; }
    public string Format { get; set; } = "csv";
    public string Path { get; set; } = "";
    public string TimeColumn { get; set; } = "";
    public string? EntityColumn { get; set; }
    public string KnowledgeLag { get; set; } = "0";
    public string? Frequency { get; set; }
    public string? PublicationColumn { get; set; }
    public string? Events { get; set; }
    public AggregateSpec? Aggregate { get; set; }
    public List<ColumnSpec> Columns { get; set; } = [];
    public CsvSpec? Csv { get; set; }
}

public sealed class ColumnSpec
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "double";
    public string? Format { get; set; }
    public string? TimeZone { get; set; }
    public string? Description { get; set; }
}

public sealed class AggregateSpec
{
    public string Every { get; set; } = "";
    public Dictionary<string, string>? Functions { get; set; }
}

public sealed class CsvSpec
{
    public string? Delimiter { get; set; }
    public bool? Header { get; set; }
    public List<string>? NullValues { get; set; }
}

public sealed class FeatureSetSpec
{
    public string? Description { get; set; }
    public string Source { get; set; } = "";
    public List<JoinSpec> Join { get; set; } = [];
    public List<FeatureSpec> Features { get; set; } = [];
    public List<FeatureSpec> Targets { get; set; } = [];
}

public sealed class JoinSpec
{
    public string Dataset { get; set; } = "";
    public List<string>? Columns { get; set; }
    public string? Prefix { get; set; }
}

public sealed class FeatureSpec
{
    public string Name { get; set; } = "";
    public string Expr { get; set; } = "";
    public string? Description { get; set; }
}

public sealed class ModelDefinitionSpec
{
    public string Category { get; set; } = "";
    public DocsSpec Docs { get; set; } = new();
    public ModelComponentSpec Model { get; set; } = new();
    public TrainingComponentSpec Training { get; set; } = new();
    public InferenceComponentSpec Inference { get; set; } = new();
    public MonitoringComponentSpec Monitoring { get; set; } = new();
    public TestsComponentSpec Tests { get; set; } = new();
}

public sealed class DocsSpec
{
    public string Description { get; set; } = "";
    public string? Owner { get; set; }
    public string? IntendedUse { get; set; }
    public string? Limitations { get; set; }
    public string? ModelCard { get; set; }
}

public sealed class ModelComponentSpec
{
    public string Algorithm { get; set; } = "";
    public string? Task { get; set; }
    public List<string>? Classes { get; set; }

    /// <summary>The JSON Schema of the instances' hyperparameters, kept as JSON.</summary>
    public JObject? Hyperparameters { get; set; }

    public OnnxSpec? Onnx { get; set; }
}

public sealed class OnnxSpec
{
    public string Path { get; set; } = "";
    public string? Input { get; set; }
    public List<OnnxInputSpec>? Inputs { get; set; }
    public string Output { get; set; } = "";
    public string? Label { get; set; }
}

public sealed class OnnxInputSpec
{
    public string Name { get; set; } = "";
    public List<string> Features { get; set; } = [];
}

public sealed class TrainingComponentSpec
{
    public ValidationSpec Validation { get; set; } = new();
    public List<string> Metrics { get; set; } = [];
}

public sealed class ValidationSpec
{
    public string Scheme { get; set; } = "walk-forward";
    public int? Folds { get; set; }
    public int? Embargo { get; set; }
    public string? Window { get; set; }
}

public sealed class InferenceComponentSpec
{
    public string? Transform { get; set; }
    public List<double>? Bounds { get; set; }
    public bool? AllowNaN { get; set; }
    public double? MinCoverage { get; set; }
    public double? Threshold { get; set; }
    public int? TopK { get; set; }
    public List<string>? BlockedRegimes { get; set; }
}

public sealed class MonitoringComponentSpec
{
    public DriftSpec? Drift { get; set; }
    public PerformanceSpec? Performance { get; set; }
    public List<AlertSpec> Alerts { get; set; } = [];
}

public sealed class DriftSpec
{
    public string? Method { get; set; }
    public double? Threshold { get; set; }
    public double? DatasetShare { get; set; }
    public Dictionary<string, ColumnDriftSpec>? Columns { get; set; }
}

public sealed class ColumnDriftSpec
{
    public string? Method { get; set; }
    public double? Threshold { get; set; }
}

public sealed class PerformanceSpec
{
    public List<string>? Metrics { get; set; }
    public int? Window { get; set; }
    public double? DecayBelow { get; set; }
}

public sealed class AlertSpec
{
    public string Name { get; set; } = "";
    public string When { get; set; } = "";
    public string? Severity { get; set; }
}

public sealed class TestsComponentSpec
{
    public List<GateSpecModel> Gates { get; set; } = [];
}

public sealed class GateSpecModel
{
    public string Metric { get; set; } = "";
    public string Op { get; set; } = ">=";
    public double Threshold { get; set; }
    public string? Description { get; set; }
}

public sealed class ModelInstanceSpec
{
    public string? Description { get; set; }
    public string Definition { get; set; } = "";
    public FeatureSelectionSpec? Features { get; set; }
    public string? Target { get; set; }
    public List<string> Inputs { get; set; } = [];
    public string? Regime { get; set; }
    public DateWindowSpec Training { get; set; } = new();
    public DateWindowSpec? Inference { get; set; }
    public InstanceMonitoringSpec? Monitoring { get; set; }
    public JObject? Hyperparameters { get; set; }
    public int Seed { get; set; }
    public PromotionSpec? Promotion { get; set; }
    public RetrainSpec? Retrain { get; set; }
}

public sealed class FeatureSelectionSpec
{
    public string FeatureSet { get; set; } = "";
    public List<string>? Include { get; set; }
    public List<string>? Exclude { get; set; }
}

public sealed class DateWindowSpec
{
    public string? Start { get; set; }
    public string? End { get; set; }
}

public sealed class InstanceMonitoringSpec
{
    public DateWindowSpec? Current { get; set; }
}

public sealed class PromotionSpec
{
    public string? Policy { get; set; }
    public string? Metric { get; set; }
    public double? Margin { get; set; }
    public int? Version { get; set; }
}

public sealed class RetrainSpec
{
    public string? Schedule { get; set; }
    public bool? OnDrift { get; set; }
    public bool? OnDecay { get; set; }
}

public sealed class PipelineSpec
{
    public string? Description { get; set; }
    public string? Schedule { get; set; }
    public List<PipelineStepSpec> Steps { get; set; } = [];
}

public sealed class PipelineStepSpec
{
    public string Name { get; set; } = "";
    public string Action { get; set; } = "";
    public string Instance { get; set; } = "";
    public List<string> DependsOn { get; set; } = [];
    public int? Retries { get; set; }
    public string? Timeout { get; set; }
}
