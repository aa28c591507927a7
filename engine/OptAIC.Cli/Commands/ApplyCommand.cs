using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Cli.Console;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic apply [PLANFILE]`: run the plan, write the records, make one commit.</summary>
public static class ApplyCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var planFile = new Argument<string?>("planfile") { Description = "A plan saved by 'optaic plan --out FILE' (default: plan now).", Arity = ArgumentArity.ZeroOrOne };
        var noCommit = new Option<bool>("--no-commit") { Description = "Leave the records in the working tree; make no commit." };
        var parallel = new Option<int?>("--parallel") { Description = "Independent runs at once (default: the Project's concurrency, else the number of cores)." };
        var lockTimeout = new Option<int>("--lock-timeout") { Description = "Seconds to wait while another apply holds the repository.", DefaultValueFactory = _ => 120 };
        var format = new Option<string>("--format", "-f") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("apply", "Run the plan: train, gate, register, promote, score, monitor, archive; then commit the registry.")
        {
            planFile, noCommit, parallel, lockTimeout, format,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(async () =>
        {
            var session = ReconcileSession.Open(RepositoryLocator.Find(result.GetValue(repoOption)));
            if (!PlanCommand.ReportInvalidSpecs(session))
            {
                return ExitCodes.Failed;
            }
            ActionPlan? saved = null;
            if (result.GetValue(planFile) is { } path)
            {
                saved = PlanFormatter.ReadJson(File.ReadAllText(path), path);
            }
            var json = result.GetValue(format) == "json";
            var progress = json ? null : new ProgressPrinter();
            var options = new ApplyOptions
            {
                Commit = !result.GetValue(noCommit),
                MaxParallelRuns = result.GetValue(parallel),
                LockTimeout = TimeSpan.FromSeconds(result.GetValue(lockTimeout)),
                SavedPlan = saved,
                Progress = progress,
                Actor = Environment.GetEnvironmentVariable("OPTAIC_ACTOR") ?? Environment.UserName,
            };
            ApplyResult applied;
            try
            {
                progress?.Start(session);
                applied = await new Applier(session, options).ApplyAsync(ct);
            }
            catch (RepositoryLockedException e)
            {
                System.Console.Error.WriteLine($"optaic: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (PlanFileException e)
            {
                System.Console.Error.WriteLine($"optaic: {e.Message}");
                return ExitCodes.Failed;
            }
            if (json)
            {
                System.Console.Out.WriteLine(Json(applied));
            }
            else
            {
                WriteSummary(applied);
            }
            return applied.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static void WriteSummary(ApplyResult applied)
    {
        var output = System.Console.Out;
        if (applied.Plan.Actions.Count == 0)
        {
            output.WriteLine(applied.ChangedPaths.Count > 0
                ? "Nothing to plan; committed the records an interrupted apply had left."
                : "No changes. The registry matches the specs and the data.");
        }
        if (applied.Plan.Actions.Count == 0)
        {
            return;
        }
        var failed = applied.Outcomes.Count(o => o.Failed);
        var gateFailed = applied.Outcomes.Count(o => o.Status == "gate-failed");
        output.WriteLine();
        var summary = $"Apply: {applied.Outcomes.Count - failed - gateFailed} succeeded, {gateFailed} failed a gate (nothing registered), {failed} failed.";
        output.WriteLine(failed > 0 ? Terminal.Red(summary) : Terminal.Green(summary));
        output.WriteLine(applied.CommitSha is { } sha
            ? $"Committed {applied.ChangedPaths.Count} registry file(s) as {sha[..7]}."
            : applied.ChangedPaths.Count > 0 ? $"{applied.ChangedPaths.Count} registry file(s) left uncommitted (--no-commit)." : "Nothing to commit.");
    }

    private static string Json(ApplyResult applied)
    {
        var root = new JsonObject
        {
            ["format_version"] = "1.0",
            ["commit"] = applied.CommitSha,
            ["succeeded"] = applied.Succeeded,
            ["actions"] = new JsonArray([.. applied.Outcomes.Select(o => (JsonNode)new JsonObject
            {
                ["id"] = o.Action.Id,
                ["action"] = PlanFormatter.Verb(o.Action.Kind),
                ["target"] = o.Action.Instance,
                ["status"] = o.Status,
                ["summary"] = o.Summary,
            })]),
            ["changed_paths"] = new JsonArray([.. applied.ChangedPaths.Select(p => (JsonNode)JsonValue.Create(p)!)]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>One line per finished action, with a running count: a progress display that also reads well in a CI log.</summary>
    private sealed class ProgressPrinter : IProgress<ApplyEvent>
    {
        private readonly object _gate = new();

        public void Start(ReconcileSession session)
        {
            var plan = session.Plan();
            if (!plan.HasChanges)
            {
                return;
            }
            System.Console.Out.WriteLine($"Specs: {session.Lint.FileCount} files, no lint errors. Plan for {session.RepositoryRoot}:");
            System.Console.Out.Write(PlanFormatter.Text(plan, Terminal.ColorEnabled ? PlanCommand.Colorize : null));
            System.Console.Out.WriteLine();
            System.Console.Out.WriteLine($"Applying {plan.Actions.Count} action(s):");
        }

        public void Report(ApplyEvent value)
        {
            if (value.Kind == ApplyEventKind.Started)
            {
                return; // one line per finished action reads best, in a terminal and in a CI log alike
            }
            lock (_gate)
            {
                var mark = value.Kind switch
                {
                    ApplyEventKind.Failed when value.Message.StartsWith("cancelled", StringComparison.Ordinal) => Terminal.Yellow("stop"),
                    ApplyEventKind.Failed => Terminal.Red("FAILED"),
                    _ when value.Message.StartsWith("nothing registered", StringComparison.Ordinal) => Terminal.Yellow("gate"),
                    _ => Terminal.Green("ok"),
                };
                System.Console.Out.WriteLine($"  [{value.Done,3}/{value.Total}] {mark,-6} {value.Action.Change} {PlanFormatter.Verb(value.Action.Kind)} {value.Action.Instance}: {value.Message}");
            }
        }
    }
}
