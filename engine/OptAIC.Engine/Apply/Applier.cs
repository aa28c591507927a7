using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using LibGit2Sharp;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Workflows;

namespace OptAIC.Engine.Apply;

/// <summary>
/// apply, the coordinator: under the repository's lock it recovers, plans, and walks the plan's graph (independent
/// actions in parallel, dependent ones in order). Each action is a workflow of two steps: <c>run</c> hands a
/// <see cref="RunRequest"/> to the executor (this process by default, a child process, a worker) and keeps its
/// <see cref="RunResult"/> in the run's folder; <c>record</c> (or <c>register</c>, for a new version) writes that
/// result into the registry through the one writer. A kill between the two resumes at the record, without
/// running again. Then one commit of the registry.
/// </summary>
public sealed class Applier
{
    private const string RequestFile = "request.json";
    private const string ResultFile = "result.json";

    private readonly ReconcileSession _session;
    private readonly ApplyOptions _options;
    private readonly ConcurrentDictionary<string, ActionOutcome> _outcomes = new(StringComparer.Ordinal);
    private readonly ResultWriter _writer;
    private RegistryWriteException? _environmentFailure;

    public Applier(ReconcileSession session, ApplyOptions? options = null)
    {
        _session = session;
        _options = options ?? new ApplyOptions();
        _writer = new ResultWriter(session, _options);
    }

    public async Task<ApplyResult> ApplyAsync(CancellationToken ct = default)
    {
        _session.EnsureValid();
        using var repositoryLock = RepositoryLock.Acquire(_session.RepositoryRoot, _options.LockTimeout, "apply", ct);
        var recovered = RegistryRecovery.Run(_session.RepositoryRoot, _session.Registry);
        RegistryIntegrityException.ThrowIfBroken(RegistryCheck.Quick(_session.Registry, _session.RepositoryRoot));
        var context = _session.PlanningContext(_options.Time.GetUtcNow());
        var plan = Planner.Plan(_session.Specs, _session.Snapshot(), context);
        if (_options.SavedPlan is { } saved)
        {
            if (saved.RegistryState != plan.RegistryState || saved.SpecsHash != plan.SpecsHash)
            {
                throw new PlanFileException("the saved plan is stale: the registry or the specs changed since it was made; run 'optaic plan' again");
            }
            plan = saved;
        }

        var requests = new RunRequests(_session, context, plan);
        var executor = _options.Executor ?? new InProcessRunExecutor(RunWorkspace.From(_session));
        var runs = plan.Actions.Select(a => new ScheduledRun(WorkflowFor(a), Request(a, plan))
        {
            After = [.. a.DependsOn.Select(d => RunRequests.RunId(plan.Actions.First(p => p.Id == d), plan))],
        }).ToList();
        // Progress is reported live, as each run ends (a synchronous reporter: events stay in order).
        var byRun = plan.Actions.ToDictionary(a => RunRequests.RunId(a, plan), StringComparer.Ordinal);
        var live = new LiveProgress(_outcomes, byRun, plan.Actions.Count, _options.Progress);
        var workflows = new WorkflowExecutor(Steps(plan, requests, executor), new WorkflowExecutorOptions { MaxDegreeOfParallelism = 1, Progress = live });
        var parallel = _options.MaxParallelRuns ?? _session.Specs.ProjectSettings.Concurrency?.MaxParallelRuns ?? Environment.ProcessorCount;
        var scheduler = new WorkflowScheduler(workflows, Math.Max(1, parallel), live);
        var summaries = runs.Count == 0 ? [] : await scheduler.RunAllAsync(runs, ct);

        if (_environmentFailure is { } refused)
        {
            throw refused;
        }

        var outcomes = new List<ActionOutcome>();
        for (var i = 0; i < plan.Actions.Count; i++)
        {
            var action = plan.Actions[i];
            var outcome = LiveProgress.OutcomeOf(_outcomes, action, summaries[i]);
            if (outcome.Failed && summaries[i].Status == Workflows.RunStatus.Failed)
            {
                _writer.RecordFailure(action, outcome.Summary);
            }
            outcomes.Add(outcome);
        }
        ct.ThrowIfCancellationRequested();

        Data.Profiles.DatasetProfiles.RecordMissing(_session, context);
        var changed = ChangedRegistryPaths();
        string? commit = null;
        if (_options.Commit && changed.Count > 0)
        {
            commit = Commit(outcomes);
        }
        return new ApplyResult(plan, outcomes, commit, changed) { Recovered = recovered };
    }

