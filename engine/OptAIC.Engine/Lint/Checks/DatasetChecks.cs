using OptAIC.Engine.Data;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

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
            if (spec.Aggregate is { } aggregate && !Durations.TryParse(aggregate.Every, out _))
            {
                ctx.Error("duration-range", dataset.Document, ["spec", "aggregate", "every"],
                    $"aggregate.every {aggregate.Every} is longer than the {Durations.Longest.TotalDays:0} days a duration may be");
            }
            CheckColumns(ctx, dataset);
            CheckEvents(ctx, dataset);
            if (Frequencies.IsPeriodEnd(spec.Frequency))
            {
                DataChecks.PublicationLag(ctx.Specs, dataset, spec.Frequency!, ctx.Findings);
            }
        }
    }

    private static void CheckColumns(LintContext ctx, Spec<DatasetSpec> dataset)
    {
        var spec = dataset.Value;
        for (var i = 0; i < spec.Columns.Count; i++)
        {
            var column = spec.Columns[i];
            if (column.Format is null && column.TimeZone is null)
            {
                continue;
            }
            if (column.Type is not ("date" or "datetime"))
            {
                ctx.Error("dataset-time-format", dataset.Document, ["spec", "columns", i, column.Format is null ? "timeZone" : "format"],
                    $"column '{column.Name}' is {column.Type}; a format and time zone belong to date and datetime columns");
                continue;
            }
            if (!TimeFormat.TryCreate(column.Format, column.TimeZone, column.Type == "date", out _, out var problem))
            {
                ctx.Error("dataset-time-format", dataset.Document, ["spec", "columns", i, problem!.Contains("time zone", StringComparison.Ordinal) ? "timeZone" : "format"], problem);
            }
        }
        if (spec.PublicationColumn is { } publication)
        {
            var declared = spec.Columns.FirstOrDefault(c => c.Name == publication);
            if (publication == spec.TimeColumn || publication == spec.EntityColumn || declared is not { Type: "date" or "datetime" })
            {
                ctx.Error("dataset-time-column", dataset.Document, ["spec", "publicationColumn"],
                    $"publicationColumn '{publication}' must be a declared date or datetime column other than the time and entity columns");
            }
        }
    }

    private static void CheckEvents(LintContext ctx, Spec<DatasetSpec> dataset)
    {
        var spec = dataset.Value;
        if (spec.Events == "aggregate" && spec.Aggregate is null)
        {
            ctx.Error("dataset-events", dataset.Document, ["spec", "events"], "events: aggregate needs aggregate: { every: <duration>, functions: { column: sum|mean|min|max|first|last|count } }");
        }
        if (spec.Aggregate is { } aggregate)
        {
            if (spec.Events != "aggregate")
            {
                ctx.Error("dataset-events", dataset.Document, ["spec", "aggregate"], $"aggregate is read only with events: aggregate (events is {spec.Events ?? "error"})");
            }
            if (Durations.TryParse(aggregate.Every, out var every) && every <= TimeSpan.Zero)
            {
                ctx.Error("dataset-events", dataset.Document, ["spec", "aggregate", "every"], "aggregate.every must be positive (a bucket width such as 1h or 1d)");
            }
            foreach (var (name, function) in aggregate.Functions ?? [])
            {
                var column = spec.Columns.FirstOrDefault(c => c.Name == name);
                if (column is null)
                {
                    ctx.Resolve(dataset.Document, ["spec", "aggregate", "functions", name], "column", name, spec.Columns.Select(c => c.Name));
                }
                else if (column.Type is "string" or "category" && function is not ("first" or "last" or "count"))
                {
                    ctx.Error("dataset-events", dataset.Document, ["spec", "aggregate", "functions", name], $"'{function}' cannot aggregate the text column '{name}'; use first, last or count");
                }
            }
        }
    }
}
