using Newtonsoft.Json.Linq;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>A definition's category decides what its model, inference and instances may be.</summary>
internal static class DefinitionChecks
{
    public static void Check(LintContext ctx)
    {
        foreach (var definition in ctx.Specs.Definitions.Values)
        {
            CheckDefinition(ctx, definition.Document, definition.Value);
        }
        foreach (var instance in ctx.Specs.Instances.Values)
        {
            if (ctx.Specs.Definitions.TryGetValue(instance.Value.Definition, out var definition))
            {
                CheckInstance(ctx, instance, definition.Value);
            }
        }
    }

    private static void CheckDefinition(LintContext ctx, SpecDocument document, ModelDefinitionSpec spec)
    {
        var algorithm = spec.Model.Algorithm;
        var allowed = ML.Algorithms.ForCategory(spec.Category);
        if (!allowed.Contains(algorithm))
        {
            ctx.Error("category-algorithm", document, ["spec", "model", "algorithm"],
                $"a {spec.Category} model cannot use algorithm '{algorithm}'; use one of: {string.Join(", ", allowed)}");
        }

        var bounds = spec.Inference.Bounds;
        if (bounds is { Count: 2 } && bounds[0] >= bounds[1])
        {
            ctx.Error("inference-bounds", document, ["spec", "inference", "bounds"], $"bounds [{bounds[0]}, {bounds[1]}]: the low bound must be below the high one");
        }
        if (spec.Category is "signal" or "combining" or "filtering")
        {
            if (bounds is { Count: 2 } && (bounds[0] < -1 || bounds[1] > 1))
            {
                ctx.Error("signal-bounds", document, ["spec", "inference", "bounds"],
                    $"a {spec.Category} model outputs a signal in [-1, 1], but its bounds are [{bounds[0]}, {bounds[1]}]; narrow them to lie within [-1, 1]");
            }
            var transform = spec.Inference.Transform ?? (spec.Category == "signal" ? "tanh-zscore" : "none");
            if (spec.Category == "signal" && transform == "none" && bounds is null)
            {
                ctx.Error("signal-bounds", document, ["spec", "inference"],
                    "a signal's raw scores are unbounded: set a transform (tanh-zscore, rank or clip) or bounds within [-1, 1]");
            }
        }

        var task = spec.Model.Task ?? (spec.Category == "regime" ? "multiclass" : "regression");
        if (spec.Category == "regime" && task == "regression")
        {
            ctx.Error("category-task", document, ["spec", "model", "task"], "a regime model classifies: use task binary or multiclass");
        }
        if (spec.Category == "signal" && task == "multiclass")
        {
            ctx.Error("category-task", document, ["spec", "model", "task"], "a signal is one number per row: use task regression or binary");
        }
        if (spec.Model.Classes is { } classes && task == "binary" && classes.Count != 2)
        {
            ctx.Error("category-task", document, ["spec", "model", "classes"], $"a binary model has 2 classes, not {classes.Count}");
        }
        if (algorithm == "onnx" && spec.Model.Onnx is null)
        {
            ctx.Error("onnx-declaration", document, ["spec", "model"], "algorithm onnx needs model.onnx with path, input (or inputs) and output names");
        }
        else if (algorithm == "onnx" && spec.Model.Onnx is { } onnx && (onnx.Input is null) == (onnx.Inputs is null))
        {
            ctx.Error("onnx-declaration", document, ["spec", "model", "onnx"],
                "give 'input' (one input takes every feature) or 'inputs' (each named input with its features), not both or neither");
        }
        if (algorithm == "threshold" && spec.Inference.Threshold is null)
        {
            ctx.Error("filter-parameters", document, ["spec", "inference"], "a threshold filter needs inference.threshold");
        }
        if (algorithm == "top-k" && spec.Inference.TopK is null)
        {
            ctx.Error("filter-parameters", document, ["spec", "inference"], "a top-k filter needs inference.topK");
        }
        if (algorithm == "regime-gate" && (spec.Inference.BlockedRegimes is null || spec.Inference.BlockedRegimes.Count == 0))
        {
            ctx.Error("filter-parameters", document, ["spec", "inference"], "a regime-gate filter needs inference.blockedRegimes (the regime classes in which the signal is off)");
        }

        foreach (var (path, message) in Hyperparameters.SchemaProblems(spec))
        {
            ctx.Error("hyperparameters-schema", document, ["spec", "model", "hyperparameters", .. path], message);
        }
        if (spec.Model.Hyperparameters is { } schema && schema["type"] is { Type: JTokenType.String } type && (string)type! != "object")
        {
            ctx.Error("hyperparameters-schema", document, ["spec", "model", "hyperparameters", "type"], $"the hyperparameter schema must be of type object, not {type}");
        }

        var metrics = spec.Training.Metrics;
        for (var i = 0; i < spec.Tests.Gates.Count; i++)
        {
            var gate = spec.Tests.Gates[i];
            if (ML.Metrics.MetricCatalog.Find(ML.Training.MetricSet.Normalise(gate.Metric)) is null)
            {
                ctx.Error("gate-metric", document, ["spec", "tests", "gates", i, "metric"],
                    $"gate on '{gate.Metric}', which is not a metric{Specs.Text.Suggestions.DidYouMean(gate.Metric, ML.Metrics.MetricCatalog.Names)}; known metrics: {string.Join(", ", ML.Metrics.MetricCatalog.Names)}");
            }
            else if (metrics.Count > 0 && !metrics.Contains(gate.Metric))
            {
                ctx.Error("gate-metric", document, ["spec", "tests", "gates", i, "metric"],
                    $"gate on '{gate.Metric}', which training does not compute{Specs.Text.Suggestions.DidYouMean(gate.Metric, metrics)}; add it to training.metrics (now: {string.Join(", ", metrics)})");
            }
        }
    }

