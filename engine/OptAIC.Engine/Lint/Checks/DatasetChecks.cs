using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>What a Dataset spec can be checked for without reading its data: durations, time formats, events, publication times.</summary>
internal static class DatasetChecks
{
    public static void Check(LintContext ctx)
    {
        foreach (var dataset in ctx.Specs.Datasets.Values)
        {
            var spec = dataset.Value;
            if (!Durations.TryParse(spec.KnowledgeLag, out _))
            {
                ctx.Error("duration-range", dataset.Document, ["spec", "knowledgeLag"],
                    $"knowledgeLag {spec.KnowledgeLag} is longer than the {Durations.Longest.TotalDays:0} days a duration may be");
            }
        }
    }
}
