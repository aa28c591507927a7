using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Monitoring;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// Watches an instance: per-feature drift between the training window (reference) and the current
/// window, prediction drift, rolling performance where labels have arrived, and the definition's alert
/// rules over the result.
/// </summary>
public static class MonitorActivity
{
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
