using System.Text.RegularExpressions;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Plan;

/// <summary>Inputs of planning besides the specs and the registry: data versions, versions of the engine, and the clock.</summary>
public sealed record PlanningContext(
    IReadOnlyDictionary<string, string> DatasetVersions,
    string EngineVersion,
    string TrainerVersion,
    DateTimeOffset Now)
{
    /// <summary>The sha256 of each imported model's file, by definition name.</summary>
    public IReadOnlyDictionary<string, string> ImportedFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>The content of a dataset's rows up to a day (a fixed training window's end), or null when unknown: then its whole content counts.</summary>
    public Func<string, DateTime, string?>? WindowVersion { get; init; }
}

/// <summary>
/// plan = diff(desired, actual). For each instance, in dependency order, it compares the fingerprint
/// of what the specs and data would produce now with what the registry says was produced, and plans
/// train, promote, infer and monitor actions with their reasons; instances gone from the specs are
/// archived. A pure function: the same inputs give the same plan.
/// </summary>
public static partial class Planner
{
    public static ActionPlan Plan(SpecSet specs, RegistrySnapshot actual, PlanningContext context)
    {
        var actions = new List<PlannedAction>();
        var notes = new List<string>();
        var planned = new Dictionary<string, PlannedAction>(StringComparer.Ordinal);
        var changesOutput = new HashSet<string>(StringComparer.Ordinal); // instances whose outputs this plan changes

        foreach (var name in InstanceOrder(specs))
        {
            var instance = specs.Instances[name];
            if (!specs.Definitions.TryGetValue(instance.Value.Definition, out var definition))
            {
                continue; // lint reports it; plan refuses invalid specs before it gets here
            }
            var state = actual.Instances.GetValueOrDefault(name);
            var desired = DesiredFingerprints.For(specs, instance, definition.Value, actual, context);
            var upstream = Upstream(instance.Value).Where(changesOutput.Contains).ToList();

            // Train: a new version when what decides the model changed, or a trigger fired.
            var trainReasons = new List<string>();
            var imported = ImportedModels.IsImported(definition.Value);
            var versionKind = imported ? ActionKind.Import : ActionKind.Train;
            var applied = state?.Applied.GetValueOrDefault(DesiredFingerprints.Train);
            if (state is null || applied is null)
            {
                trainReasons.Add(state?.Archived == true ? "archived instance is back in the specs" : imported ? "no version imported yet" : "no version trained yet");
            }
            else
            {
                // An open window (no training.end) is not retrained by new data alone: its triggers decide.
                var openWindow = instance.Value.Training.End is null;
                trainReasons.AddRange(FingerprintParts.Changes(applied.Parts, desired.Train.Parts)
                    .Where(c => !(openWindow && c.IsDatasetContent))
                    .Select(c => c.Reason));
                if (!imported)
                {
                    trainReasons.AddRange(Triggers(instance.Value, state, applied, desired, context)); // a file is not retrained
                }
            }
            var trainPlanned = trainReasons.Count > 0;
            if (trainPlanned)
            {
                // A combiner or filter learns from its inputs' outputs: those run first.
                Add(versionKind, name, state?.LatestVersion is null ? '+' : '~', trainReasons,
                    Planner.Upstream(instance.Value).Select(u => PlannedAction.IdOf(ActionKind.Infer, u)));
            }

            // Promote: a pinned version that is not in production (a promotion or a rollback).
            var promotion = instance.Value.Promotion;
            if (promotion?.Policy == "pinned" && promotion.Version is { } pinned && state is not null && !trainPlanned)
            {
                var production = state.ProductionVersion;
                if (production != pinned)
                {
                    if (state.Versions.All(v => v.Number != pinned))
                    {
                        notes.Add($"{name}: pinned version {pinned} does not exist (latest is {state.LatestVersion?.ToString() ?? "none"}); nothing promoted");
                    }
                    else
                    {
                        var verb = production is { } p && pinned < p ? "rollback" : "promotion";
                        Add(ActionKind.Promote, name, '~', [$"{verb}: pinned version {pinned}, production is {production?.ToString() ?? "none"}"], []);
                    }
                }
            }

            // Infer: when the model, the data, the inference settings or an input changed.
            var hasModel = state?.LatestVersion is not null || trainPlanned;
            if (!hasModel)
            {
                continue;
            }
            var inferReasons = new List<string>();
            var inferApplied = state?.Applied.GetValueOrDefault(DesiredFingerprints.Infer);
            if (trainPlanned || planned.ContainsKey(PlannedAction.IdOf(ActionKind.Promote, name)))
            {
                inferReasons.Add("model changes");
            }
            else if (inferApplied is null)
            {
                inferReasons.Add("never scored");
            }
            else
            {
                inferReasons.AddRange(FingerprintParts.Changes(inferApplied.Parts, desired.Infer.Parts)
                    .Where(c => !c.IsInput)
                    .Select(c => c.Reason));
            }
            inferReasons.AddRange(upstream.Select(u => $"input {u} changes"));
            inferReasons.AddRange(PipelinesDue(specs, name, ActionKind.Infer, inferApplied, context));
            inferReasons = [.. inferReasons.Distinct()];
            if (inferReasons.Count > 0)
            {
                Add(ActionKind.Infer, name, inferApplied is null ? '+' : '~', inferReasons,
                    [.. Own(name, ActionKind.Train, ActionKind.Import, ActionKind.Promote), .. upstream.Select(u => PlannedAction.IdOf(ActionKind.Infer, u))]);
                changesOutput.Add(name);
            }

            // Monitor: after new predictions, or when the monitoring settings changed.
            var monitorApplied = state?.Applied.GetValueOrDefault(DesiredFingerprints.Monitor);
            var monitorReasons = new List<string>();
            if (changesOutput.Contains(name))
            {
                monitorReasons.Add("new predictions");
            }
            else if (monitorApplied is null)
            {
                monitorReasons.Add("never monitored");
            }
            else
            {
                monitorReasons.AddRange(FingerprintParts.Reasons(monitorApplied.Parts, desired.Monitor.Parts));
                monitorReasons.AddRange(PipelinesDue(specs, name, ActionKind.Monitor, monitorApplied, context));
            }
            if (monitorReasons.Count > 0)
            {
                Add(ActionKind.Monitor, name, monitorApplied is null ? '+' : '~', monitorReasons, Own(name, ActionKind.Infer));
            }
        }

        foreach (var (name, state) in actual.Instances.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!specs.Instances.ContainsKey(name) && !state.Archived)
            {
                Add(ActionKind.Archive, name, '-', ["removed from the specs (its versions and records are kept)"], []);
            }
        }

