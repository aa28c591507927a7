using OptAIC.Engine.Features;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;
using OptAIC.Engine.Specs.Yaml;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>
/// Feature expressions, with the same analysis the engine enforces at run time: syntax, functions and
/// names, cycles, no lookahead in features (the offending sub-expression is named), lookahead in
/// targets; then the windows of instances against their target's horizon, and combiners that would
/// learn from their inputs' in-sample outputs.
/// </summary>
internal static class FeatureChecks
{
    public static void Check(LintContext ctx)
    {
        var horizons = new Dictionary<(string Set, string Target), int>();
        var categorical = new Dictionary<(string Set, string Target), string>();
        foreach (var featureSet in ctx.Specs.FeatureSets.Values)
        {
            if (!ctx.Specs.Datasets.TryGetValue(featureSet.Value.Source, out var source))
            {
                continue; // an unresolved source is reported by ReferenceChecks
            }
            var (numeric, text) = Columns(ctx.Specs, source.Value, featureSet.Value);
            var definitions = featureSet.Value.Features.Select(f => new FeatureDefinition(f.Name, f.Expr))
                .Concat(featureSet.Value.Targets.Select(t => new FeatureDefinition(t.Name, t.Expr, IsTarget: true)))
                .ToList();
            var analysis = ExpressionAnalyzer.AnalyzeSet(definitions, numeric, text);
            foreach (var diagnostic in analysis.Diagnostics)
            {
                Report(ctx, featureSet, diagnostic);
            }
            for (var i = 0; i < featureSet.Value.Targets.Count; i++)
            {
                var target = featureSet.Value.Targets[i];
                if (!analysis.Features.TryGetValue(target.Name, out var targetAnalysis) || !targetAnalysis.IsValid)
                {
                    continue;
                }
                horizons[(featureSet.Name, target.Name)] = targetAnalysis.Horizon;
                if (targetAnalysis.Category is { } column)
                {
                    categorical[(featureSet.Name, target.Name)] = column;
                }
                if (targetAnalysis.Lookahead == 0)
                {
                    ctx.Error("pit-target-no-lookahead", featureSet.Document, ["spec", "targets", i, "expr"],
                        $"target '{target.Name}' does not look ahead, so it is known at decision time: it is a feature, not a label; use lead(), forward_return() or another forward function");
                }
            }
        }
        var inCycle = InstancesInCycle(ctx.Specs);
        foreach (var instance in ctx.Specs.Instances.Values)
        {
            CheckEmbargo(ctx, instance, horizons);
            CheckCategoricalTarget(ctx, instance, categorical);
            CheckOpenWindow(ctx, instance);
            var category = ctx.Specs.Definitions.GetValueOrDefault(instance.Value.Definition)?.Value.Category;
            if (category is "combining" or "filtering" && !inCycle.Contains(instance.Name))
            {
                CheckInputsOutOfSample(ctx, instance);
            }
        }
    }

    /// <summary>A target of names (a category column's, lead(weather, 1)) is a class label: the model must classify.</summary>
    private static void CheckCategoricalTarget(LintContext ctx, Spec<ModelInstanceSpec> instance, Dictionary<(string Set, string Target), string> categorical)
    {
        var spec = instance.Value;
        if (spec.Target is not { } target || spec.Features?.FeatureSet is not { } set
            || !categorical.TryGetValue((set, target), out var column)
            || ctx.Specs.Definitions.GetValueOrDefault(spec.Definition)?.Value is not { } definition)
        {
            return;
        }
        var task = definition.Model.Task ?? (definition.Category == "regime" ? "multiclass" : "regression");
        if (task == "regression")
        {
            ctx.Error("category-task", instance.Document, ["spec", "target"],
                $"target '{target}' is categorical (the categories of column '{column}'), but '{spec.Definition}' is a regression: " +
                $"classify it (task multiclass or binary, or a regime model), or compare the column in the target: lead({column} == \"a\", 1)");
        }
    }