    private WorkflowRunRequest Request(PlannedAction action, ActionPlan plan) => new()
    {
        RunId = RunRequests.RunId(action, plan),
        WorkflowId = action.Kind.ToString().ToLowerInvariant(),
        CommitSha = plan.RegistryCommit ?? "",
        WorkRoot = _session.WorkFolder,
        Inputs = new Dictionary<string, System.Text.Json.Nodes.JsonNode?> { ["action"] = action.Id },
    };

    /// <summary>The workflow of an action: the run, then the record (called register when it makes a version).</summary>
    private static WorkflowDefinition WorkflowFor(PlannedAction action) =>
        new WorkflowBuilder(action.Kind.ToString().ToLowerInvariant())
            .Step("run", "run", s => s.Input("action", "=inputs.action"))
            .Step(RecordStep(action), "record", s => s.Input("action", "=inputs.action").DependsOn("run"))
            .Build();

    private static string RecordStep(PlannedAction action) => ActionPlan.MakesVersion(action.Kind) ? "register" : "record";

    private ActivityRegistry Steps(ActionPlan plan, RunRequests requests, IRunExecutor executor)
    {
        var byId = plan.Actions.ToDictionary(a => a.Id, StringComparer.Ordinal);
        PlannedAction ActionOf(ActivityContext ctx) => byId[ctx.GetInput<string>("action")!];
        var registry = new ActivityRegistry();
        registry.Register("run", (ctx, ct) => RunStep(ctx, ActionOf(ctx), requests, executor, ct));
        registry.Register("record", (ctx, ct) => RecordStep(ctx, ActionOf(ctx), executor, ct));
        return registry;
    }

    /// <summary>Builds the request now (the runs it reads are recorded), hands it to the executor and keeps the result for the record step.</summary>
    private async Task<ActivityOutput> RunStep(ActivityContext ctx, PlannedAction action, RunRequests requests, IRunExecutor executor, CancellationToken ct)
    {
        ThrowIfRefused();
        var prepared = await Task.Run(() => requests.Prepare(action), ct);
        if (prepared.Request is not { } request)
        {
            _outcomes[action.Id] = new ActionOutcome(action, ActionStatus.Succeeded, prepared.Skipped!);
            File.Delete(Path.Combine(ctx.RunFolder, ResultFile));
            return new ActivityOutput().Set("skipped", true);
        }
        var result = await ExecuteAsync(ctx, request, executor, ct);
        return new ActivityOutput().Set("outcome", result.Outcome.ToString());
    }

    /// <summary>Runs the request through the executor; a success (or a failed gate) is kept in the run's folder, a failure throws.</summary>
    private async Task<RunResult> ExecuteAsync(ActivityContext ctx, RunRequest request, IRunExecutor executor, CancellationToken ct)
    {
        var result = await executor.ExecuteAsync(request, new StageProgress(ctx), ct);
        switch (result.Outcome)
        {
            case RunOutcome.Cancelled:
                throw new OperationCanceledException(result.Error ?? "cancelled", ct);
            case RunOutcome.Failed when result.Failure == RunFailure.Environment:
                // A write the machine refuses stops the whole apply, records nothing and commits nothing; the next apply resumes.
                var failure = new RegistryWriteException(result.Error ?? "the machine refused a write");
                Interlocked.CompareExchange(ref _environmentFailure, failure, null);
                throw failure;
            case RunOutcome.Failed:
                throw new JobException(result.Error ?? "failed");
        }
        Guarded(() =>
        {
            File.WriteAllText(Path.Combine(ctx.RunFolder, RequestFile), RunJson.Serialize(request));
            File.WriteAllText(Path.Combine(ctx.RunFolder, ResultFile), RunJson.Serialize(result));
            return new ActivityOutput();
        });
        return result;
    }

