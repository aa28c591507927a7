using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs.Model;
using OptAIC.Engine.Workflows;
using RegistryGate = OptAIC.Engine.Registry.GateResult;

namespace OptAIC.Engine.Apply;

public sealed record ApplyOptions
{
    /// <summary>Make one commit of the registry when done (false: leave the records in the working tree).</summary>
    public bool Commit { get; init; } = true;

    /// <summary>How long to wait for another apply on the same repository to finish.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Independent runs at once; default: the Project spec's concurrency, else the number of cores.</summary>
    public int? MaxParallelRuns { get; init; }

    /// <summary>A plan saved by `plan --out`: applied only if the registry and specs have not moved since.</summary>
    public ActionPlan? SavedPlan { get; init; }

    public IProgress<ApplyEvent>? Progress { get; init; }

    /// <summary>Who applies, for stage histories ("optaic-bot", a user name).</summary>
    public string Actor { get; init; } = "optaic";

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

public enum ApplyEventKind
{
    Started,
    Succeeded,
    Failed,
}

public sealed record ApplyEvent(ApplyEventKind Kind, PlannedAction Action, string Message, int Done, int Total);

/// <summary>What one action did: succeeded, failed (the run record says why), or did not run because something before it failed.</summary>
public sealed record ActionOutcome(PlannedAction Action, string Status, string Summary)
{
    public bool Failed => Status is "failed" or "not-run";
}

public sealed record ApplyResult(ActionPlan Plan, IReadOnlyList<ActionOutcome> Outcomes, string? CommitSha, IReadOnlyList<string> ChangedPaths)
{
    public bool Succeeded => Outcomes.All(o => !o.Failed);

    /// <summary>What recovery did before the plan (a torn commit completed, journals of another state removed, ...).</summary>
    public IReadOnlyList<RecoveryStep> Recovered { get; init; } = [];
}

/// <summary>
/// apply: runs a plan's actions as workflow runs (train → register, infer, monitor, promote, archive),
/// independent ones in parallel and dependent ones in DAG order, under the repository's lock; writes
/// every record through the registry (artifact before record, status last, so a kill leaves nothing
/// half-written and the next apply finishes the work); then makes one commit of the registry.
/// </summary>
public sealed class Applier
{
    private readonly ReconcileSession _session;
    private readonly ApplyOptions _options;
    private readonly ConcurrentDictionary<string, Frame> _predictions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ActionOutcome> _outcomes = new(StringComparer.Ordinal);
    private readonly object _statusLock = new();
    private readonly FeatureFrameCache _features = new();
    private PlanningContext _context = null!;
    private RegistryWriteException? _environmentFailure;

    public Applier(ReconcileSession session, ApplyOptions? options = null)
    {
        _session = session;
        _options = options ?? new ApplyOptions();
    }

    public async Task<ApplyResult> ApplyAsync(CancellationToken ct = default)
    {
        _session.EnsureValid();
        using var repositoryLock = RepositoryLock.Acquire(_session.RepositoryRoot, _options.LockTimeout, "apply", ct);
        var recovered = RegistryRecovery.Run(_session.RepositoryRoot, _session.Registry);
        RegistryIntegrityException.ThrowIfBroken(RegistryCheck.Quick(_session.Registry, _session.RepositoryRoot));
        _context = _session.PlanningContext(_options.Time.GetUtcNow());
        var snapshot = _session.Snapshot();
        var plan = Planner.Plan(_session.Specs, snapshot, _context);
        if (_options.SavedPlan is { } saved)
        {
            if (saved.RegistryState != plan.RegistryState || saved.SpecsHash != plan.SpecsHash)
            {
                throw new PlanFileException("the saved plan is stale: the registry or the specs changed since it was made; run 'optaic plan' again");
            }
            plan = saved;
        }

        var runs = plan.Actions.Select(a => new ScheduledRun(WorkflowFor(a, PipelineSteps.For(_session.Specs, a)), Request(a, plan))
        {
            After = [.. a.DependsOn.Select(d => RunId(plan.Actions.First(p => p.Id == d), plan))],
        }).ToList();
        // Progress is reported live, as each run ends (a synchronous reporter: events stay in order).
        var byRun = plan.Actions.ToDictionary(a => RunId(a, plan), StringComparer.Ordinal);
        var live = new LiveProgress(this, byRun, plan.Actions.Count, _options.Progress);
        var executor = new WorkflowExecutor(Activities(plan), new WorkflowExecutorOptions { MaxDegreeOfParallelism = 1, Progress = live });
        var parallel = _options.MaxParallelRuns ?? _session.Specs.ProjectSettings.Concurrency?.MaxParallelRuns ?? Environment.ProcessorCount;
        var scheduler = new WorkflowScheduler(executor, Math.Max(1, parallel), live);
        var summaries = runs.Count == 0 ? [] : await scheduler.RunAllAsync(runs, ct);

        if (_environmentFailure is { } refused)
        {
            throw refused;
        }

        var outcomes = new List<ActionOutcome>();
        for (var i = 0; i < plan.Actions.Count; i++)
        {
            var action = plan.Actions[i];
            var outcome = OutcomeOf(action, summaries[i]);
            if (outcome.Failed && summaries[i].Status == Workflows.RunStatus.Failed)
            {
                RecordFailure(action, outcome.Summary);
            }
            outcomes.Add(outcome);
        }
        ct.ThrowIfCancellationRequested();

        var changed = ChangedRegistryPaths();
        string? commit = null;
        if (_options.Commit && changed.Count > 0)
        {
            commit = Commit(outcomes);
        }
        return new ApplyResult(plan, outcomes, commit, changed) { Recovered = recovered };
    }

