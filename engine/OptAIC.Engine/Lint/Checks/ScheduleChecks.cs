using Cronos;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>Dates exist and are in order; cron expressions parse.</summary>
internal static class ScheduleChecks
{
    public static void Check(LintContext ctx)
    {
        foreach (var instance in ctx.Specs.Instances.Values)
        {
            var spec = instance.Value;
            var document = instance.Document;
            var trainStart = Date(ctx, document, ["spec", "training", "start"], spec.Training.Start);
            var trainEnd = Date(ctx, document, ["spec", "training", "end"], spec.Training.End);
            if (trainStart is { } s && trainEnd is { } e && s >= e)
            {
                ctx.Error("window-order", document, ["spec", "training", "end"], $"training ends ({spec.Training.End}) before it starts ({spec.Training.Start})");
            }
            var inferStart = Date(ctx, document, ["spec", "inference", "start"], spec.Inference?.Start);
            var inferEnd = Date(ctx, document, ["spec", "inference", "end"], spec.Inference?.End);
            if (inferStart is { } a && inferEnd is { } b && a >= b)
            {
                ctx.Error("window-order", document, ["spec", "inference", "end"], $"inference ends ({spec.Inference!.End}) before it starts ({spec.Inference.Start})");
            }
            Date(ctx, document, ["spec", "monitoring", "current", "start"], spec.Monitoring?.Current?.Start);
            Date(ctx, document, ["spec", "monitoring", "current", "end"], spec.Monitoring?.Current?.End);
            Cron(ctx, document, ["spec", "retrain", "schedule"], spec.Retrain?.Schedule);
        }
        foreach (var pipeline in ctx.Specs.Pipelines.Values)
        {
            Cron(ctx, pipeline.Document, ["spec", "schedule"], pipeline.Value.Schedule);
        }
    }

    private static DateTime? Date(LintContext ctx, SpecDocument document, object[] path, string? text)
    {
        if (text is null)
        {
            return null;
        }
        var date = Schedules.ParseDate(text);
        if (date is null)
        {
            ctx.Error("invalid-date", document, path, $"'{text}' is not a calendar date (YYYY-MM-DD)");
        }
        return date;
    }

    private static void Cron(LintContext ctx, SpecDocument document, object[] path, string? expression)
    {
        if (expression is null)
        {
            return;
        }
        try
        {
            Schedules.ParseCron(expression);
        }
        catch (CronFormatException e)
        {
            ctx.Error("invalid-cron", document, path, $"'{expression}' is not a cron expression: {e.Message.TrimEnd('.')}");
        }
    }
}