        return new ActionPlan(actual.Commit, actual.StateHash, SpecsHash(specs), context.Now, actions, notes);

        void Add(ActionKind kind, string instance, char change, IEnumerable<string> reasons, IEnumerable<string> dependsOn)
        {
            var action = new PlannedAction(PlannedAction.IdOf(kind, instance), kind, instance, change,
                [.. reasons.Distinct()], [.. dependsOn.Where(planned.ContainsKey).Distinct()]);
            planned[action.Id] = action;
            actions.Add(action);
        }

        IEnumerable<string> Own(string instance, params ActionKind[] kinds) =>
            kinds.Select(k => PlannedAction.IdOf(k, instance)).Where(planned.ContainsKey);
    }

    /// <summary>Instances with every input (and regime) before its readers; ties by name.</summary>
    public static IReadOnlyList<string> InstanceOrder(SpecSet specs)
    {
        var edges = specs.Instances.ToDictionary(
            p => p.Key,
            p => (IReadOnlyList<string>)[.. Upstream(p.Value.Value).Where(specs.Instances.ContainsKey)],
            StringComparer.Ordinal);
        return Graphs.FindCycle(edges) is null ? Graphs.TopologicalOrder(edges) : [.. edges.Keys.Order(StringComparer.Ordinal)];
    }

    public static IEnumerable<string> Upstream(ModelInstanceSpec instance) =>
        instance.Regime is null ? instance.Inputs : [.. instance.Inputs, instance.Regime];

    /// <summary>
    /// Pipelines with a schedule run their steps at least that often: a step is due when the cron's
    /// next time after the instance's last run of that action has passed.
    /// </summary>
    /// <summary>Whether a Pipeline's schedule makes the action due although nothing it reads changed.</summary>
    public static bool IsScheduleDue(SpecSet specs, string instance, ActionKind kind, AppliedState? applied, PlanningContext context) =>
        PipelinesDue(specs, instance, kind, applied, context).Any();

    private static IEnumerable<string> PipelinesDue(SpecSet specs, string instance, ActionKind kind, AppliedState? applied, PlanningContext context)
    {
        if (applied is null)
        {
            yield break; // never run: the action is planned anyway
        }
        var actions = kind == ActionKind.Infer ? new[] { "infer", "combine", "filter" } : ["monitor", "alert"];
        foreach (var pipeline in specs.Pipelines.Values)
        {
            if (pipeline.Value.Schedule is not { } schedule || !pipeline.Value.Steps.Any(s => s.Instance == instance && actions.Contains(s.Action)))
            {
                continue;
            }
            if (Schedules.IsDue(schedule, applied.At, context.Now))
            {
                yield return $"pipeline {pipeline.Name} due ({schedule}; last run {applied.At:yyyy-MM-dd HH:mm} UTC)";
            }
        }
    }

    /// <summary>Schedule, drift and decay triggers: they retrain only when the data has moved since the last training, or the same model would come out.</summary>
    private static IEnumerable<string> Triggers(ModelInstanceSpec spec, InstanceState state, AppliedState applied, InstanceFingerprints desired, PlanningContext context)
    {
        if (spec.Retrain is not { } retrain)
        {
            yield break;
        }
        var dataMoved = applied.Parts.Where(p => p.Key.StartsWith(PartChange.DatasetPrefix, StringComparison.Ordinal))
            .Any(p => desired.Train.Parts.GetValueOrDefault(p.Key) != p.Value);
        var openWindow = spec.Training.End is null;
        if (!openWindow || !dataMoved)
        {
            yield break; // a fixed window retrains on a data change by its fingerprint already
        }
        if (retrain.Schedule is { } schedule)
        {
            if (Schedules.IsDue(schedule, applied.At, context.Now))
            {
                yield return $"retrain schedule due ({schedule}; last trained {applied.At:yyyy-MM-dd HH:mm} UTC)";
            }
        }
        if (state.Monitoring is { } monitoring && monitoring.At > applied.At)
        {
            if (retrain.OnDrift == true && monitoring.DatasetDrift)
            {
                yield return $"drift alert on {string.Join(", ", monitoring.DriftedColumns.Take(5))}{(monitoring.DriftedColumns.Count > 5 ? ", ..." : "")}";
            }
            if (retrain.OnDecay == true && monitoring.Decayed)
            {
                yield return $"performance decay (rolling rank IC {monitoring.RollingRankIc:F3})";
            }
        }
    }

    /// <summary>sha256 over the content of every spec document: the specs a plan, and a run request, were made from.</summary>
    public static string SpecsHash(SpecSet specs) =>
        Canonical.Sha256Hex(string.Join("\n", new[] { specs.Project?.Document }
            .Concat(specs.Datasets.Values.Select(s => s.Document))
            .Concat(specs.FeatureSets.Values.Select(s => s.Document))
            .Concat(specs.Definitions.Values.Select(s => s.Document))
            .Concat(specs.Instances.Values.Select(s => s.Document))
            .Concat(specs.Pipelines.Values.Select(s => s.Document))
            .Where(d => d is not null)
            .Select(d => d!.ContentHash)));

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    internal static partial Regex Identifier();
}
