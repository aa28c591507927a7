using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>Every name a spec mentions resolves: datasets, feature sets, features, targets, definitions, instances, steps.</summary>
internal static class ReferenceChecks
{
    public static void Check(LintContext ctx)
    {
        var specs = ctx.Specs;
        foreach (var dataset in specs.Datasets.Values)
        {
            var columns = dataset.Value.Columns.Select(c => c.Name).ToList();
            ctx.Resolve(dataset.Document, ["spec", "timeColumn"], "time column", dataset.Value.TimeColumn, columns);
            ctx.Resolve(dataset.Document, ["spec", "entityColumn"], "entity column", dataset.Value.EntityColumn, columns);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < dataset.Value.Columns.Count; i++)
            {
                if (!seen.Add(dataset.Value.Columns[i].Name))
                {
                    ctx.Error("duplicate-name", dataset.Document, ["spec", "columns", i, "name"],
                        $"column '{dataset.Value.Columns[i].Name}' is declared twice");
                }
            }
            var time = dataset.Value.Columns.FirstOrDefault(c => c.Name == dataset.Value.TimeColumn);
            if (time is not null && time.Type is not ("date" or "datetime"))
            {
                ctx.Error("dataset-time-column", dataset.Document, ["spec", "columns", dataset.Value.Columns.IndexOf(time), "type"],
                    $"time column '{time.Name}' is declared as {time.Type}; declare it as date or datetime");
            }
        }

        foreach (var featureSet in specs.FeatureSets.Values)
        {
            ctx.Resolve(featureSet.Document, ["spec", "source"], "dataset", featureSet.Value.Source, specs.Datasets.Keys);
            for (var i = 0; i < featureSet.Value.Join.Count; i++)
            {
                var join = featureSet.Value.Join[i];
                if (ctx.Resolve(featureSet.Document, ["spec", "join", i, "dataset"], "dataset", join.Dataset, specs.Datasets.Keys) && join.Columns is not null)
                {
                    var available = specs.Datasets[join.Dataset].Value.Columns.Select(c => c.Name).ToList();
                    for (var c = 0; c < join.Columns.Count; c++)
                    {
                        ctx.Resolve(featureSet.Document, ["spec", "join", i, "columns", c], $"column of dataset {join.Dataset}", join.Columns[c], available);
                    }
                }
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            CheckUnique(ctx, featureSet.Document, "features", featureSet.Value.Features, names);
            CheckUnique(ctx, featureSet.Document, "targets", featureSet.Value.Targets, names);
        }

        foreach (var instance in specs.Instances.Values)
        {
            var spec = instance.Value;
            var document = instance.Document;
            ctx.Resolve(document, ["spec", "definition"], "model definition", spec.Definition, specs.Definitions.Keys);
            if (spec.Features is { } selection
                && ctx.Resolve(document, ["spec", "features", "featureSet"], "feature set", selection.FeatureSet, specs.FeatureSets.Keys))
            {
                var featureSet = specs.FeatureSets[selection.FeatureSet].Value;
                var features = featureSet.Features.Select(f => f.Name).ToList();
                ResolveAll(ctx, document, ["spec", "features", "include"], selection.Include, "feature of " + selection.FeatureSet, features);
                ResolveAll(ctx, document, ["spec", "features", "exclude"], selection.Exclude, "feature of " + selection.FeatureSet, features);
                if (spec.Target is not null && features.Contains(spec.Target))
                {
                    ctx.Error("pit-target-is-feature", document, ["spec", "target"],
                        $"target '{spec.Target}' is a feature of {selection.FeatureSet}, not a target; a label must be declared under targets (and look ahead)");
                }
                else
                {
                    ctx.Resolve(document, ["spec", "target"], "target of " + selection.FeatureSet, spec.Target, featureSet.Targets.Select(t => t.Name));
                }
            }
            ResolveAll(ctx, document, ["spec", "inputs"], spec.Inputs, "model instance", specs.Instances.Keys);
            ctx.Resolve(document, ["spec", "regime"], "model instance", spec.Regime, specs.Instances.Keys);
        }

        foreach (var pipeline in specs.Pipelines.Values)
        {
            var steps = pipeline.Value.Steps.Select(s => s.Name).ToList();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < pipeline.Value.Steps.Count; i++)
            {
                var step = pipeline.Value.Steps[i];
                if (!seen.Add(step.Name))
                {
                    ctx.Error("duplicate-name", pipeline.Document, ["spec", "steps", i, "name"], $"step '{step.Name}' appears twice in this pipeline");
                }
                ctx.Resolve(pipeline.Document, ["spec", "steps", i, "instance"], "model instance", step.Instance, specs.Instances.Keys);
                ResolveAll(ctx, pipeline.Document, ["spec", "steps", i, "dependsOn"], step.DependsOn, "pipeline step", steps);
            }
        }
    }

    private static void CheckUnique(LintContext ctx, Specs.SpecDocument document, string list, List<FeatureSpec> items, HashSet<string> names)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (!names.Add(items[i].Name))
            {
                ctx.Error("duplicate-name", document, ["spec", list, i, "name"], $"'{items[i].Name}' is defined twice in this feature set");
            }
        }
    }

    private static void ResolveAll(LintContext ctx, Specs.SpecDocument document, object[] path, List<string>? names, string what, IEnumerable<string> known)
    {
        if (names is null)
        {
            return;
        }
        var knownList = known.ToList();
        for (var i = 0; i < names.Count; i++)
        {
            ctx.Resolve(document, [.. path, i], what, names[i], knownList);
        }
    }
}
