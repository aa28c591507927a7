using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply;

/// <summary>
/// The one writer of the registry during apply: puts each run's result into it, one result at a time, whichever
/// executor ran it. It checks first that the result answers the request and that every artifact it names is
/// stored intact; then it numbers and registers a version (reusing the one already registered for the same
/// fingerprint, so a run that comes back twice never registers two), applies the promotion policy, writes the
/// run and monitoring records and the instance's status (last, so a kill leaves nothing half-written).
/// </summary>
internal sealed class ResultWriter(ReconcileSession session, ApplyOptions options)
{
    private readonly object _gate = new();
    private readonly Promotion _promotion = new(session, options.Actor);

    private RegistryStore Store => session.Registry;

    public ActionOutcome Write(PlannedAction action, RunRequest request, RunResult result)
    {
        if (result.RunId != request.RunId || result.Instance != request.Instance || result.Activity != request.Activity)
        {
            throw new JobException($"the result of run {result.RunId} ({result.Activity} {result.Instance}) does not answer request {request.RunId} ({request.Activity} {request.Instance})");
        }
        foreach (var artifact in result.Artifacts)
        {
            if (Store.Artifacts.Check(artifact, verifyHash: true) != ArtifactState.Present)
            {
                throw new JobException($"run {result.RunId} reports artifact {artifact.Uri}, which the artifact store does not hold intact; run apply again");
            }
        }

        lock (_gate)
        {
            return result.Outcome switch
            {
                RunOutcome.GateFailed => GateFailed(action, request, result),
                _ when result.Records.Version is { } draft => Registered(action, request, result, draft),
                _ when result.Records.Monitoring is { } monitoring => Monitored(action, request, result, monitoring),
                _ when result.Records.Stage is { } change => new ActionOutcome(action, ActionStatus.Succeeded, _promotion.Pin(action.Instance, change.Version)),
                _ when result.Records.Archive => Archived(action),
                _ when result.Records.Run is { } run => Scored(action, request, result, run),
                _ => throw new JobException($"run {result.RunId} succeeded but returned no record"),
            };
        }
    }

    /// <summary>A run that failed, or could not start: a failed run record, and the instance is failing.</summary>
    public void RecordFailure(PlannedAction action, string error)
    {
        if (action.Kind == ActionKind.Archive)
        {
            return;
        }
        lock (_gate)
        {
            var now = options.Time.GetUtcNow();
            var run = new RunRecord
            {
                RunId = RunRecord.NewRunId(RunKinds.Of(action.Kind), now),
                Instance = action.Instance,
                Kind = RunKinds.Of(action.Kind),
                Status = Registry.RunStatus.Failed,
                StartedAt = now,
                FinishedAt = now,
                Error = error,
            };
            Store.WriteRun(run);
            var status = Store.GetInstanceStatus(action.Instance) ?? new InstanceStatus { Instance = action.Instance };
            status.Health = Health.Failing;
            status.HealthReason = $"last {run.Kind.ToString().ToLowerInvariant()} run failed: {error}";
            status.UpdatedAt = now;
            Store.SetInstanceStatus(status);
        }
    }

    private ActionOutcome GateFailed(PlannedAction action, RunRequest request, RunResult result)
    {
        var run = result.Records.Run ?? throw new JobException($"run {result.RunId} failed its gates but returned no run record");
        Store.WriteRun(run);
        UpdateStatus(action.Instance, AppliedActions.Train, request, version: null, output: null, run);
        return new ActionOutcome(action, ActionStatus.GateFailed, result.Summary ?? "nothing registered: gates failed");
    }

    private ActionOutcome Registered(PlannedAction action, RunRequest request, RunResult result, VersionRecord draft)
    {
        var name = action.Instance;
        var instance = session.Specs.Instances[name].Value;
        var definition = session.Specs.Definitions[instance.Definition].Value;
        var run = result.Records.Run ?? throw new JobException($"run {result.RunId} made a version but returned no run record");
        // Idempotent after a crash, or a run that came back twice: a version already registered for this fingerprint is reused.
        var record = Store.GetVersions(name).LastOrDefault(v => v.Fingerprint.Value == draft.Fingerprint.Value) ?? Register(draft, definition);
        run.Version = record.Version;
        var stage = _promotion.Decide(name, instance, definition, record);
        Store.WriteRun(run);
        UpdateStatus(name, AppliedActions.Train, request, record.Version, output: null, run);
        var metric = InstanceOverview.KeyMetric(instance, definition);
        var shown = metric is not null && record.Metrics.TryGetValue(metric, out var value) ? $"{metric} {value:F3}, " : "";
        return new ActionOutcome(action, ActionStatus.Succeeded, $"version {record.Version} ({shown}gates passed) -> {stage}");
    }