    private ActionOutcome OutcomeOf(PlannedAction action, RunSummary summary) =>
        _outcomes.TryGetValue(action.Id, out var recorded) && summary.Status == Workflows.RunStatus.Succeeded
            ? recorded
            : summary.Status switch
            {
                Workflows.RunStatus.Succeeded => new ActionOutcome(action, "succeeded", "done"),
                Workflows.RunStatus.NotRun => new ActionOutcome(action, "not-run", "not run: an action it depends on failed"),
                Workflows.RunStatus.Cancelled => new ActionOutcome(action, "not-run", "cancelled"),
                _ => new ActionOutcome(action, "failed", summary.Error ?? summary.Steps.Select(s => s.Error).FirstOrDefault(e => e is not null) ?? "failed"),
            };

    /// <summary>Turns the workflow layer's run events into apply events, as they happen.</summary>
    private sealed class LiveProgress(Applier owner, Dictionary<string, PlannedAction> byRun, int total, IProgress<ApplyEvent>? target) : IProgress<WorkflowProgressEvent>
    {
        private readonly object _gate = new();
        private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

        public void Report(WorkflowProgressEvent value)
        {
            if (target is null || !byRun.TryGetValue(value.RunId, out var action))
            {
                return;
            }
            lock (_gate)
            {
                switch (value.Kind)
                {
                    case WorkflowProgressKind.RunStarted:
                        target.Report(new ApplyEvent(ApplyEventKind.Started, action, "started", _reported.Count, total));
                        break;
                    case WorkflowProgressKind.RunCompleted or WorkflowProgressKind.RunFailed or WorkflowProgressKind.RunSkipped or WorkflowProgressKind.RunCancelled:
                        if (!_reported.Add(value.RunId))
                        {
                            return;
                        }
                        var status = value.Kind switch
                        {
                            WorkflowProgressKind.RunCompleted => Workflows.RunStatus.Succeeded,
                            WorkflowProgressKind.RunFailed => Workflows.RunStatus.Failed,
                            WorkflowProgressKind.RunCancelled => Workflows.RunStatus.Cancelled,
                            _ => Workflows.RunStatus.NotRun,
                        };
                        var outcome = owner._outcomes.TryGetValue(action.Id, out var recorded) && status == Workflows.RunStatus.Succeeded
                            ? recorded
                            : new ActionOutcome(action, status switch
                            {
                                Workflows.RunStatus.Succeeded => "succeeded",
                                Workflows.RunStatus.Failed => "failed",
                                _ => "not-run",
                            }, value.Message ?? (status == Workflows.RunStatus.NotRun ? "not run: an action it depends on failed" : status.ToString().ToLowerInvariant()));
                        target.Report(new ApplyEvent(outcome.Failed ? ApplyEventKind.Failed : ApplyEventKind.Succeeded, action, outcome.Summary, _reported.Count, total));
                        break;
                    case WorkflowProgressKind.StepProgress when value.Message is { } stage:
                        target.Report(new ApplyEvent(ApplyEventKind.Started, action, stage, _reported.Count, total));
                        break;
                    case WorkflowProgressKind.StepStarted when value.StepId == "register":
                        target.Report(new ApplyEvent(ApplyEventKind.Started, action, "registering the version", _reported.Count, total));
                        break;
                    case WorkflowProgressKind.StepRetrying:
                        target.Report(new ApplyEvent(ApplyEventKind.Started, action, $"retrying ({value.Message})", _reported.Count, total));
                        break;
                }
            }
        }
    }

    private WorkflowRunRequest Request(PlannedAction action, ActionPlan plan) => new()
    {
        RunId = RunId(action, plan),
        WorkflowId = action.Kind.ToString().ToLowerInvariant(),
        CommitSha = plan.RegistryCommit ?? "",
        WorkRoot = _session.WorkFolder,
        Inputs = new Dictionary<string, System.Text.Json.Nodes.JsonNode?>
        {
            ["instance"] = action.Instance,
            ["action"] = action.Id,
        },
    };

