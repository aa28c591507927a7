using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Cli.Console;
using OptAIC.Engine.Executors.Hangfire;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic status --runs`: the queue's runs (queued, running, succeeded, failed) with their worker, newest first.</summary>
public static class RunsStatus
{
    private static readonly string[] States = ["queued", "running", "succeeded", "gatefailed", "failed", "cancelled"];

    public static async Task<int> PrintAsync(string? postgres, bool json, int limit, CancellationToken ct)
    {
        IReadOnlyList<QueuedRun> runs;
        try
        {
            var table = new RunTable(PostgresEndpoint.Resolve(postgres));
            await table.EnsureSchemaAsync(ct);
            runs = await table.ListAsync(limit, ct);
        }
        catch (QueueException e)
        {
            System.Console.Error.WriteLine($"optaic: {e.Message}");
            return e.Unreachable ? ExitCodes.Failed : ExitCodes.UsageOrChanges;
        }
        if (json)
        {
            System.Console.Out.WriteLine(new JsonObject
            {
                ["format_version"] = "1.0",
                ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)new JsonObject
                {
                    ["run_id"] = r.RunId,
                    ["job_id"] = r.JobId,
                    ["activity"] = r.Activity,
                    ["instance"] = r.Instance,
                    ["queue"] = r.Queue,
                    ["state"] = r.State,
                    ["worker"] = r.Worker,
                    ["stage"] = r.Stage,
                    ["attempts"] = r.Attempts,
                    ["duplicate_results"] = r.DuplicateResults,
                    ["enqueued_at"] = r.EnqueuedAt.ToString("O", CultureInfo.InvariantCulture),
                    ["started_at"] = r.StartedAt?.ToString("O", CultureInfo.InvariantCulture),
                    ["finished_at"] = r.FinishedAt?.ToString("O", CultureInfo.InvariantCulture),
                    ["error"] = r.Error,
                })]),
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        }
        if (runs.Count == 0)
        {
            System.Console.Out.WriteLine("No runs in the queue.");
            return ExitCodes.Ok;
        }
        var text = new TextTable("RUN", "ACTIVITY", "INSTANCE", "STATE", "WORKER", "ATTEMPTS", "UPDATED", "STAGE OR ERROR");
        foreach (var run in runs)
        {
            var note = run.Error ?? run.Stage ?? "";
            text.Add(run.RunId, run.Activity, run.Instance, run.State, run.Worker ?? "-", run.Attempts.ToString(CultureInfo.InvariantCulture),
                run.UpdatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), note.Length <= 80 ? note : note[..77] + "...");
        }
        System.Console.Out.Write(text.ToString());
        var counts = runs.GroupBy(r => r.State).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        System.Console.Out.WriteLine(string.Join(", ", States
            .Select(s => $"{counts.GetValueOrDefault(s).ToString(CultureInfo.InvariantCulture)} {s}")) + $" (the newest {limit.ToString(CultureInfo.InvariantCulture)} at most)");
        return ExitCodes.Ok;
    }
}