    private VersionRecord Register(VersionRecord draft, Specs.Model.ModelDefinitionSpec definition)
    {
        for (var attempt = 0; ; attempt++)
        {
            var numbers = Store.GetVersionNumbers(draft.Instance);
            draft.Version = Store.NextVersionNumber(draft.Instance);
            draft.CreatedAt = options.Time.GetUtcNow();
            draft.Lineage.Parent = numbers.Count == 0 ? null : numbers[^1];
            try
            {
                return Store.RegisterVersion(draft, _promotion.Card(draft, Stage.Staging, definition));
            }
            catch (VersionAlreadyExistsException) when (attempt < 5)
            {
                // Another reconciler took the number between our read and our write: take the next one.
            }
        }
    }

    private ActionOutcome Scored(PlannedAction action, RunRequest request, RunResult result, RunRecord run)
    {
        Store.WriteRun(run);
        UpdateStatus(action.Instance, AppliedActions.Infer, request, run.Version, run.Outputs.FirstOrDefault(), run);
        return new ActionOutcome(action, ActionStatus.Succeeded, result.Summary ?? "done");
    }

    private ActionOutcome Monitored(PlannedAction action, RunRequest request, RunResult result, MonitoringRecord monitoring)
    {
        var run = result.Records.Run ?? throw new JobException($"run {result.RunId} monitored but returned no run record");
        Store.WriteMonitoring(monitoring);
        run.Outputs = [Path.GetRelativePath(Store.Root, Store.MonitoringPath(action.Instance, monitoring.RunId)).Replace('\\', '/')];
        Store.WriteRun(run);
        UpdateStatus(action.Instance, AppliedActions.Monitor, request, run.Version, output: null, run, monitoring.Alerts);
        return new ActionOutcome(action, ActionStatus.Succeeded, result.Summary ?? "done");
    }

    private ActionOutcome Archived(PlannedAction action)
    {
        Store.Archive(action.Instance, options.Actor, "removed from the specs");
        return new ActionOutcome(action, ActionStatus.Succeeded, "archived with its versions");
    }

    private void UpdateStatus(string name, string applied, RunRequest request, int? version, string? output, RunRecord lastRun, IReadOnlyList<MonitoringAlert>? alerts = null)
    {
        var status = Store.GetInstanceStatus(name) ?? new InstanceStatus { Instance = name };
        status.Archived = false;
        status.Applied[applied] = new AppliedAction
        {
            Fingerprint = request.Fingerprint?.Value ?? "",
            Parts = new SortedDictionary<string, string>((request.Fingerprint?.Parts ?? new Dictionary<string, string>()).ToDictionary(), StringComparer.Ordinal),
            At = options.Time.GetUtcNow(),
            RunId = request.RunId,
            Version = version,
            Output = output,
        };
        var latestAlerts = alerts ?? (status.Applied.GetValueOrDefault(AppliedActions.Monitor)?.RunId is { } monitorRun
            ? Store.GetMonitoring(name, monitorRun)?.Alerts ?? []
            : []);
        var numbers = Store.GetVersionNumbers(name);
        var health = HealthRules.Evaluate(numbers.Count == 0 ? null : numbers[^1], lastRun, latestAlerts);
        status.Health = health.Health;
        status.HealthReason = health.Reason;
        status.UpdatedAt = options.Time.GetUtcNow();
        Store.SetInstanceStatus(status);
    }
}

/// <summary>The kind of run record each kind of action leaves.</summary>
internal static class RunKinds
{
    public static RunKind Of(ActionKind kind) => kind switch
    {
        ActionKind.Monitor => RunKind.Monitoring,
        ActionKind.Infer => RunKind.Inference,
        ActionKind.Import => RunKind.Import,
        _ => RunKind.Training,
    };
}
