using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Cli.Console;
using OptAIC.Cli.Help;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic status`: each instance's health, versions, key metric, last runs and alerts, read from the registry.</summary>
public static class StatusCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var format = new Option<string>("--format", "-f") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var runs = new Option<bool>("--runs") { Description = "The runs of the Hangfire queue instead (queued, running, succeeded, failed, with their worker)." };
        var postgres = new Option<string?>("--postgres") { Description = "With --runs: the queue's PostgreSQL connection string (default: OPTAIC_POSTGRES)." };
        var command = new Command("status", "Each instance: health, production and latest version, key metric, last runs, alerts.") { format, runs, postgres };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            if (result.GetValue(runs))
            {
                return RunsStatus.PrintAsync(result.GetValue(postgres), result.GetValue(format) == "json", 50, CancellationToken.None).GetAwaiter().GetResult();
            }
            var session = ReconcileSession.Open(RepositoryLocator.Find(result.GetValue(repoOption)));
            session.EnsureRegistryIntact();
            var rows = StatusReader.Read(session);
            if (result.GetValue(format) == "json")
            {
                System.Console.Out.WriteLine(new JsonObject
                {
                    ["format_version"] = "1.0",
                    ["instances"] = new JsonArray([.. rows.Select(r => (JsonNode)r.ToJson())]),
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            if (rows.Count == 0)
            {
                System.Console.Out.WriteLine("No instances in the specs or the registry.");
                return ExitCodes.Ok;
            }
            string[] headers = ["INSTANCE", "HEALTH", "PRODUCTION", "LATEST", "METRIC", "LAST TRAINED", "LAST SCORED", "ALERTS"];
            var cells = rows.Select(row => new[]
            {
                row.Instance, row.Health, row.Production?.ToString(CultureInfo.InvariantCulture) ?? "-", row.Latest?.ToString(CultureInfo.InvariantCulture) ?? "-",
                row.Metric is null ? "-" : $"{row.Metric} {row.MetricValue:F3}", Date(row.LastTrained), Date(row.LastScored), AlertSummary(row.Alerts),
            }).ToList();
            if (Terminal.IsInteractive)
            {
                // Spectre measures the text, not the colour codes around it: the columns stay aligned.
                var table = new Table().Border(TableBorder.Simple);
                foreach (var header in headers)
                {
                    table.AddColumn(new TableColumn(header).NoWrap());
                }
                foreach (var row in cells)
                {
                    table.AddRow([.. row.Select((c, i) => (IRenderable)(i == 1 ? new Markup(Markup.Escape(c), HealthStyle(c)) : new Text(c)))]);
                }
                AnsiConsole.Write(table);
            }
            else
            {
                var table = new TextTable(headers);
                foreach (var row in cells)
                {
                    table.Add(row);
                }
                System.Console.Out.Write(table.ToString());
            }
            foreach (var row in rows.Where(r => r.Health is "Failing" or "Degraded" && r.HealthReason is not null))
            {
                var reason = row.HealthReason!.Length <= 160 ? row.HealthReason : row.HealthReason[..157] + "...";
                System.Console.Out.WriteLine($"{row.Instance}: {reason}");
            }
            return ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic status",
            "optaic status --format json",
            "optaic status --runs --postgres 'Host=db;Username=optaic;Database=optaic'   # the queue's runs and their workers");
    }

    /// <summary>"13 drift, 1 performance; rules: feature-drift" rather than every drifted column.</summary>
    private static string AlertSummary(IReadOnlyList<string> alerts)
    {
        if (alerts.Count == 0)
        {
            return "-";
        }
        var drift = alerts.Count(a => a.StartsWith("drift:", StringComparison.Ordinal));
        var performance = alerts.Count(a => a.StartsWith("performance:", StringComparison.Ordinal));
        var rules = alerts.Where(a => !a.Contains(':', StringComparison.Ordinal)).ToList();
        var parts = new List<string>();
        if (drift > 0)
        {
            parts.Add($"{drift} drift");
        }
        if (performance > 0)
        {
            parts.Add($"{performance} performance");
        }
        return string.Join(", ", parts) + (rules.Count > 0 ? $"{(parts.Count > 0 ? "; " : "")}rules: {string.Join(", ", rules)}" : "");
    }

    private static string Date(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-";

    private static Style HealthStyle(string health) => !Terminal.ColorEnabled ? Style.Plain : health switch
    {
        "Healthy" => new Style(Spectre.Console.Color.Green),
        "Degraded" => new Style(Spectre.Console.Color.Yellow),
        "Failing" => new Style(Spectre.Console.Color.Red),
        _ => Style.Plain,
    };
}

/// <summary>One line of `optaic status`.</summary>
public sealed record InstanceStatusRow(
    string Instance, string Health, string? HealthReason, int? Production, int? Latest, string? Metric, double? MetricValue,
    DateTimeOffset? LastTrained, DateTimeOffset? LastScored, DateTimeOffset? LastMonitored, IReadOnlyList<string> Alerts, bool InSpecs, bool Archived)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Instance,
        ["health"] = Health.ToLowerInvariant(),
        ["health_reason"] = HealthReason,
        ["production_version"] = Production,
        ["latest_version"] = Latest,
        ["metric"] = Metric is null ? null : new JsonObject { ["name"] = Metric, ["value"] = MetricValue },
        ["last_trained"] = LastTrained?.ToString("O", CultureInfo.InvariantCulture),
        ["last_scored"] = LastScored?.ToString("O", CultureInfo.InvariantCulture),
        ["last_monitored"] = LastMonitored?.ToString("O", CultureInfo.InvariantCulture),
        ["alerts"] = new JsonArray([.. Alerts.Select(a => (JsonNode)JsonValue.Create(a)!)]),
        ["in_specs"] = InSpecs,
        ["archived"] = Archived,
    };
}

public static class StatusReader
{
    public static List<InstanceStatusRow> Read(ReconcileSession session) =>
        [.. InstanceOverview.ReadAll(session).Select(o => new InstanceStatusRow(
            o.Name, o.Health, o.HealthReason, o.Production, o.Latest, o.Metric, o.MetricValue, o.LastTrained, o.LastScored, o.LastMonitored,
            [.. o.Alerts.Select(a => a.Kind == AlertKind.Other ? a.Subject : $"{a.Kind.ToString().ToLowerInvariant()}:{a.Subject}").Distinct()],
            o.InSpecs, o.Archived))];
}
