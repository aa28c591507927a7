using OptAIC.Engine.Data;

namespace OptAIC.Engine.ML.Monitoring;

/// <summary>What a monitoring run tests and which alerts it can raise (a definition's <c>monitoring</c> component).</summary>
public sealed record MonitoringOptions
{
    public DriftOptions Drift { get; init; } = new();

    public IReadOnlyList<AlertRule> Alerts { get; init; } = [];
}

/// <summary>One monitoring run: drift of features and predictions, rolling performance, alerts.</summary>
public static class ModelMonitor
{
    /// <summary>
    /// Builds the report: feature drift of <paramref name="current"/> against <paramref name="reference"/>,
    /// prediction drift when <paramref name="currentPredictions"/> are given (and the reference has
    /// training predictions), the summary of <paramref name="performance"/> when labels arrived, and the
    /// alerts whose conditions hold.
    /// </summary>
    public static MonitoringReport Run(
        DriftReference reference,
        Frame current,
        MonitoringOptions? options = null,
        double[]? currentPredictions = null,
        RollingPerformance? performance = null)
    {
        options ??= new MonitoringOptions();
        var report = DriftDetector.Compare(reference, current, options.Drift, currentPredictions) with
        {
            Performance = performance?.Summary(),
        };
        return report with { Alerts = AlertRule.Evaluate(options.Alerts, report) };
    }
}
