using System.Text.Json;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.ML.Models;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Web.Serving;

/// <summary>A model version cannot be served (its artifact is missing or damaged, its spec is gone, or its kind is not served).</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Scores of one request: one published score per row, and for a classifier the K class probabilities per row.</summary>
public sealed record ScoredRows(int Rows, double[] Scores, double[]? Probabilities, int Classes);

/// <summary>
/// One registered version of an instance, loaded and ready to score: the artifact's model (through
/// <see cref="IBatchScorer"/>, the interface apply scores with), the features in the model's order, and the
/// definition's output transform and guardrails (<see cref="LearnerScoring"/>, apply's own). Immutable and
/// thread-safe; never disposed while a request may hold it (a swapped-out version is left to the collector).
/// </summary>
public sealed class ServedModel
{
    private ServedModel(string name, int version, VersionRecord record, ModelDefinitionSpec definition, ModelBundle bundle, IBatchScorer scorer, bool panel, string key)
    {
        Name = name;
        Version = version;
        Record = record;
        Definition = definition;
        Bundle = bundle;
        Scorer = scorer;
        Panel = panel;
        Key = key;
        Features = [.. scorer.FeatureNames];
        Multiclass = TrainActivity.Task(definition) == ModelTask.Multiclass;
        Transform = LearnerScoring.TransformFor(definition);
        Guardrails = LearnerScoring.GuardrailsFor(definition, Multiclass);
        FeatureIndex = Features.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
        // A categorical feature (the model keeps its training categories by name) is sent as BYTES: its category.
        var categories = (scorer as TrainedModel)?.Categories ?? new Dictionary<string, string[]>();
        Categories = categories.ToDictionary(
            c => c.Key,
            c => (IReadOnlyDictionary<string, int>)c.Value.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal),
            StringComparer.Ordinal);
        CategoryNames = categories.ToDictionary(c => c.Key, c => (IReadOnlyList<string>)c.Value, StringComparer.Ordinal);
    }

    public string Name { get; }

    public int Version { get; }

    public VersionRecord Record { get; }

    public ModelDefinitionSpec Definition { get; }

    public ModelBundle Bundle { get; }

    public IBatchScorer Scorer { get; }

    /// <summary>The instance's data has an entity column: a panel rank ranks the rows of one request as one date.</summary>
    public bool Panel { get; }

    /// <summary>What makes two loads the same: instance, version, artifact and the definition's scoring settings.</summary>
    public string Key { get; }

    public IReadOnlyList<string> Features { get; }

    public IReadOnlyDictionary<string, int> FeatureIndex { get; }

    public bool Multiclass { get; }

    /// <summary>The categorical features: each one's categories (as the model learnt them) to their index in the model's input.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Categories { get; }

    /// <summary>The categorical features' categories, in the model's order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CategoryNames { get; }

    public bool HasCategories => Categories.Count > 0;

    public IReadOnlyList<string> Classes => Bundle.Classes;

    public OutputTransform Transform { get; }

    public Guardrails Guardrails { get; }

    /// <summary>Model categories scored from feature rows; combiners and filters score other instances' predictions.</summary>
    public static bool IsServedCategory(string category) => category is not ("combining" or "filtering");

    /// <summary>The key a load of this version would have now (so a reload keeps a model whose key did not change).</summary>
    public static string KeyOf(VersionRecord record, ModelDefinitionSpec definition) =>
        $"{record.Instance}/{record.Version}/{record.Artifact.Sha256}/{definition.Category}/{JsonSerializer.Serialize(definition.Inference)}";

    /// <summary>Loads version <paramref name="version"/> of instance <paramref name="name"/>: its record, its artifact and its definition in the specs.</summary>
    /// <exception cref="ModelLoadException">It cannot be served; the message says why.</exception>
    public static ServedModel Load(SpecSet specs, RegistryStore store, string name, int version)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(store);
        if (!specs.Instances.TryGetValue(name, out var instance))
        {
            throw new ModelLoadException($"{name} is not in the specs");
        }
        if (!specs.Definitions.TryGetValue(instance.Value.Definition, out var definition))
        {
            throw new ModelLoadException($"{name}: its definition {instance.Value.Definition} is not in the specs");
        }
        if (!IsServedCategory(definition.Value.Category))
        {
            throw new ModelLoadException($"{name} is a {definition.Value.Category} model: it scores other instances' predictions, not feature rows, and is not served");
        }
        var record = store.GetVersion(name, version) ?? throw new ModelLoadException($"{name} has no version {version}");
        try
        {
            var bundle = ModelBundle.FromBytes(store.ReadArtifact(record.Artifact));
            // The one way a version scores, as apply's infer step opens it: ML.NET trained here, or an imported ONNX model.
            var scorer = bundle.OpenScorer(definition.Value);
            var panel = instance.Value.Features is { } selection
                && specs.FeatureSets.TryGetValue(selection.FeatureSet, out var set)
                && specs.Datasets.TryGetValue(set.Value.Source, out var dataset)
                && dataset.Value.EntityColumn is not null;
            var served = new ServedModel(name, version, record, definition.Value, bundle, scorer, panel, KeyOf(record, definition.Value));
            if (!served.Multiclass)
            {
                // A classifier publishes its classes (apply's infer step applies no transform to them either).
                served.Transform.CheckState(bundle.Transform, panel);
            }
            return served;
        }
        catch (Exception e) when (e is JobException or ModelArtifactException or RegistryException or OutputTransformException or IOException or InvalidDataException)
        {
            throw new ModelLoadException($"{name} version {version} cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>
    /// Scores row-major feature rows exactly as apply's infer step does: raw outputs, then the class (classifiers)
    /// or the output transform with the version's training statistics, then the guardrails.
    /// </summary>
    /// <exception cref="GuardrailException">A score is out of bounds or not a number.</exception>
    public ScoredRows Score(ReadOnlySpan<float> features, int rows)
    {
        var raw = LearnerScoring.Raw(Scorer, features, rows);
        if (Multiclass)
        {
            var width = Scorer.OutputWidth;
            var predicted = LearnerScoring.Argmax(raw, rows, width);
            LearnerScoring.CheckGuardrails(Definition, predicted, classes: true);
            return new ScoredRows(rows, predicted, raw, width);
        }
        // Every row of one request is one moment: a panel rank ranks them as one date.
        var time = rows <= Times.Length ? Times.AsSpan(0, rows) : new DateTime[rows];
        LearnerScoring.Transform(Definition, raw, time, Panel, Bundle);
        LearnerScoring.CheckGuardrails(Definition, raw, classes: false);
        return new ScoredRows(rows, raw, null, 1);
    }

    private static readonly DateTime[] Times = new DateTime[1024];
}
