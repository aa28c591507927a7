using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using RegistryGate = OptAIC.Engine.Registry.GateResult;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// The result of a run that makes a version (train, import): a passed model goes to the artifact store and
/// comes back as a version draft (no number: the coordinator numbers and registers it); a model that failed
/// its gates registers nothing, and its run draft says which gates failed.
/// </summary>
internal static class TrainingResults
{
    public static RunResult From(RunContext context, TrainingOutcome outcome, RunKind kind, List<RunPhase> phases)
    {
        var request = context.Request;
        var instance = context.Specs.Instances[request.Instance].Value;
        var definition = context.Specs.Definitions[instance.Definition].Value;
        var gates = outcome.Gates.Select(g => new RegistryGate { Metric = g.Metric, Op = g.Operator, Threshold = g.Threshold, Value = g.Value ?? double.NaN, Passed = g.Passed }).ToList();
        var run = new RunRecord
        {
            RunId = request.RunId,
            Instance = request.Instance,
            Kind = kind,
            StartedAt = phases[0].StartedAt,
            FinishedAt = phases[^1].FinishedAt,
            Fingerprint = request.Fingerprint?.Value ?? "",
            Metrics = new SortedDictionary<string, double>(outcome.Metrics.ToDictionary(), StringComparer.Ordinal),
            Gates = gates,
            Details = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["reasons"] = request.Reasons.ToList(),
                ["rows"] = outcome.Rows,
                ["droppedRows"] = outcome.DroppedRows,
                ["purgedRows"] = outcome.PurgedRows,
                ["window"] = outcome.Rows == 0 ? null : $"{outcome.WindowStart:yyyy-MM-dd}..{outcome.WindowEnd:yyyy-MM-dd}",
            },
        };

        run.Details["phases"] = RunPhase.Seconds(phases);
        if (!outcome.Passed)
        {
            // A failed gate registers nothing; the run says why, and the same inputs are not retried.
            var failedGates = string.Join("; ", outcome.Gates.Where(g => !g.Passed).Select(g => g.Reason));
            run.Status = Registry.RunStatus.Failed;
            run.Error = $"gates failed: {failedGates}";
            return new RunResult
            {
                RunId = request.RunId,
                Activity = request.Activity,
                Instance = request.Instance,
                Outcome = RunOutcome.GateFailed,
                Error = run.Error,
                Summary = $"nothing registered: {failedGates}",
                Records = new RunRecords { Run = run },
                Phases = phases,
                RowsRead = outcome.Rows,
            };
        }

        var artifact = context.Measure(phases, "write", () => context.Put(outcome.Bundle.ToBytes(), "zip", ModelBundle.MediaType));
        run.Status = Registry.RunStatus.Succeeded;
        run.Outputs = [artifact.Uri];
        run.FinishedAt = phases[^1].FinishedAt;
        run.Details["phases"] = RunPhase.Seconds(phases);
        var version = new VersionRecord
        {
            Instance = request.Instance,
            Definition = instance.Definition,
            Category = definition.Category,
            Algorithm = definition.Model.Algorithm,
            Fingerprint = new Fingerprint
            {
                Value = request.Fingerprint?.Value ?? "",
                Parts = new SortedDictionary<string, string>((request.Fingerprint?.Parts ?? new Dictionary<string, string>()).ToDictionary(), StringComparer.Ordinal),
            },
            Features = [.. outcome.Bundle.Features],
            Target = instance.Target,
            // An imported model without an evaluation window was never fitted or evaluated here: no window.
            TrainingWindow = outcome.Rows == 0 ? null : new TrainingWindow { From = DateOnly.FromDateTime(outcome.WindowStart), To = DateOnly.FromDateTime(outcome.WindowEnd), Rows = outcome.Rows },
            Hyperparameters = new SortedDictionary<string, object?>(outcome.Hyperparameters.ToDictionary(), StringComparer.Ordinal),
            Metrics = new SortedDictionary<string, double>(outcome.Metrics.ToDictionary(), StringComparer.Ordinal),
            Gates = gates,
            Artifact = artifact,
            Lineage = new Lineage { Datasets = new SortedDictionary<string, string>(request.Datasets.ToDictionary(), StringComparer.Ordinal) },
            EngineVersion = ReconcileSession.EngineVersion,
            TrainerVersion = ReconcileSession.TrainerVersion,
            TrainingRun = request.RunId,
        };
        return new RunResult
        {
            RunId = request.RunId,
            Activity = request.Activity,
            Instance = request.Instance,
            Outcome = RunOutcome.Succeeded,
            Records = new RunRecords { Run = run, Version = version },
            Artifacts = [artifact],
            Phases = phases,
            RowsRead = outcome.Rows,
        };
    }
}