    /// <summary>Instances on an input cycle (reported by GraphChecks): "out of sample" has no meaning for them.</summary>
    private static HashSet<string> InstancesInCycle(SpecSet specs)
    {
        var edges = specs.Instances.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value.Value.Inputs], StringComparer.Ordinal);
        return Graphs.FindCycle(edges) is { } cycle ? [.. cycle] : [];
    }

    private static (List<string> Numeric, List<string> Text) Columns(SpecSet specs, DatasetSpec source, FeatureSetSpec set)
    {
        var numeric = new List<string>();
        var text = new List<string>();
        void Add(DatasetSpec dataset, string prefix, IReadOnlyCollection<string>? only)
        {
            foreach (var column in dataset.Columns)
            {
                if (column.Name == dataset.TimeColumn || (only is not null && !only.Contains(column.Name)))
                {
                    continue;
                }
                (column.Type is "string" or "category" or "date" or "datetime" ? text : numeric).Add(prefix + column.Name);
            }
        }
        Add(source, "", null);
        foreach (var join in set.Join)
        {
            if (specs.Datasets.TryGetValue(join.Dataset, out var joined))
            {
                Add(joined.Value, join.Prefix ?? "", join.Columns);
            }
        }
        return (numeric, text);
    }

    private static void Report(LintContext ctx, Spec<FeatureSetSpec> featureSet, ExpressionDiagnostic diagnostic)
    {
        var rule = diagnostic.Code switch
        {
            DiagnosticCodes.Syntax => "expression-syntax",
            DiagnosticCodes.UnknownFunction or DiagnosticCodes.WrongArity or DiagnosticCodes.BadArgument => "expression-unknown-function",
            DiagnosticCodes.UnknownName or DiagnosticCodes.TextColumn or DiagnosticCodes.NameConflict => "expression-unknown-name",
            DiagnosticCodes.Cycle => "feature-cycle",
            DiagnosticCodes.Lookahead => "pit-feature-lookahead",
            _ => null, // duplicate and invalid names are reported by the schema and ReferenceChecks
        };
        if (rule is null)
        {
            return;
        }
        var (list, index) = Locate(featureSet.Value, diagnostic.Feature);
        if (index < 0)
        {
            ctx.Error(rule, featureSet.Document, ["spec"], diagnostic.Message);
            return;
        }
        var node = YamlPath.Find(featureSet.Document.Root, ["spec", list, index, "expr"]);
        var position = node is YamlScalar scalar && scalar.Start.Line == scalar.End.Line
            ? new SourcePosition(scalar.Start.Line, scalar.Start.Column + (scalar.IsPlain ? 0 : 1) + diagnostic.Offset)
            : node.Start;
        ctx.Findings.Add(Finding.Error(rule, featureSet.Document.File, position, $"{list[..^1]} '{diagnostic.Feature}': {diagnostic.Message}"));
    }

    private static (string List, int Index) Locate(FeatureSetSpec set, string? name)
    {
        var feature = set.Features.FindIndex(f => f.Name == name);
        return feature >= 0 ? ("features", feature) : ("targets", set.Targets.FindIndex(t => t.Name == name));
    }

    /// <summary>Between training's end and an evaluation period lies at least the target's horizon, in calendar time.</summary>
    private static void CheckEmbargo(LintContext ctx, Spec<ModelInstanceSpec> instance, Dictionary<(string, string), int> horizons)
    {
        var spec = instance.Value;
        // An imported model was not trained on this window: there is no training label to embargo.
        var imported = ctx.Specs.Definitions.TryGetValue(spec.Definition, out var definition) && ImportedModels.IsImported(definition.Value);
        if (imported || spec.Features?.FeatureSet is not { } setName || spec.Target is not { } target
            || !horizons.TryGetValue((setName, target), out var horizon) || horizon == 0
            || Schedules.ParseDate(spec.Training.End) is not { } trainEnd)
        {
            return;
        }
        var source = ctx.Specs.FeatureSets[setName].Value.Source;
        var frequency = ctx.Specs.Datasets.TryGetValue(source, out var dataset) ? dataset.Value.Frequency ?? "business-day" : "business-day";
        var daysPerRow = frequency switch
        {
            "minute" => 1.0 / 1440,
            "hour" => 1.0 / 24,
            "day" => 1.0,
            "week" => 7.0,
            "month" => 31.0,
            "quarter" => 92.0,
            _ => 7.0 / 5,
        };
        var required = (int)Math.Ceiling(horizon * daysPerRow);
        if (ctx.Specs.Definitions.TryGetValue(spec.Definition, out var definitionSpec)
            && definitionSpec.Value.Training.Validation is { Embargo: { } embargo } validation && embargo < horizon)
        {
            // Purging drops the training labels that overlap a test fold; the embargo must cover the label's span after it too.
            ctx.Error("pit-cv-embargo", instance.Document, ["spec", "target"],
                $"definition {spec.Definition} validates with {validation.Scheme} and an embargo of {embargo} row(s), but target '{target}' reads {horizon} rows ahead: " +
                $"labels right after each test fold overlap it; set training.validation.embargo to at least {horizon} (or leave it out: it defaults to the horizon)");
        }
        foreach (var (path, text) in new (object[] Path, string? Text)[]
        {
            (["spec", "inference", "start"], spec.Inference?.Start),
            (["spec", "monitoring", "current", "start"], spec.Monitoring?.Current?.Start),
        })
        {
            if (Schedules.ParseDate(text) is not { } start)
            {
                continue;
            }
            var gap = (start - trainEnd).TotalDays;
            if (gap < required)
            {
                ctx.Error("pit-embargo", instance.Document, path,
                    $"evaluation starts {text}, {gap:0} day(s) after training ends ({spec.Training.End}), but target '{target}' reads {horizon} rows " +
                    $"(about {required} days at {frequency} frequency) ahead: the last training labels overlap the evaluation; end training by {trainEnd.AddDays(gap - required):yyyy-MM-dd} or start later");
            }
        }
    }

    /// <summary>
    /// A training window without an end takes every row up to each apply, so every date the instance scores
    /// is a date it was trained on: the predictions are in sample. Both windows are named.
    /// </summary>
    private static void CheckOpenWindow(LintContext ctx, Spec<ModelInstanceSpec> instance)
    {
        var spec = instance.Value;
        if (spec.Training.End is not null || Schedules.ParseDate(spec.Training.Start) is null
            || ctx.Specs.Definitions.GetValueOrDefault(spec.Definition)?.Value.Category is "filtering" or null)
        {
            return;
        }
        var inference = $"{spec.Inference?.Start ?? spec.Training.Start}..{spec.Inference?.End ?? "latest"}";
        ctx.Error("pit-open-window", instance.Document, ["spec", "training"],
            $"training {spec.Training.Start}..(no end) takes every row up to each apply, and inference {inference} scores dates inside it: " +
            "the predictions come from a model trained on their own labels; give training an end and start inference after it plus the target's horizon");
    }

    /// <summary>A combiner or filter must train on its inputs' out-of-sample outputs: after each input's training ends.</summary>
    private static void CheckInputsOutOfSample(LintContext ctx, Spec<ModelInstanceSpec> instance)
    {
        var spec = instance.Value;
        if (Schedules.ParseDate(spec.Training.Start) is not { } start)
        {
            return;
        }
        foreach (var inputName in spec.Inputs.Concat(spec.Regime is null ? [] : [spec.Regime]))
        {
            if (!ctx.Specs.Instances.TryGetValue(inputName, out var input))
            {
                continue;
            }
            if (input.Value.Training.End is null)
            {
                var at = spec.Inputs.IndexOf(inputName);
                ctx.Error("pit-in-sample-inputs", instance.Document, at < 0 ? ["spec", "regime"] : ["spec", "inputs", at],
                    $"input {inputName} trains on an open window ({input.Value.Training.Start}..no end): none of its outputs is out of sample, so this model would learn from in-sample predictions; give {inputName} a training end");
                continue;
            }
            var inputEnd = Schedules.ParseDate(input.Value.Training.End);
            var outOfSample = Schedules.ParseDate(input.Value.Inference?.Start) ?? inputEnd?.AddDays(1);
            if (outOfSample is { } from && start < from)
            {
                ctx.Error("pit-in-sample-inputs", instance.Document, ["spec", "training", "start"],
                    $"training starts {spec.Training.Start}, but input {inputName} is trained until {input.Value.Training.End} and scores out of sample only from {from:yyyy-MM-dd}: " +
                    $"weights learned on in-sample outputs overstate the input; start training on or after {from:yyyy-MM-dd}");
            }
        }
    }
}
