using System.Security.Cryptography;
using System.Text;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply;

/// <summary>What the coordinator does with a planned action when its turn comes: hand a request to the executor, or skip it (and why).</summary>
internal sealed record PreparedRun(RunRequest? Request, string? Skipped)
{
    public static PreparedRun Skip(string why) => new(null, why);
}

/// <summary>
/// Turns a planned action into a <see cref="RunRequest"/> when its turn comes, that is after the runs it reads
/// have been recorded: the specs by content hash, the content version of every dataset it reads, the registry
/// commit, the artifact store, the model version and the upstream outputs by artifact and sha256, the
/// fingerprint the plan computes now, the reasons and the pipeline step's retries and timeout. Decides the
/// skips that need no run: no version to score with, or an output that would be the same bytes.
/// </summary>
internal sealed class RunRequests(ReconcileSession session, PlanningContext context, ActionPlan plan)
{
    private readonly string _artifactStore = ArtifactStoreAddress.Of(session.Registry.Artifacts, session.RegistryPath);

    /// <summary>
    /// A run id that is the same for the same action of the same plan state, so an apply killed in the middle of
    /// a run resumes it from its journal (a finished training is not redone).
    /// </summary>
    public static string RunId(PlannedAction action, ActionPlan plan)
    {
        var key = string.Join("\n", [action.Id, plan.RegistryCommit ?? "", plan.RegistryState, plan.SpecsHash, .. action.Reasons]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        return $"{action.Kind.ToString().ToLowerInvariant()}-{action.Instance}-{hash}";
    }

    public PreparedRun Prepare(PlannedAction action)
    {
        var name = action.Instance;
        var activity = ActivityOf(action.Kind);
        if (action.Kind == ActionKind.Archive)
        {
            return new PreparedRun(Request(action, activity, fingerprint: null), null);
        }

        var desired = Desired(name);
        switch (action.Kind)
        {
            case ActionKind.Train or ActionKind.Import:
                return new PreparedRun(Request(action, activity, desired.Train) with { Upstream = Upstream(name) }, null);
            case ActionKind.Promote:
                var pinned = session.Specs.Instances[name].Value.Promotion?.Version
                    ?? throw new JobException($"{name}: promotion is planned but no version is pinned");
                var version = session.Registry.GetVersion(name, pinned)
                    ?? throw new JobException($"{name}: the spec pins version {pinned}, which is not registered");
                return new PreparedRun(Request(action, activity, fingerprint: null) with { Model = new ModelReference(version.Version, version.Artifact.Uri, version.Artifact.Sha256) }, null);
            case ActionKind.Infer:
            case ActionKind.Monitor:
                var serving = ServingVersion(name);
                if (serving is null)
                {
                    return PreparedRun.Skip(action.Kind == ActionKind.Infer ? "skipped: no version in production or staging to score with" : "skipped: no version to monitor");
                }
                var parts = action.Kind == ActionKind.Infer ? desired.Infer : desired.Monitor;
                if (Unchanged(name, action.Kind, parts) is { } kept)
                {
                    // Planned because a new version or an input might change the output; neither did (the new version stayed in staging).
                    return PreparedRun.Skip(action.Kind == ActionKind.Infer
                        ? $"unchanged: version {serving.Version} still serves and nothing it reads changed; the predictions of run {kept.RunId} stand"
                        : $"unchanged: the predictions and the version it watches are those of run {kept.RunId}");
                }
                var upstream = action.Kind == ActionKind.Infer ? Upstream(name) : Outputs([name]);
                return new PreparedRun(Request(action, activity, parts) with
                {
                    Model = new ModelReference(serving.Version, serving.Artifact.Uri, serving.Artifact.Sha256),
                    Upstream = upstream,
                }, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action.Kind, "no activity for this kind of action");
        }
    }

    /// <summary>The fingerprints of an instance now, against the registry as the runs before it left it.</summary>
    public InstanceFingerprints Desired(string name)
    {
        var specs = session.Specs;
        var instance = specs.Instances[name];
        var names = new[] { name }.Concat(Planner.Upstream(instance.Value)).Distinct();
        var snapshot = RegistryReader.ReadSome(session.Registry, names);
        return DesiredFingerprints.For(specs, instance, specs.Definitions[instance.Value.Definition].Value, snapshot, context);
    }

    private RunRequest Request(PlannedAction action, string activity, FingerprintParts? fingerprint)
    {
        var step = PipelineSteps.For(session.Specs, action);
        return new RunRequest
        {
            RunId = RunId(action, plan),
            Activity = activity,
            Instance = action.Instance,
            Specs = "sha256:" + plan.SpecsHash,
            Datasets = Datasets(action),
            RegistryCommit = plan.RegistryCommit,
            ArtifactStore = _artifactStore,
            Fingerprint = fingerprint is null ? null : new RunFingerprint(fingerprint.Value, fingerprint.Parts),
            Reasons = [.. action.Reasons],
            Policy = new RunPolicy
            {
                Retries = step?.Retries is > 0 and var retries ? retries : 0,
                Timeout = step?.Timeout is { } timeout && Specs.Durations.TryParse(timeout, out var perAttempt) && perAttempt > TimeSpan.Zero ? perAttempt : null,
            },
        };
    }

    /// <summary>The content version of every dataset the instance's feature set reads (its source and its joins).</summary>
    private Dictionary<string, string> Datasets(PlannedAction action)
    {
        var datasets = new Dictionary<string, string>(StringComparer.Ordinal);
        if (action.Kind == ActionKind.Archive || !session.Specs.Instances.TryGetValue(action.Instance, out var instance)
            || instance.Value.Features is not { } selection || !session.Specs.FeatureSets.TryGetValue(selection.FeatureSet, out var set))
        {
            return datasets;
        }
        foreach (var dataset in new[] { set.Value.Source }.Concat(set.Value.Join.Select(j => j.Dataset)).Distinct(StringComparer.Ordinal))
        {
            datasets[dataset] = context.DatasetVersions.GetValueOrDefault(dataset) ?? "unknown";
        }
        return datasets;
    }

    /// <summary>The outputs of the instances a combiner or filter reads.</summary>
    private Dictionary<string, ArtifactReference> Upstream(string name) => Outputs(Planner.Upstream(session.Specs.Instances[name].Value));

    /// <summary>The prediction files last recorded for the instances, by artifact; an instance not scored yet is left out (the activity names it).</summary>
    private Dictionary<string, ArtifactReference> Outputs(IEnumerable<string> instances)
    {
        var outputs = new Dictionary<string, ArtifactReference>(StringComparer.Ordinal);
        foreach (var instance in instances.Distinct(StringComparer.Ordinal))
        {
            if (session.Registry.GetInstanceStatus(instance)?.Applied.GetValueOrDefault(AppliedActions.Infer)?.Output is { } uri)
            {
                outputs[instance] = new ArtifactReference(uri, Path.GetFileNameWithoutExtension(uri));
            }
        }
        return outputs;
    }

    /// <summary>The version inference and monitoring use: production, else the latest version (a policy that has not promoted yet).</summary>
    private VersionRecord? ServingVersion(string name)
    {
        var store = session.Registry;
        var numbers = store.GetVersionNumbers(name);
        var version = store.GetStageHistory(name).Production ?? (numbers.Count == 0 ? null : numbers[^1]);
        return version is null ? null : store.GetVersion(name, version.Value);
    }

    /// <summary>
    /// The last applied action when what it would compute now is what it computed then (same fingerprint) and
    /// no Pipeline schedule makes it due: running it again would write the same bytes.
    /// </summary>
    private AppliedAction? Unchanged(string name, ActionKind kind, FingerprintParts desired)
    {
        var applied = kind == ActionKind.Infer ? AppliedActions.Infer : AppliedActions.Monitor;
        var last = session.Registry.GetInstanceStatus(name)?.Applied.GetValueOrDefault(applied);
        if (last is null || last.Fingerprint != desired.Value)
        {
            return null;
        }
        var state = new AppliedState(last.Fingerprint, last.Parts, last.At, last.Version, last.Output);
        return Planner.IsScheduleDue(session.Specs, name, kind, state, context) ? null : last;
    }

    private static string ActivityOf(ActionKind kind) => kind switch
    {
        ActionKind.Train => RunActivityNames.Train,
        ActionKind.Import => RunActivityNames.Import,
        ActionKind.Infer => RunActivityNames.Infer,
        ActionKind.Monitor => RunActivityNames.Monitor,
        ActionKind.Promote => RunActivityNames.Promote,
        ActionKind.Archive => RunActivityNames.Archive,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no activity for this kind of action"),
    };
}