    /// <summary>
    /// Writes the kept result through the one writer (read back from the run folder, as after a resume). A kept
    /// result whose artifacts are gone (the registry was reset or cleaned since) is run again first.
    /// </summary>
    private async Task<ActivityOutput> RecordStep(ActivityContext ctx, PlannedAction action, IRunExecutor executor, CancellationToken ct)
    {
        var resultPath = Path.Combine(ctx.RunFolder, ResultFile);
        if (!File.Exists(resultPath))
        {
            return new ActivityOutput(); // skipped: the run step said why
        }
        var request = RunJson.Deserialize<RunRequest>(await File.ReadAllTextAsync(Path.Combine(ctx.RunFolder, RequestFile), ct), RequestFile);
        var result = RunJson.Deserialize<RunResult>(await File.ReadAllTextAsync(resultPath, ct), ResultFile);
        if (result.Artifacts.Any(a => _session.Registry.Artifacts.Check(a, verifyHash: false) != ArtifactState.Present))
        {
            ctx.ReportProgress(0, "the artifacts of the journaled run are gone; running it again");
            await ExecuteAsync(ctx, request, executor, ct);
            result = RunJson.Deserialize<RunResult>(await File.ReadAllTextAsync(resultPath, ct), ResultFile);
        }
        return Guarded(() =>
        {
            _outcomes[action.Id] = _writer.Write(action, request, result);
            return new ActivityOutput();
        });
    }

    /// <summary>What the run says it is doing, to the live display (through the workflow's progress).</summary>
    private sealed class StageProgress(ActivityContext ctx) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => ctx.ReportProgress(0, value.Stage);
    }

    private void ThrowIfRefused()
    {
        if (_environmentFailure is { } earlier)
        {
            throw earlier;
        }
    }

    /// <summary>
    /// A write the machine refuses (a full disk, a read-only folder) is not a failure of the model: it stops the
    /// whole apply, records nothing and commits nothing, and is reported as one line; the next apply resumes.
    /// </summary>
    private ActivityOutput Guarded(Func<ActivityOutput> step)
    {
        ThrowIfRefused();
        try
        {
            return step();
        }
        catch (Exception e) when (e is RegistryWriteException || (RegistryWriteException.IsEnvironmental(e) && e is not FileNotFoundException and not DirectoryNotFoundException))
        {
            var failure = e as RegistryWriteException ?? RegistryWriteException.For(_session.RegistryPath, e);
            Interlocked.CompareExchange(ref _environmentFailure, failure, null);
            throw failure;
        }
    }

    private List<string> ChangedRegistryPaths()
    {
        try
        {
            using var git = new Repository(_session.RepositoryRoot);
            var registry = _session.RegistryPath.TrimEnd('/') + "/";
            return [.. git.RetrieveStatus(new StatusOptions { PathSpec = [registry], IncludeUntracked = true, RecurseUntrackedDirs = true })
                .Where(e => e.State != FileStatus.Ignored && e.State != FileStatus.Unaltered)
                .Select(e => e.FilePath)];
        }
        catch (RepositoryNotFoundException)
        {
            return [];
        }
    }

    private string? Commit(List<ActionOutcome> outcomes)
    {
        var (name, email, prefix) = SpecBindings.CommitIdentity(_session.Specs);
        var message = new StringBuilder();
        int Count(ActionKind kind) => outcomes.Count(o => o.Action.Kind == kind && o.Status == ActionStatus.Succeeded);
        var imports = Count(ActionKind.Import);
        message.Append(CultureInfo.InvariantCulture,
            $"{prefix.TrimEnd()} reconcile: {Count(ActionKind.Train)} trained, {(imports > 0 ? $"{imports} imported, " : "")}{Count(ActionKind.Infer)} scored, {Count(ActionKind.Monitor)} monitored");
        var failed = outcomes.Count(o => o.Failed || o.Status == ActionStatus.GateFailed);
        if (failed > 0)
        {
            message.Append(CultureInfo.InvariantCulture, $", {failed} failed");
        }
        message.Append("\n\n");
        foreach (var outcome in outcomes)
        {
            message.Append(CultureInfo.InvariantCulture, $"{outcome.Action.Change} {PlanFormatter.Verb(outcome.Action.Kind)} {outcome.Action.Instance}: {outcome.Summary}\n");
        }
        if (outcomes.Count == 0)
        {
            message.Append("Records of an interrupted apply, completed.\n");
        }
        using var git = GitRepository.Open(_session.RepositoryRoot);
        var signature = new Signature(name, email, _options.Time.GetUtcNow());
        // Crash-safe: objects, intent, branch, index; recovery completes a commit a kill interrupts. Apply never
        // deletes a registry file, so a file missing from the work tree is never committed as a deletion.
        var sha = git.CommitPaths([_session.RegistryPath], message.ToString(), signature,
            intent: CommitIntentFile.In(_session.WorkFolder), commitDeletions: false);
        RegistryRecovery.Finish(_session.RepositoryRoot);
        return sha;
    }
}
