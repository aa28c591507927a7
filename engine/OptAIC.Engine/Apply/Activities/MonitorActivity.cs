using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Monitoring;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// Watches an instance: per-feature drift between the training window (reference) and the current
/// window, prediction drift, rolling performance where labels have arrived, and the definition's alert
/// rules over the result.
/// </summary>
public sealed class MonitorActivity : IRunActivity
{
    public string Name => RunActivityNames.Monitor;

    public Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var request = context.Request;
        var version = request.Model?.Version ?? throw new RunRequestException($"the monitor request for {request.Instance} names no model version");
        var phases = new List<RunPhase>();
        context.Measure(phases, "load", () => PreparedData.Load(context.Specs, context.Specs.Instances[request.Instance].Value, context.Workspace.RepositoryRoot, context.Workspace.Features));
        var report = context.Measure(phases, "monitor", () =>
            Run(context.Specs, request.Instance, context.Workspace.RepositoryRoot, context.Model(), context.Predictions, cancellationToken, context.Workspace.Features, context.Stage));
        var alerts = Alerts(report);
        var monitoring = new MonitoringRecord { RunId = request.RunId, Instance = request.Instance, Version = version, CreatedAt = phases[^1].FinishedAt, Alerts = alerts, Report = report };
        var run = new RunRecord
        {
            RunId = request.RunId,
            Instance = request.Instance,
            Kind = RunKind.Monitoring,
            Status = Registry.RunStatus.Succeeded,
            StartedAt = phases[0].StartedAt,
            FinishedAt = phases[^1].FinishedAt,
            Fingerprint = request.Fingerprint?.Value ?? "",
            Version = version,
            // Outputs: the monitoring record, whose path the coordinator gives when it writes it.
            Details = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["driftShare"] = report.DriftShare,
                ["datasetDrift"] = report.DatasetDrift,
                ["alerts"] = alerts.Count,
                ["rollingRankIc"] = report.Performance?.RollingRankIc,
                ["phases"] = RunPhase.Seconds(phases),
                ["rowsRead"] = report.CurrentRows + report.ReferenceRows,
            },
        };
        var performance = report.Performance?.RollingRankIc is { } ic ? $", rolling rank IC {ic:F3}" : "";
        return new RunResult
        {
            RunId = request.RunId,
            Activity = request.Activity,
            Instance = request.Instance,
            Outcome = RunOutcome.Succeeded,
            Summary = $"drift share {report.DriftShare:P0}{(report.DatasetDrift ? " (dataset drift)" : "")}{performance}, {alerts.Count} alert(s)",
            Records = new RunRecords { Run = run, Monitoring = monitoring },
            Phases = phases,
            RowsRead = report.CurrentRows + report.ReferenceRows,
        };
    }, cancellationToken);

    /// <summary>
    /// The alerts of a report: dataset drift (a share of columns) is what the drift trigger and health read, so
    /// single columns drifting alone are noted in the report only; prediction drift, performance decay and the
    /// definition's alert rules always alert.
    /// </summary>
    public static List<MonitoringAlert> Alerts(MonitoringReport report)
    {
        var alerts = new List<MonitoringAlert>();
        if (report.DatasetDrift)
        {
            alerts.AddRange(report.Columns.Where(c => c.Drifted).Select(c => new MonitoringAlert
            {
                Kind = AlertKind.Drift,
                Subject = c.Column,
                Message = $"{c.Method} {c.Statistic:F4} beyond {c.Threshold}",
                Value = c.Statistic,
                Threshold = c.Threshold,
            }));
        }
        if (report.PredictionDrift is { Drifted: true } prediction)
        {
            alerts.Add(new MonitoringAlert { Kind = AlertKind.Drift, Subject = "prediction", Message = $"prediction drift ({prediction.Method} {prediction.Statistic:F4})", Value = prediction.Statistic, Threshold = prediction.Threshold });
        }
        if (report.Performance is { Decayed: true } performance)
        {
            alerts.Add(new MonitoringAlert { Kind = AlertKind.Performance, Subject = "rolling_rank_ic", Message = "performance decay", Value = performance.RollingRankIc, Threshold = performance.DecayThreshold });
        }
        alerts.AddRange(report.Alerts.Select(a => new MonitoringAlert { Kind = AlertKind.Other, Subject = a.Name, Message = $"{a.Severity}: {a.Condition} ({a.Values})" }));
        return alerts;
    }

    public static MonitoringReport Run(SpecSet specs, string instanceName, string repositoryRoot, ModelBundle bundle, PredictionSource predictions, CancellationToken ct, FeatureFrameCache? features = null, Action<string>? stage = null)
    {
        var instance = specs.Instances[instanceName].Value;
        var definition = specs.Definitions[instance.Definition].Value;
        var monitoring = definition.Monitoring;
        stage?.Invoke("loading data and computing features");
        var data = PreparedData.Load(specs, instance, repositoryRoot, features);
        var learner = definition.Category is not ("combining" or "filtering");

        var trainStart = TrainActivity.Date(instance.Training.Start) ?? DateTime.MinValue;
        var (reference, _, _) = data.TrainingRows(trainStart, TrainActivity.Date(instance.Training.End));
        var currentStart = TrainActivity.Date(instance.Monitoring?.Current?.Start) ?? InferActivity.Window(instance, ImportedModels.IsImported(definition)).Start;
        var currentEnd = TrainActivity.Date(instance.Monitoring?.Current?.End);
        var (current, _) = learner ? data.ScoringRows(currentStart, currentEnd) : (PointInTime.Slice(data.Frame, new TimeWindow(currentStart, currentEnd)), 0);
        ct.ThrowIfCancellationRequested();
        stage?.Invoke($"drift and performance over {current.RowCount:N0} rows against {reference.RowCount:N0} reference rows");

        var outputs = predictions(instanceName);
        var currentScores = TrainActivity.Align(current, outputs, "score", instanceName);
        double[]? referenceScores = null;
        if (learner && bundle.Task != "multiclass")
        {
            using var model = bundle.OpenScorer(definition);
            referenceScores = InferActivity.Score(model, data.ToTrainingData(reference), ct);
            if (bundle.Transform is not null && LearnerScoring.TransformFor(definition).Kind == ML.Inference.OutputTransformKind.TanhZScore)
            {
                // Compare like with like: the stored outputs are transformed, so the reference is too.
                LearnerScoring.Transform(definition, referenceScores, reference.Time, panel: reference.Entity is not null, bundle);
            }
        }

        var columns = learner ? data.Features : [];
        var driftReference = DriftReference.Build(reference, columns, referenceScores);
        var options = new MonitoringOptions { Drift = DriftOptionsOf(monitoring.Drift, columns), Alerts = AlertsOf(monitoring.Alerts) };

        RollingPerformance? performance = null;
        if (data.Target is { } target && definition.Category != "regime" && definition.Category != "relevance")
        {
            var window = monitoring.Performance?.Window ?? 60;
            var labels = current.Numeric(target);
            if (labels.Count(double.IsFinite) >= window)
            {
                performance = RollingPerformance.Compute(current.Time, current.Entity, currentScores, labels, window, monitoring.Performance?.DecayBelow ?? 0.0);
            }
        }
        return ModelMonitor.Run(driftReference, current, options, referenceScores is null ? null : currentScores, performance);
    }

    /// <summary>
    /// method auto keeps the defaults by column type and sample size; an explicit method (and threshold)
    /// applies to every feature; per-column settings override both.
    /// </summary>
    private static DriftOptions DriftOptionsOf(DriftSpec? drift, IReadOnlyList<string> features)
    {
        if (drift is null)
        {
            return new DriftOptions();
        }
        var columns = new Dictionary<string, ColumnDriftSettings>(StringComparer.Ordinal);
        if (drift.Method is { } method && method != "auto")
        {
            foreach (var feature in features)
            {
                columns[feature] = new ColumnDriftSettings(DriftOptions.ParseMethod(method), drift.Threshold);
            }
        }
        foreach (var (column, settings) in drift.Columns ?? [])
        {
            var chosen = settings.Method ?? (drift.Method is null or "auto" ? "ks" : drift.Method);
            columns[column] = new ColumnDriftSettings(DriftOptions.ParseMethod(chosen), settings.Threshold ?? drift.Threshold);
        }
        return new DriftOptions { DatasetDriftShare = drift.DatasetShare ?? 0.5, Columns = columns };
    }

    private static List<AlertRule> AlertsOf(List<AlertSpec> alerts) =>
        [.. alerts.Select(a => AlertRule.Create(a.Name, a.When, a.Severity ?? "warning"))];
}