    /// <summary>
    /// A run id that is the same for the same action of the same plan state, so an apply killed in the
    /// middle of a run resumes it from its journal (a finished training is not redone).
    /// </summary>
    private static string RunId(PlannedAction action, ActionPlan plan)
    {
        var key = string.Join("\n", [action.Id, plan.RegistryCommit ?? "", plan.RegistryState, plan.SpecsHash, .. action.Reasons]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        return $"{action.Kind.ToString().ToLowerInvariant()}-{action.Instance}-{hash}";
    }

    /// <summary>
    /// The built-in workflow of an action, with the retries and timeout of the pipeline step that names
    /// the same action and instance (Pipeline specs), if any.
    /// </summary>
    private static WorkflowDefinition WorkflowFor(PlannedAction action, PipelineStepSpec? step)
    {
        StepBuilder Configure(StepBuilder builder)
        {
            builder.Input("instance", "=inputs.instance");
            if (step?.Retries is > 0 and var retries)
            {
                builder.Retry(retries + 1, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
            }
            if (step?.Timeout is { } timeout && Specs.Durations.TryParse(timeout, out var perAttempt) && perAttempt > TimeSpan.Zero)
            {
                builder.Timeout(perAttempt);
            }
            return builder;
        }
        var kind = action.Kind.ToString().ToLowerInvariant();
        // A version comes from a step that makes it (train, or import a file) and the register step.
        return ActionPlan.MakesVersion(action.Kind)
            ? new WorkflowBuilder(kind)
                .Step(kind, kind, s => Configure(s))
                .Step("register", "register", s => s.Input("instance", "=inputs.instance").DependsOn(kind))
                .Build()
            : new WorkflowBuilder(kind).Step(kind, kind, s => Configure(s)).Build();
    }

    private ActivityRegistry Activities(ActionPlan plan)
    {
        var registry = new ActivityRegistry();
        registry.Register("train", (ctx, ct) => Guarded(() => TrainStep(ctx, ct), ct));
        registry.Register("import", (ctx, ct) => Guarded(() => ImportStep(ctx, ct), ct));
        registry.Register("register", (ctx, ct) => Guarded(() => RegisterStep(ctx, plan), ct));
        registry.Register("promote", (ctx, ct) => Guarded(() => PromoteStep(ctx, plan), ct));
        registry.Register("infer", (ctx, ct) => Guarded(() => InferStep(ctx, plan, ct), ct));
        registry.Register("monitor", (ctx, ct) => Guarded(() => MonitorStep(ctx, plan, ct), ct));
        registry.Register("archive", (ctx, ct) => Guarded(() => ArchiveStep(ctx, plan), ct));
        return registry;
    }

    /// <summary>
    /// A write the machine refuses (a full disk, a read-only folder) is not a failure of the model: it stops the
    /// whole apply, records nothing and commits nothing, and is reported as one line; the next apply resumes.
    /// </summary>
    private Task<ActivityOutput> Guarded(Func<ActivityOutput> step, CancellationToken ct) => Task.Run(() =>
    {
        if (_environmentFailure is { } earlier)
        {
            throw earlier;
        }

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
    }, ct);

    // ---- Steps -------------------------------------------------------------------------------------------------

    private ActivityOutput TrainStep(ActivityContext ctx, CancellationToken ct)
    {
        var instance = ctx.GetInput<string>("instance");
        var started = _options.Time.GetUtcNow();
        var outcome = TrainActivity.Run(_session.Specs, instance, _session.RepositoryRoot, ReadPredictions, ct, _features, StageReporter(ctx));
        return Keep(ctx, outcome, started);
    }

    private ActivityOutput ImportStep(ActivityContext ctx, CancellationToken ct)
    {
        var instance = ctx.GetInput<string>("instance");
        var started = _options.Time.GetUtcNow();
        var expected = Desired(instance).Train.Parts.GetValueOrDefault(FingerprintParts.OnnxFileKey) ?? "unknown";
        var outcome = ImportActivity.Run(_session.Specs, instance, _session.RepositoryRoot, expected, ct, _features, StageReporter(ctx));
        return Keep(ctx, outcome, started);
    }

    /// <summary>What a running step says it is doing, to the live display (through the workflow's progress).</summary>
    private static Action<string> StageReporter(ActivityContext ctx) => message => ctx.ReportProgress(0, message);

    /// <summary>The step's result goes to the run folder, so a resumed run registers it without training (or importing) again.</summary>
    private static ActivityOutput Keep(ActivityContext ctx, TrainingOutcome outcome, DateTimeOffset started)
    {
        File.WriteAllBytes(Path.Combine(ctx.RunFolder, "bundle.zip"), outcome.Bundle.ToBytes());
        File.WriteAllText(Path.Combine(ctx.RunFolder, "outcome.json"), System.Text.Json.JsonSerializer.Serialize(new TrainingSummary(outcome) { StartedAt = started }));
        return new ActivityOutput().Set("passed", outcome.Passed);
    }

    private ActivityOutput RegisterStep(ActivityContext ctx, ActionPlan plan)
    {
        var instanceName = ctx.GetInput<string>("instance");
        var action = plan.Actions.First(a => a.Instance == instanceName && ActionPlan.MakesVersion(a.Kind));
        var imported = action.Kind == ActionKind.Import;
        var bytes = File.ReadAllBytes(Path.Combine(ctx.RunFolder, "bundle.zip"));
        var summary = System.Text.Json.JsonSerializer.Deserialize<TrainingSummary>(File.ReadAllText(Path.Combine(ctx.RunFolder, "outcome.json")))!;
        var instance = _session.Specs.Instances[instanceName];
        var definition = _session.Specs.Definitions[instance.Value.Definition];
        var desired = Desired(instanceName);
        var store = _session.Registry;
        var now = _options.Time.GetUtcNow();
        var gates = summary.Gates.Select(g => new RegistryGate { Metric = g.Metric, Op = g.Operator, Threshold = g.Threshold, Value = g.Value ?? double.NaN, Passed = g.Passed }).ToList();
        var run = new RunRecord
        {
            RunId = ctx.RunId,
            Instance = instanceName,
            Kind = imported ? RunKind.Import : RunKind.Training,
            StartedAt = summary.StartedAt,
            FinishedAt = now,
            Fingerprint = desired.Train.Value,
            Metrics = new SortedDictionary<string, double>(summary.Metrics, StringComparer.Ordinal),
            Gates = gates,
            Details = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["reasons"] = action.Reasons.ToList(),
                ["rows"] = summary.Rows,
                ["droppedRows"] = summary.DroppedRows,
                ["purgedRows"] = summary.PurgedRows,
                ["window"] = summary.Rows == 0 ? null : $"{summary.WindowStart:yyyy-MM-dd}..{summary.WindowEnd:yyyy-MM-dd}",
            },
        };

        if (!summary.Passed)
        {
            // A failed gate registers nothing; the run says why, and the same inputs are not retried.
            var failedGates = string.Join("; ", summary.Gates.Where(g => !g.Passed).Select(g => g.Reason));
            run.Status = Registry.RunStatus.Failed;
            run.Error = $"gates failed: {failedGates}";
            store.WriteRun(run);
            UpdateStatus(instanceName, AppliedActions.Train, desired.Train, ctx.RunId, version: null, output: null, lastRun: run);
            _outcomes[action.Id] = new ActionOutcome(action, "gate-failed", $"nothing registered: {failedGates}");
            return new ActivityOutput();
        }

        // Idempotent after a crash: a version already registered for this fingerprint is reused.
        var existing = store.GetVersions(instanceName).LastOrDefault(v => v.Fingerprint.Value == desired.Train.Value);
        var record = existing ?? Register(instanceName, instance.Value, definition.Value, desired, summary, gates, bytes, ctx.RunId, now);
        run.Version = record.Version;
        run.Status = Registry.RunStatus.Succeeded;
        run.Outputs = [record.Artifact.Uri];
        var stage = Promote(instanceName, instance.Value, definition.Value, record);
        store.WriteRun(run);
        UpdateStatus(instanceName, AppliedActions.Train, desired.Train, ctx.RunId, record.Version, output: null, lastRun: run);
        var metric = InstanceOverview.KeyMetric(instance.Value, definition.Value);
        var shown = metric is not null && record.Metrics.TryGetValue(metric, out var value) ? $"{metric} {value:F3}, " : "";
        _outcomes[action.Id] = new ActionOutcome(action, "succeeded", $"version {record.Version} ({shown}gates passed) -> {stage}");
        return new ActivityOutput().Set("version", record.Version);
    }

    private VersionRecord Register(string name, ModelInstanceSpec instance, ModelDefinitionSpec definition, InstanceFingerprints desired,
        TrainingSummary summary, List<RegistryGate> gates, byte[] bytes, string runId, DateTimeOffset now)
    {
        var store = _session.Registry;
        var specs = _session.Specs;
        var selection = instance.Features;
        var set = selection is null ? null : specs.FeatureSets[selection.FeatureSet].Value;
        var datasets = set is null ? [] : new[] { set.Source }.Concat(set.Join.Select(j => j.Dataset)).Distinct();
        for (var attempt = 0; ; attempt++)
        {
            var record = new VersionRecord
            {
                Instance = name,
                Version = store.NextVersionNumber(name),
                CreatedAt = now,
                Definition = instance.Definition,
                Category = definition.Category,
                Algorithm = definition.Model.Algorithm,
                Fingerprint = new Registry.Fingerprint { Value = desired.Train.Value, Parts = new SortedDictionary<string, string>(desired.Train.Parts.ToDictionary(), StringComparer.Ordinal) },
                Features = [.. summary.Features],
                Target = instance.Target,
                // An imported model without an evaluation window was never fitted or evaluated here: no window.
                TrainingWindow = summary.Rows == 0 ? null : new TrainingWindow { From = DateOnly.FromDateTime(summary.WindowStart), To = DateOnly.FromDateTime(summary.WindowEnd), Rows = summary.Rows },
                Hyperparameters = new SortedDictionary<string, object?>(summary.Hyperparameters.ToDictionary(p => p.Key, p => Plain(p.Value)), StringComparer.Ordinal),
                Metrics = new SortedDictionary<string, double>(summary.Metrics, StringComparer.Ordinal),
                Gates = gates,
                Artifact = new ArtifactRef { MediaType = ModelBundle.MediaType },
                Lineage = new Lineage
                {
                    Datasets = new SortedDictionary<string, string>(datasets.ToDictionary(d => d, d => _context.DatasetVersions.GetValueOrDefault(d) ?? "unknown"), StringComparer.Ordinal),
                    Parent = LatestVersion(store, name),
                },
                EngineVersion = ReconcileSession.EngineVersion,
                TrainerVersion = ReconcileSession.TrainerVersion,
                TrainingRun = runId,
            };
            try
            {
                return store.RegisterVersion(record, bytes, r => Card(r, Stage.Staging, definition), "zip");
            }
            catch (VersionAlreadyExistsException) when (attempt < 5)
            {
                // Another reconciler took the number between our read and our write: take the next one.
            }
        }
    }

    /// <summary>The promotion policy: auto promotes a version that beats production on the metric by the margin; pinned and manual leave it in staging.</summary>
    private string Promote(string name, ModelInstanceSpec instance, ModelDefinitionSpec definition, VersionRecord record)
    {
        var store = _session.Registry;
        var history = store.GetStageHistory(name);
        if (history.StageOf(record.Version) is { } existing && existing != Stage.Staging)
        {
            return Stages.Name(existing);
        }
        var policy = instance.Promotion?.Policy ?? "auto";
        if (policy == "pinned" && instance.Promotion?.Version == record.Version)
        {
            ChangeStage(name, record.Version, Stage.Production, $"pinned in the spec (version {record.Version})", Stage.Staging);
            return "production";
        }
        if (policy != "auto")
        {
            ChangeStage(name, record.Version, Stage.Staging, $"registered; policy {policy} leaves promotion to a pull request");
            return "staging";
        }
        var metric = InstanceOverview.KeyMetric(instance, definition);
        var margin = instance.Promotion?.Margin ?? 0;
        var production = history.Production is { } p ? store.GetVersion(name, p) : null;
        string reason;
        if (production is null)
        {
            reason = "auto: first version that passed its gates";
        }
        else if (metric is null || !record.Metrics.TryGetValue(metric, out var now) || !production.Metrics.TryGetValue(metric, out var before))
        {
            ChangeStage(name, record.Version, Stage.Staging, $"auto: no {metric ?? "metric"} to compare with production version {production.Version}");
            return "staging";
        }
        else
        {
            var lowerIsBetter = ML.Training.MetricSet.LowerIsBetter.Contains(metric);
            var gain = lowerIsBetter ? before - now : now - before;
            if (gain <= margin)
            {
                ChangeStage(name, record.Version, Stage.Staging,
                    $"auto: {metric} {now:F4} does not beat production version {production.Version} ({before:F4}) by more than {margin}");
                return "staging";
            }
            reason = $"auto: {metric} {now:F4} beats production version {production.Version} ({before:F4}) by more than {margin}";
        }
        ChangeStage(name, record.Version, Stage.Production, reason, Stage.Staging);
        return "production";
    }

    private ModelCardRenderer? _cards;

    /// <summary>A version's model card at a stage (the Project's template, else the engine's).</summary>
    private string Card(VersionRecord record, Stage stage, ModelDefinitionSpec definition)
    {
        _cards ??= ModelCardRenderer.ForRepository(_session.Specs.ProjectSettings.Templates?.ModelCard is { } template
            ? Path.Combine(_session.RepositoryRoot, template)
            : Path.Combine(_session.WorkFolder, "templates", ModelCardRenderer.DefaultTemplateName));
        return _cards.Render(new ModelCardContext
        {
            Version = record,
            Stage = stage,
            Description = definition.Docs.Description,
            IntendedUse = definition.Docs.IntendedUse,
            Notes = definition.Docs.ModelCard,
            Caveats = definition.Docs.Limitations is { } limitations ? [limitations] : [],
        });
    }

    /// <summary>Moves a version to a stage and renders again the card of every version whose stage that changed (the one promoted, the one it superseded).</summary>
    private void ChangeStage(string name, int version, Stage to, string reason, Stage demotePreviousTo = Stage.Archived)
    {
        var store = _session.Registry;
        var before = store.GetStageHistory(name);
        var after = store.ChangeStage(name, version, to, _options.Actor, reason, demotePreviousTo);
        if (!_session.Specs.Instances.TryGetValue(name, out var instance) || !_session.Specs.Definitions.TryGetValue(instance.Value.Definition, out var definition))
        {
            return; // an archived instance: its cards keep the stage they had
        }
        foreach (var number in store.GetVersionNumbers(name))
        {
            if (before.StageOf(number) != after.StageOf(number) && after.StageOf(number) is { } stage && store.GetVersion(name, number) is { } record)
            {
                store.RewriteModelCard(name, number, Card(record, stage, definition.Value));
            }
        }
    }

    private static int? LatestVersion(RegistryStore store, string name)
    {
        var numbers = store.GetVersionNumbers(name);
        return numbers.Count == 0 ? null : numbers[^1];
    }

    private ActivityOutput PromoteStep(ActivityContext ctx, ActionPlan plan)
    {
        var name = ctx.GetInput<string>("instance");
        var action = plan.Actions.First(a => a.Id == PlannedAction.IdOf(ActionKind.Promote, name));
        var pinned = _session.Specs.Instances[name].Value.Promotion?.Version
            ?? throw new JobException($"{name}: promotion is planned but no version is pinned");
        var production = _session.Registry.GetStageHistory(name).Production;
        var verb = production is { } p && pinned < p ? "rollback" : "promotion";
        // A version rolled back from is archived, so auto promotion never picks it again.
        ChangeStage(name, pinned, Stage.Production, $"{verb}: pinned in the spec", verb == "rollback" ? Stage.Archived : Stage.Staging);
        _outcomes[action.Id] = new ActionOutcome(action, "succeeded", $"version {pinned} -> production ({verb})");
        return new ActivityOutput();
    }

    private ActivityOutput InferStep(ActivityContext ctx, ActionPlan plan, CancellationToken ct)
    {
        var name = ctx.GetInput<string>("instance");
        var action = plan.Actions.First(a => a.Id == PlannedAction.IdOf(ActionKind.Infer, name));
        var (version, bundle) = ServingModel(name);
        if (version is null)
        {
            _outcomes[action.Id] = new ActionOutcome(action, "succeeded", "skipped: no version in production or staging to score with");
            return new ActivityOutput();
        }
        var desired = Desired(name);
        if (Unchanged(name, AppliedActions.Infer, ActionKind.Infer, desired.Infer) is { } kept)
        {
            // Planned because a new version or an input might change the output; neither did (the new version stayed in staging).
            _outcomes[action.Id] = new ActionOutcome(action, "succeeded", $"unchanged: version {version} still serves and nothing it reads changed; the predictions of run {kept.RunId} stand");
            return new ActivityOutput();
        }
        var started = _options.Time.GetUtcNow();
        var outcome = InferActivity.Run(_session.Specs, name, _session.RepositoryRoot, bundle!, version.Value, ReadPredictions, ct, _features, StageReporter(ctx));
        var artifact = StorePredictions(outcome.Output, name, version.Value);
        _predictions[name] = outcome.Output;
        var run = SucceededRun(ctx, name, RunKind.Inference, started, desired.Infer, version, artifact.Uri, new()
        {
            ["rowsScored"] = outcome.RowsScored,
            ["rowsSkipped"] = outcome.RowsSkipped,
            ["window"] = $"{outcome.From:yyyy-MM-dd}..{outcome.To:yyyy-MM-dd}",
            ["min"] = outcome.Min,
            ["max"] = outcome.Max,
            ["mean"] = outcome.Mean,
            ["outputSha256"] = artifact.Sha256,
        });
        if (outcome.UnseenCategories.Count > 0)
        {
            run.Details["unseenCategories"] = outcome.UnseenCategories;
        }
        _session.Registry.WriteRun(run);
        UpdateStatus(name, AppliedActions.Infer, desired.Infer, ctx.RunId, version, artifact.Uri, run);
        _outcomes[action.Id] = new ActionOutcome(action, "succeeded",
            $"{outcome.RowsScored:N0} rows {outcome.From:yyyy-MM-dd}..{outcome.To:yyyy-MM-dd} with version {version} in [{outcome.Min:F3}, {outcome.Max:F3}]"
            + string.Concat(outcome.UnseenCategories.Select(u => $"; {u.Value:N0} rows with a {u.Key} category unseen in training")));
        return new ActivityOutput().Set("output", artifact.Uri);
    }

    private ActivityOutput MonitorStep(ActivityContext ctx, ActionPlan plan, CancellationToken ct)
    {
        var name = ctx.GetInput<string>("instance");
        var action = plan.Actions.First(a => a.Id == PlannedAction.IdOf(ActionKind.Monitor, name));
        var (version, bundle) = ServingModel(name);
        if (version is null)
        {
            _outcomes[action.Id] = new ActionOutcome(action, "succeeded", "skipped: no version to monitor");
            return new ActivityOutput();
        }
        if (Unchanged(name, AppliedActions.Monitor, ActionKind.Monitor, Desired(name).Monitor) is { } kept)
        {
            _outcomes[action.Id] = new ActionOutcome(action, "succeeded", $"unchanged: the predictions and the version it watches are those of run {kept.RunId}");
            return new ActivityOutput();
        }
        var started = _options.Time.GetUtcNow();
        var report = MonitorActivity.Run(_session.Specs, name, _session.RepositoryRoot, bundle!, ReadPredictions, ct, _features, StageReporter(ctx));
        var alerts = new List<MonitoringAlert>();
        alerts.AddRange(report.Columns.Where(c => c.Drifted).Select(c => new MonitoringAlert
        {
            Kind = AlertKind.Drift,
            Subject = c.Column,
            Message = $"{c.Method} {c.Statistic:F4} beyond {c.Threshold}",
            Value = c.Statistic,
            Threshold = c.Threshold,
        }));
        if (report.PredictionDrift is { Drifted: true } prediction)
        {
            alerts.Add(new MonitoringAlert { Kind = AlertKind.Drift, Subject = "prediction", Message = $"prediction drift ({prediction.Method} {prediction.Statistic:F4})", Value = prediction.Statistic, Threshold = prediction.Threshold });
        }
        if (report.Performance is { Decayed: true } performance)
        {
            alerts.Add(new MonitoringAlert { Kind = AlertKind.Performance, Subject = "rolling_rank_ic", Message = "performance decay", Value = performance.RollingRankIc, Threshold = performance.DecayThreshold });
        }
        alerts.AddRange(report.Alerts.Select(a => new MonitoringAlert { Kind = AlertKind.Other, Subject = a.Name, Message = $"{a.Severity}: {a.Condition} ({a.Values})" }));
        // Dataset drift (a share of columns) is what the drift trigger and health read; single columns drifting alone are noted only.
        if (!report.DatasetDrift)
        {
            alerts.RemoveAll(a => a.Kind == AlertKind.Drift && a.Subject != "prediction");
        }
        var record = new MonitoringRecord { RunId = ctx.RunId, Instance = name, Version = version, CreatedAt = _options.Time.GetUtcNow(), Alerts = alerts, Report = report };
        _session.Registry.WriteMonitoring(record);
        var desired = Desired(name);
        var reportPath = Path.GetRelativePath(_session.Registry.Root, _session.Registry.MonitoringPath(name, ctx.RunId)).Replace('\\', '/');
        var run = SucceededRun(ctx, name, RunKind.Monitoring, started, desired.Monitor, version, reportPath, new()
        {
            ["driftShare"] = report.DriftShare,
            ["datasetDrift"] = report.DatasetDrift,
            ["alerts"] = alerts.Count,
            ["rollingRankIc"] = report.Performance?.RollingRankIc,
        });
        _session.Registry.WriteRun(run);
        UpdateStatus(name, AppliedActions.Monitor, desired.Monitor, ctx.RunId, version, null, run, alerts);
        var perf = report.Performance?.RollingRankIc is { } ic ? $", rolling rank IC {ic:F3}" : "";
        _outcomes[action.Id] = new ActionOutcome(action, "succeeded",
            $"drift share {report.DriftShare:P0}{(report.DatasetDrift ? " (dataset drift)" : "")}{perf}, {alerts.Count} alert(s)");
        return new ActivityOutput();
    }

    private RunRecord SucceededRun(ActivityContext ctx, string instance, RunKind kind, DateTimeOffset started, FingerprintParts fingerprint, int? version, string output, SortedDictionary<string, object?> details) => new()
    {
        RunId = ctx.RunId,
        Instance = instance,
        Kind = kind,
        Status = Registry.RunStatus.Succeeded,
        StartedAt = started,
        FinishedAt = _options.Time.GetUtcNow(),
        Fingerprint = fingerprint.Value,
        Version = version,
        Outputs = [output],
        Details = new SortedDictionary<string, object?>(details, StringComparer.Ordinal),
    };

    private ActivityOutput ArchiveStep(ActivityContext ctx, ActionPlan plan)
    {
        var name = ctx.GetInput<string>("instance");
        var action = plan.Actions.First(a => a.Id == PlannedAction.IdOf(ActionKind.Archive, name));
        _session.Registry.Archive(name, _options.Actor, "removed from the specs");
        _outcomes[action.Id] = new ActionOutcome(action, "succeeded", "archived with its versions");
        return new ActivityOutput();
    }

    // ---- Helpers -----------------------------------------------------------------------------------------------

    /// <summary>The fingerprints of an instance now, against the registry as the runs before it left it.</summary>
    private InstanceFingerprints Desired(string name)
    {
        var specs = _session.Specs;
        var instance = specs.Instances[name];
        var names = new[] { name }.Concat(Planner.Upstream(instance.Value)).Distinct();
        var snapshot = RegistryReader.ReadSome(_session.Registry, names);
        return DesiredFingerprints.For(specs, instance, specs.Definitions[instance.Value.Definition].Value, snapshot, _context);
    }

    /// <summary>
    /// The last applied action when what it would compute now is what it computed then (same fingerprint) and
    /// no Pipeline schedule makes it due: running it again would write the same bytes.
    /// </summary>
    private AppliedAction? Unchanged(string name, string applied, ActionKind kind, FingerprintParts desired)
    {
        var last = _session.Registry.GetInstanceStatus(name)?.Applied.GetValueOrDefault(applied);
        if (last is null || last.Fingerprint != desired.Value)
        {
            return null;
        }
        var state = new AppliedState(last.Fingerprint, last.Parts, last.At, last.Version, last.Output);
        return Planner.IsScheduleDue(_session.Specs, name, kind, state, _context) ? null : last;
    }

    /// <summary>The version inference and monitoring use: production, else the latest version (a policy that has not promoted yet).</summary>
    private (int? Version, ModelBundle? Bundle) ServingModel(string name)
    {
        var store = _session.Registry;
        var version = store.GetStageHistory(name).Production ?? LatestVersion(store, name);
        if (version is null)
        {
            return (null, null);
        }
        var record = store.GetVersion(name, version.Value)!;
        return (version, ModelBundle.FromBytes(store.ReadArtifact(record.Artifact)));
    }

    private Frame ReadPredictions(string instance)
    {
        if (_predictions.TryGetValue(instance, out var cached))
        {
            return cached;
        }
        var uri = _session.Registry.GetInstanceStatus(instance)?.Applied.GetValueOrDefault(AppliedActions.Infer)?.Output
            ?? throw new JobException($"input {instance} has not been scored yet; its inference must run first");
        var bytes = _session.Registry.Artifacts.Get(new ArtifactRef { Uri = uri, Sha256 = Path.GetFileNameWithoutExtension(uri) });
        var frame = PredictionFiles.Read(bytes, Path.Combine(_session.WorkFolder, "tmp"));
        _predictions[instance] = frame;
        return frame;
    }

    private ArtifactRef StorePredictions(Frame output, string instance, int version)
    {
        var bytes = PredictionFiles.Write(output, Path.Combine(_session.WorkFolder, "tmp"), new Dictionary<string, string>
        {
            ["optaic.instance"] = instance,
            ["optaic.version"] = version.ToString(CultureInfo.InvariantCulture),
        });
        return _session.Registry.Artifacts.Put(bytes, "parquet", PredictionFiles.MediaType);
    }

    private void UpdateStatus(string name, string action, FingerprintParts fingerprint, string runId, int? version, string? output, RunRecord lastRun, IReadOnlyList<MonitoringAlert>? alerts = null)
    {
        lock (_statusLock)
        {
            var store = _session.Registry;
            var status = store.GetInstanceStatus(name) ?? new InstanceStatus { Instance = name };
            status.Archived = false;
            status.Applied[action] = new AppliedAction
            {
                Fingerprint = fingerprint.Value,
                Parts = new SortedDictionary<string, string>(fingerprint.Parts.ToDictionary(), StringComparer.Ordinal),
                At = _options.Time.GetUtcNow(),
                RunId = runId,
                Version = version,
                Output = output,
            };
            var latestAlerts = alerts ?? (status.Applied.GetValueOrDefault(AppliedActions.Monitor)?.RunId is { } monitorRun
                ? store.GetMonitoring(name, monitorRun)?.Alerts ?? []
                : []);
            var health = HealthRules.Evaluate(LatestVersion(store, name), lastRun, latestAlerts);
            status.Health = health.Health;
            status.HealthReason = health.Reason;
            status.UpdatedAt = _options.Time.GetUtcNow();
            store.SetInstanceStatus(status);
        }
    }

    private void RecordFailure(PlannedAction action, string error)
    {
        if (action.Kind == ActionKind.Archive)
        {
            return;
        }
        var run = new RunRecord
        {
            RunId = RunRecord.NewRunId(RunKindOf(action.Kind), _options.Time.GetUtcNow()),
            Instance = action.Instance,
            Kind = RunKindOf(action.Kind),
            Status = Registry.RunStatus.Failed,
            StartedAt = _options.Time.GetUtcNow(),
            FinishedAt = _options.Time.GetUtcNow(),
            Error = error,
        };
        _session.Registry.WriteRun(run);
        lock (_statusLock)
        {
            var status = _session.Registry.GetInstanceStatus(action.Instance) ?? new InstanceStatus { Instance = action.Instance };
            status.Health = Health.Failing;
            status.HealthReason = $"last {run.Kind.ToString().ToLowerInvariant()} run failed: {error}";
            status.UpdatedAt = _options.Time.GetUtcNow();
            _session.Registry.SetInstanceStatus(status);
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

    private static RunKind RunKindOf(ActionKind kind) => kind switch
    {
        ActionKind.Monitor => RunKind.Monitoring,
        ActionKind.Infer => RunKind.Inference,
        ActionKind.Import => RunKind.Import,
        _ => RunKind.Training,
    };

    private string? Commit(List<ActionOutcome> outcomes)
    {
        var (name, email, prefix) = SpecBindings.CommitIdentity(_session.Specs);
        var message = new StringBuilder();
        var trained = outcomes.Count(o => o.Action.Kind == ActionKind.Train && o.Status == "succeeded");
        var scored = outcomes.Count(o => o.Action.Kind == ActionKind.Infer && o.Status == "succeeded");
        var monitored = outcomes.Count(o => o.Action.Kind == ActionKind.Monitor && o.Status == "succeeded");
        var imports = outcomes.Count(o => o.Action.Kind == ActionKind.Import && o.Status == "succeeded");
        message.Append(CultureInfo.InvariantCulture, $"{prefix.TrimEnd()} reconcile: {trained} trained, {(imports > 0 ? $"{imports} imported, " : "")}{scored} scored, {monitored} monitored");
        var failed = outcomes.Count(o => o.Failed || o.Status == "gate-failed");
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

    /// <summary>JSON values read back from a run folder, as the plain values a record holds.</summary>
    private static object? Plain(object? value) => value switch
    {
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e when e.TryGetInt64(out var l) => l,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetDouble(),
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.True } => true,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.False } => false,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } e => e.GetString(),
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Null } => null,
        _ => value,
    };

