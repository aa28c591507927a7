using Newtonsoft.Json.Linq;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Plan;

public sealed record InstanceFingerprints(FingerprintParts Train, FingerprintParts Infer, FingerprintParts Monitor);

/// <summary>
/// The parts that decide each result of an instance. Train: the definition's model, training and
/// tests; the features' expressions (with what they reference) and the target; the datasets' specs and
/// content versions; the window, hyperparameters with defaults applied, and seed; the engine and
/// trainer versions; Infer and monitor: the model version, their own settings,
/// the data they read, and for combiners and filters the outputs of their inputs. Descriptions and docs decide nothing.
/// </summary>
public static class DesiredFingerprints
{
    public const string Train = "train";
    public const string Infer = "infer";
    public const string Monitor = "monitor";

    public static InstanceFingerprints For(SpecSet specs, Spec<ModelInstanceSpec> instance, ModelDefinitionSpec definition, RegistrySnapshot actual, PlanningContext context)
    {
        var spec = instance.Value;
        var definitionJson = (JObject)specs.Definitions[spec.Definition].Document.SpecJson;
        var data = DataParts(specs, spec, context);

        var train = ImportedModels.IsImported(definition)
            ? ImportParts(spec, definition, definitionJson, data, context)
            : TrainParts(spec, definition, definitionJson, data, context);
        // Inputs' outputs are not part of training: a combiner keeps its weights until its own spec
        // changes or a trigger fires, and is re-scored when an input changes (see Infer).
        var inputs = InputParts(spec, actual);

        var state = actual.Instances.GetValueOrDefault(instance.Name);

        var serving = state?.ProductionVersion ?? state?.LatestVersion;
        var infer = new FingerprintParts()
            .Add("model.version", serving?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")
            .AddJson("definition.inference", definitionJson["inference"])
            .Add("inference.start", spec.Inference?.Start ?? "after-training")
            .Add("inference.end", spec.Inference?.End ?? "latest")
            .Add("engine", context.EngineVersion);
        data.CopyTo(infer);
        inputs.CopyTo(infer);

        var monitor = new FingerprintParts()
            .Add("model.version", serving?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none")
            .AddJson("definition.monitoring", definitionJson["monitoring"])
            .Add("monitoring.current.start", spec.Monitoring?.Current?.Start ?? spec.Inference?.Start ?? "after-training")
            .Add("monitoring.current.end", spec.Monitoring?.Current?.End ?? "latest")
            .Add("predictions", state?.Applied.GetValueOrDefault(Infer)?.Fingerprint ?? "none")
            .Add("engine", context.EngineVersion);
        data.CopyTo(monitor);

        return new InstanceFingerprints(train, infer, monitor);
    }

    private static FingerprintParts TrainParts(ModelInstanceSpec spec, ModelDefinitionSpec definition, JObject definitionJson, FingerprintParts data, PlanningContext context)
    {
        var train = new FingerprintParts()
            .Add("definition", spec.Definition)
            .Add("definition.category", definition.Category)
            .AddJson("definition.model", WithoutHyperparameterSchema(definitionJson["model"]))
            .Add("definition.model.hyperparameters", definitionJson["model"]?["hyperparameters"] is { } schema ? Canonical.Hash(schema) : null)
            .AddJson("definition.training", definitionJson["training"])
            .AddJson("definition.tests", definitionJson["tests"])
            .Add("training.start", spec.Training.Start)
            .Add("training.end", spec.Training.End ?? "latest")
            .Add("seed", spec.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("engine", context.EngineVersion)
            .Add("trainer", context.TrainerVersion);
        foreach (var (key, value) in Hyperparameters.Resolve(definition, spec))
        {
            train.AddJson($"hyperparameters.{key}", value);
        }
        data.CopyTo(train);
        // A fixed window reads only the rows up to its end: rows appended later change nothing it learns from.
        if (Schedules.ParseDate(spec.Training.End) is { } end && context.WindowVersion is { } window)
        {
            foreach (var key in train.Parts.Keys.Where(k => k.StartsWith(PartChange.DatasetPrefix, StringComparison.Ordinal)).ToList())
            {
                train.Add(key, window(key[PartChange.DatasetPrefix.Length..], end));
            }
        }
        return train;
    }

    /// <summary>
    /// An imported model's version is decided by its file (sha256), how the spec reads it, which features
    /// it is fed, and the evaluation window; new rows of data re-score it but never import it again.
    /// </summary>
    private static FingerprintParts ImportParts(ModelInstanceSpec spec, ModelDefinitionSpec definition, JObject definitionJson, FingerprintParts data, PlanningContext context)
    {
        var parts = new FingerprintParts()
            .Add("definition", spec.Definition)
            .Add("definition.category", definition.Category)
            .AddJson("definition.model", definitionJson["model"])
            .AddJson("definition.training", definitionJson["training"])
            .AddJson("definition.tests", definitionJson["tests"])
            .Add(FingerprintParts.OnnxFileKey, context.ImportedFiles.GetValueOrDefault(spec.Definition) ?? "unknown")
            .Add("evaluation.start", spec.Training.Start)
            .Add("evaluation.end", spec.Training.Start is null ? null : spec.Training.End ?? "latest")
            .Add("engine", context.EngineVersion);
        foreach (var (key, value) in data.Parts.Where(p => !p.Key.StartsWith(PartChange.DatasetPrefix, StringComparison.Ordinal)))
        {
            parts.Add(key, value);
        }
        return parts;
    }

    /// <summary>The feature set's source and joined datasets, the features the instance reads (and what they reference), and its target.</summary>
    private static FingerprintParts DataParts(SpecSet specs, ModelInstanceSpec spec, PlanningContext context)
    {
        var parts = new FingerprintParts();
        if (spec.Features is not { } selection || !specs.FeatureSets.TryGetValue(selection.FeatureSet, out var featureSet))
        {
            return parts;
        }
        var set = featureSet.Value;
        var selected = SelectedFeatures(set, selection);
        parts.Add("features", string.Join(", ", selected));
        parts.Add("featureSet", selection.FeatureSet);
        var expressions = set.Features.Concat(set.Targets).ToDictionary(f => f.Name, f => f.Expr, StringComparer.Ordinal);
        var needed = Closure(selected.Concat(spec.Target is null ? [] : [spec.Target]), expressions);
        foreach (var name in needed)
        {
            parts.Add($"feature.{name}", expressions[name]);
        }
        parts.Add("target", spec.Target);
        foreach (var dataset in new[] { set.Source }.Concat(set.Join.Select(j => j.Dataset)).Distinct())
        {
            if (specs.Datasets.TryGetValue(dataset, out var datasetSpec))
            {
                var json = (JObject)datasetSpec.Document.SpecJson.DeepClone();
                json.Remove("description");
                parts.Add($"datasetSpec.{dataset}", Canonical.Hash(json));
            }
            parts.Add(PartChange.DatasetPrefix + dataset, context.DatasetVersions.GetValueOrDefault(dataset) ?? "unknown");
        }
        if (set.Join.Count > 0)
        {
            parts.AddJson("featureSet.join", JToken.FromObject(set.Join));
        }
        return parts;
    }

    /// <summary>The features an instance reads: include (default all) minus exclude, in the set's order.</summary>
    public static IReadOnlyList<string> SelectedFeatures(FeatureSetSpec set, FeatureSelectionSpec selection)
    {
        var include = selection.Include is null ? null : new HashSet<string>(selection.Include, StringComparer.Ordinal);
        var exclude = new HashSet<string>(selection.Exclude ?? [], StringComparer.Ordinal);
        return [.. set.Features.Select(f => f.Name).Where(n => (include is null || include.Contains(n)) && !exclude.Contains(n))];
    }

    private static FingerprintParts InputParts(ModelInstanceSpec spec, RegistrySnapshot actual)
    {
        var parts = new FingerprintParts();
        foreach (var input in Planner.Upstream(spec))
        {
            var applied = actual.Instances.GetValueOrDefault(input)?.Applied.GetValueOrDefault(Infer);
            parts.Add(PartChange.InputPrefix + input, applied?.Fingerprint ?? "none");
        }
        return parts;
    }

    /// <summary>The named definitions and every feature or target they reference, transitively.</summary>
    private static SortedSet<string> Closure(IEnumerable<string> roots, Dictionary<string, string> expressions)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(roots);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!expressions.TryGetValue(name, out var expression) || !result.Add(name))
            {
                continue;
            }
            foreach (var token in Planner.Identifier().Matches(expression).Select(m => m.Value))
            {
                if (expressions.ContainsKey(token))
                {
                    pending.Push(token);
                }
            }
        }
        return result;
    }

    private static JToken? WithoutHyperparameterSchema(JToken? model)
    {
        if (model is not JObject obj)
        {
            return model;
        }
        var copy = (JObject)obj.DeepClone();
        copy.Remove("hyperparameters");
        return copy;
    }
}

internal static class FingerprintPartsExtensions
{
    public static void CopyTo(this FingerprintParts source, FingerprintParts target)
    {
        foreach (var (key, value) in source.Parts)
        {
            target.Add(key, value);
        }
    }
}
