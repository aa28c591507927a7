using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Cli.Console;
using OptAIC.Cli.Help;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic history INSTANCE`: versions and stage changes over time, from the registry and its Git history.</summary>
public static class HistoryCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var instance = new Argument<string>("instance") { Description = "The model instance." };
        var format = new Option<string>("--format", "-f") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("history", "An instance's versions, stage changes and the commits that recorded them.") { instance, format };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var session = ReconcileSession.Open(RepositoryLocator.Find(result.GetValue(repoOption)));
            var name = result.GetValue(instance)!;
            var store = session.Registry;
            if (!Directory.Exists(store.InstanceDirectory(name)))
            {
                var known = store.ListInstances();
                throw new UsageException($"no instance '{name}' in the registry{OptAIC.Engine.Specs.Text.Suggestions.DidYouMean(name, known)}" +
                    (known.Count == 0 ? " (it is empty: run 'optaic apply')" : ""));
            }
            var versions = store.GetVersions(name);
            var stages = store.GetStageHistory(name);
            IReadOnlyList<CommitInfo> commits = [];
            try
            {
                using var git = GitRepository.Open(session.RepositoryRoot);
                commits = git.LogForPath($"{session.RegistryPath}/{name}", limit: 50);
            }
            catch (GitRepositoryException)
            {
                // Not a Git repository: the records alone still tell the history.
            }

            if (result.GetValue(format) == "json")
            {
                System.Console.Out.WriteLine(new JsonObject
                {
                    ["format_version"] = "1.0",
                    ["instance"] = name,
                    ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)new JsonObject
                    {
                        ["version"] = v.Version,
                        ["created_at"] = v.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                        ["stage"] = stages.StageOf(v.Version)?.ToString().ToLowerInvariant(),
                        ["fingerprint"] = v.Fingerprint.Value,
                        ["metrics"] = new JsonObject([.. v.Metrics.Select(m => new KeyValuePair<string, JsonNode?>(m.Key, m.Value))]),
                        ["artifact_sha256"] = v.Artifact.Sha256,
                    })]),
                    ["stage_changes"] = new JsonArray([.. stages.Entries.Select(e => (JsonNode)new JsonObject
                    {
                        ["version"] = e.Version,
                        ["from"] = e.From?.ToString().ToLowerInvariant(),
                        ["to"] = e.To.ToString().ToLowerInvariant(),
                        ["at"] = e.At.ToString("O", CultureInfo.InvariantCulture),
                        ["by"] = e.By,
                        ["reason"] = e.Reason,
                    })]),
                    ["commits"] = new JsonArray([.. commits.Select(c => (JsonNode)new JsonObject { ["sha"] = c.Sha, ["when"] = c.When.ToString("O", CultureInfo.InvariantCulture), ["author"] = c.AuthorName, ["message"] = c.MessageShort })]),
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }

            var output = System.Console.Out;
            output.WriteLine($"{name}: {versions.Count} version(s)");
            var table = new TextTable("VERSION", "CREATED", "STAGE", "METRICS", "ARTIFACT");
            foreach (var v in versions)
            {
                table.Add(v.Version.ToString(CultureInfo.InvariantCulture), v.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    stages.StageOf(v.Version)?.ToString().ToLowerInvariant() ?? "-",
                    string.Join(", ", v.Metrics.Where(m => !m.Key.Contains('.', StringComparison.Ordinal)).Take(4).Select(m => $"{m.Key} {m.Value:F3}")), v.Artifact.Sha256[..12]);
            }
            output.Write(table.ToString());
            output.WriteLine();
            output.WriteLine("Stage changes:");
            foreach (var e in stages.Entries)
            {
                output.WriteLine($"  {e.At:yyyy-MM-dd HH:mm}  version {e.Version}: {e.From?.ToString().ToLowerInvariant() ?? "new"} -> {e.To.ToString().ToLowerInvariant()} by {e.By}: {e.Reason}");
            }
            if (commits.Count > 0)
            {
                output.WriteLine();
                output.WriteLine("Commits:");
                foreach (var c in commits)
                {
                    output.WriteLine($"  {c.Sha[..7]}  {c.When:yyyy-MM-dd HH:mm}  {c.AuthorName}: {c.MessageShort}");
                }
            }
            return ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic history spx-alpha",
            "optaic history spx-alpha --format json");
    }
}
