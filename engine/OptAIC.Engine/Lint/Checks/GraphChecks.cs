using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>No cycles: among a pipeline's steps, and among instances that read each other's outputs.</summary>
internal static class GraphChecks
{
    public static void Check(LintContext ctx)
    {
        foreach (var pipeline in ctx.Specs.Pipelines.Values)
        {
            var edges = pipeline.Value.Steps
                .GroupBy(s => s.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.First().DependsOn, StringComparer.Ordinal);
            if (Graphs.FindCycle(edges) is { } cycle)
            {
                var index = pipeline.Value.Steps.FindIndex(s => s.Name == cycle[0]);
                ctx.Error("pipeline-cycle", pipeline.Document, ["spec", "steps", index, "dependsOn"],
                    $"steps depend on each other in a cycle: {string.Join(" -> ", cycle)}; a pipeline is a DAG");
            }
            for (var i = 0; i < pipeline.Value.Steps.Count; i++)
            {
                var step = pipeline.Value.Steps[i];
                if (step.DependsOn.Contains(step.Name))
                {
                    continue; // reported as a cycle
                }
                if (step.Timeout is { } timeout && !Durations.TryParse(timeout, out _))
                {
                    ctx.Error("duration-range", pipeline.Document, ["spec", "steps", i, "timeout"], $"timeout {timeout} is longer than the {Durations.Longest.TotalDays:0} days a duration may be");
                }
                else if (step.Timeout is { } given && Durations.TryParse(given, out var span) && span <= TimeSpan.Zero)
                {
                    ctx.Error("pipeline-timeout", pipeline.Document, ["spec", "steps", i, "timeout"], "a timeout of 0 would fail every run; give a positive duration");
                }
            }
        }

        var inputs = ctx.Specs.Instances.Values.ToDictionary(
            i => i.Name,
            i => (IReadOnlyList<string>)[.. i.Value.Inputs, .. i.Value.Regime is null ? Array.Empty<string>() : [i.Value.Regime]],
            StringComparer.Ordinal);
        if (Graphs.FindCycle(inputs) is { } instanceCycle)
        {
            var instance = ctx.Specs.Instances[instanceCycle[0]];
            ctx.Error("instance-cycle", instance.Document, ["spec", "inputs"],
                $"instances read each other's outputs in a cycle: {string.Join(" -> ", instanceCycle)}");
        }
    }
}