    private static void CheckInstance(LintContext ctx, Spec<ModelInstanceSpec> instance, ModelDefinitionSpec definition)
    {
        var spec = instance.Value;
        var document = instance.Document;
        var specs = ctx.Specs;

        switch (definition.Category)
        {
            case "combining":
                if (spec.Inputs.Count < 2)
                {
                    ctx.Error("combiner-inputs", document, ["spec", "inputs"],
                        $"a combining model reads at least two signals; it has {spec.Inputs.Count}");
                }
                CheckInputsAreSignals(ctx, instance);
                break;
            case "filtering":
                if (spec.Inputs.Count != 1)
                {
                    ctx.Error("filter-inputs", document, ["spec", "inputs"], $"a filtering model reads exactly one signal; it has {spec.Inputs.Count}");
                }
                CheckInputsAreSignals(ctx, instance);
                if (definition.Model.Algorithm == "regime-gate")
                {
                    if (spec.Regime is null)
                    {
                        ctx.Error("filter-inputs", document, ["spec"], "a regime-gate filter needs 'regime': the regime instance that gates the signal");
                    }
                    else if (specs.Instances.TryGetValue(spec.Regime, out var regime)
                        && specs.Definitions.TryGetValue(regime.Value.Definition, out var regimeDefinition))
                    {
                        if (regimeDefinition.Value.Category != "regime")
                        {
                            ctx.Error("filter-inputs", document, ["spec", "regime"], $"'{spec.Regime}' is a {regimeDefinition.Value.Category} model, not a regime model");
                        }
                        else if (regimeDefinition.Value.Model.Classes is { } classes)
                        {
                            var blocked = definition.Inference.BlockedRegimes ?? [];
                            foreach (var name in blocked.Where(b => !classes.Contains(b)))
                            {
                                ctx.Error("unresolved-reference", document, ["spec", "regime"],
                                    $"the definition blocks regime '{name}', but {spec.Regime} has classes {string.Join(", ", classes)}");
                            }
                        }
                    }
                }
                break;
            default:
                if (spec.Features is null)
                {
                    ctx.Error("instance-features", document, ["spec"], $"a {definition.Category} model needs 'features' (a featureSet, and optionally include/exclude)");
                }
                else if (spec.Features.Include is { Count: 0 })
                {
                    ctx.Error("instance-features", document, ["spec", "features", "include"], "include lists no feature; a trained model needs at least one");
                }
                if (spec.Inputs.Count > 0)
                {
                    ctx.Error("instance-inputs", document, ["spec", "inputs"], $"a {definition.Category} model does not read other models; 'inputs' is for combining and filtering models");
                }
                break;
        }
        var imported = ImportedModels.IsImported(definition);
        if (!imported && spec.Training.Start is null)
        {
            ctx.Error("schema-required", document, ["spec"], $"a {definition.Model.Algorithm} model needs a 'training' window (start, optionally end); only imported (onnx) models score without one");
        }
        // An imported model needs a target only to compute metrics and gates on labelled rows.
        if (spec.Target is null && definition.Category != "filtering" && !imported)
        {
            ctx.Error("instance-target", document, ["spec"], $"a {definition.Category} model needs a 'target' (a target of its feature set)");
        }

        foreach (var (path, message) in Hyperparameters.Validate(definition, spec))
        {
            object[] at = path.Length == 0 ? ["spec", "hyperparameters"] : ["spec", "hyperparameters", .. Specs.JsonPath.Parse(path)];
            ctx.Error("hyperparameters", document, at, $"hyperparameters{(path.Length == 0 ? "" : "." + path)}: {message} (schema in definition {spec.Definition})");
        }

        if (spec.Promotion is { } promotion)
        {
            if (promotion.Policy == "pinned" && promotion.Version is null)
            {
                ctx.Error("promotion-policy", document, ["spec", "promotion"], "policy pinned needs 'version': the version that is to be in production");
            }
            if (promotion.Policy != "pinned" && promotion.Version is not null)
            {
                ctx.Warning("promotion-policy", document, ["spec", "promotion", "version"], $"version is read only with policy pinned (the policy is {promotion.Policy ?? "auto"})");
            }
            if (promotion.Metric is { } metric && definition.Training.Metrics.Count > 0 && !definition.Training.Metrics.Contains(metric))
            {
                ctx.Error("promotion-policy", document, ["spec", "promotion", "metric"],
                    $"promotion compares '{metric}', which training does not compute{Specs.Text.Suggestions.DidYouMean(metric, definition.Training.Metrics)}");
            }
        }
    }

    private static void CheckInputsAreSignals(LintContext ctx, Spec<ModelInstanceSpec> instance)
    {
        for (var i = 0; i < instance.Value.Inputs.Count; i++)
        {
            if (ctx.Specs.Instances.TryGetValue(instance.Value.Inputs[i], out var input)
                && ctx.Specs.Definitions.TryGetValue(input.Value.Definition, out var inputDefinition)
                && inputDefinition.Value.Category is not ("signal" or "combining" or "filtering"))
            {
                ctx.Error("combiner-inputs", instance.Document, ["spec", "inputs", i],
                    $"'{input.Name}' is a {inputDefinition.Value.Category} model; only signals (signal, combining, filtering models) can be combined or filtered");
            }
        }
    }
}
