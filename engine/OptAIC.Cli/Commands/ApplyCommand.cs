using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Cli.Console;
using OptAIC.Cli.Help;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Executors.Hangfire;
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
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print no plan and no progress, only the summary (and errors)." };
        var requireClean = new Option<bool>("--require-clean") { Description = "Refuse to run when specs/ has uncommitted changes (default: warn and go on)." };
        var executor = new Option<string>("--executor") { Description = "Where runs execute: inprocess (default), process (each run in its own 'optaic run-activity' process, given only its request), or hangfire (jobs in PostgreSQL for 'optaic worker' processes).", DefaultValueFactory = _ => "inprocess" };
        executor.AcceptOnlyFromAmong("inprocess", "process", "hangfire");
        var postgres = new Option<string?>("--postgres") { Description = $"With --executor hangfire: the queue's PostgreSQL connection string (default: the {PostgresEndpoint.Variable} environment variable)." };
        var queue = new Option<string>("--queue") { Description = "With --executor hangfire: the queue the runs go to.", DefaultValueFactory = _ => QueueSettings.DefaultQueue };
        var command = new Command("apply", "Run the plan: train, gate, register, promote, score, monitor, archive; then commit the registry.")
        {
            planFile, noCommit, parallel, lockTimeout, format, quiet, requireClean, executor, postgres, queue,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(async () =>
        {
            var session = ReconcileSession.Open(RepositoryLocator.Find(result.GetValue(repoOption)));
            if (!PlanCommand.ReportInvalidSpecs(session))
            {
                return ExitCodes.Failed;
            }
            if (!CheckCommitted(session, result.GetValue(requireClean)))
            {
                return ExitCodes.Failed;
            }
            ActionPlan? saved = null;
            if (result.GetValue(planFile) is { } path)
            {
                saved = PlanFormatter.ReadJson(File.ReadAllText(path), path);
            }
            var json = result.GetValue(format) == "json";
            await using var queued = result.GetValue(executor) == "hangfire" ? await HangfireApply.ExecutorAsync(result.GetValue(postgres), result.GetValue(queue)!, session, ct) : null;
            if (queued is { Error: { } queueError })
            {
                System.Console.Error.WriteLine($"optaic: {queueError.Message}");
                return queueError.Unreachable ? ExitCodes.Failed : ExitCodes.UsageOrChanges;
            }
            var display = ApplyDisplay.Create(quiet: json || result.GetValue(quiet));
            var options = new ApplyOptions
            {
                Commit = !result.GetValue(noCommit),
                MaxParallelRuns = result.GetValue(parallel) ?? queued?.Parallel,
                LockTimeout = TimeSpan.FromSeconds(result.GetValue(lockTimeout)),
                SavedPlan = saved,
                Progress = display,
                Actor = Environment.GetEnvironmentVariable("OPTAIC_ACTOR") ?? Environment.UserName,
                Executor = result.GetValue(executor) == "process" ? ChildProcessRunExecutor.OfThisProcess(session.RepositoryRoot) : queued?.Executor,
            };
            ApplyResult applied;
            try
            {
                // Recovery first (a torn commit, stale journals), so the plan shown is the plan applied.
                using (RepositoryLock.Acquire(session.RepositoryRoot, options.LockTimeout, "apply", ct))
                {
                    foreach (var step in RegistryRecovery.Run(session.RepositoryRoot, session.Registry))
                    {
                        System.Console.Error.WriteLine($"optaic: recovered: {step.Message}");
                    }
                }
                if (!json && !result.GetValue(quiet))
                {
                    WritePlan(session);
                }
                applied = await display.RunAsync(() => new Applier(session, options).ApplyAsync(ct));
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
        return Examples.For(command,
            "optaic apply                                   # plan, run, commit the registry",
            "optaic apply --no-commit --parallel 2          # leave the records for you to review",
            "optaic apply plan.json                         # exactly a plan saved by 'optaic plan --out plan.json'",
            "optaic apply --require-clean --quiet           # in scripts: only from committed specs, summary only",
            "OPTAIC_POSTGRES='Host=db;Username=optaic;Database=optaic' optaic apply --executor hangfire   # runs on 'optaic worker' processes");
    }

    /// <summary>
    /// Records name the commit they were made from; specs edited since that commit make them lie. Warn, or
    /// with --require-clean refuse. Outside Git there is no commit to name, and nothing to check.
    /// </summary>
    private static bool CheckCommitted(ReconcileSession session, bool requireClean)
    {
        bool dirty;
        try
        {
            using var git = GitRepository.Open(session.RepositoryRoot);
            dirty = git.IsDirty(["specs"]);
        }
        catch (GitRepositoryException)
        {
            return true;
        }
        if (!dirty)
        {
            return true;
        }
        if (requireClean)
        {
            System.Console.Error.WriteLine("optaic: specs/ has uncommitted changes and --require-clean is set; commit them (or drop the option) and apply again");
            return false;
        }
        System.Console.Error.WriteLine(Terminal.Yellow("optaic: warning: specs/ has uncommitted changes; the records will name the last commit, which does not hold these specs (commit first, or pass --require-clean to refuse)"));
        return true;
    }

    private static void WritePlan(ReconcileSession session)
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
        var gateFailed = applied.Outcomes.Count(o => o.Status == ActionStatus.GateFailed);
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
                ["status"] = ActionStatuses.Name(o.Status),
                ["summary"] = o.Summary,
            })]),
            ["changed_paths"] = new JsonArray([.. applied.ChangedPaths.Select(p => (JsonNode)JsonValue.Create(p)!)]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