    /// <summary>What a training step leaves in its run folder for the register step.</summary>
    private sealed class TrainingSummary
    {
        public TrainingSummary()
        {
        }

        public TrainingSummary(TrainingOutcome outcome)
        {
            Metrics = outcome.Metrics.ToDictionary();
            Gates = [.. outcome.Gates];
            Passed = outcome.Passed;
            WindowStart = outcome.WindowStart;
            WindowEnd = outcome.WindowEnd;
            Rows = outcome.Rows;
            DroppedRows = outcome.DroppedRows;
            PurgedRows = outcome.PurgedRows;
            Features = [.. outcome.Bundle.Features];
            Hyperparameters = outcome.Hyperparameters.ToDictionary(p => p.Key, p => p.Value);
            StartedAt = DateTimeOffset.UtcNow;
        }

        public Dictionary<string, double> Metrics { get; set; } = [];
        public List<ML.Training.GateResult> Gates { get; set; } = [];
        public bool Passed { get; set; }
        public DateTime WindowStart { get; set; }
        public DateTime WindowEnd { get; set; }
        public int Rows { get; set; }
        public int DroppedRows { get; set; }
        public int PurgedRows { get; set; }
        public List<string> Features { get; set; } = [];
        public Dictionary<string, object?> Hyperparameters { get; set; } = [];
        public DateTimeOffset StartedAt { get; set; }
    }
}
