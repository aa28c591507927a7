using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Plan;

/// <summary>
/// One instance as people see it (`optaic status`, the pull-request comment): health, versions, the key
/// metric of the version in use, when it last ran, and its latest alerts. Read from the registry and the specs.
/// </summary>
public sealed record InstanceOverview(
    string Name,
    bool InSpecs,
    bool Registered,
    bool Archived,
    string Health,
    string? HealthReason,
    int? Production,
    int? Latest,
    string? Metric,
    double? MetricValue,
    DateTimeOffset? LastTrained,
    DateTimeOffset? LastScored,
    DateTimeOffset? LastMonitored,
    IReadOnlyList<MonitoringAlert> Alerts)
{
    /// <summary>Every instance of the specs and of the registry, by name.</summary>
    public static IReadOnlyList<InstanceOverview> ReadAll(ReconcileSession session) =>
        [.. session.Specs.Instances.Keys.Union(session.Registry.ListInstances()).Order(StringComparer.Ordinal).Select(n => Read(session, n))];

    public static InstanceOverview Read(ReconcileSession session, string name)
    {
        var store = session.Registry;
        var status = store.GetInstanceStatus(name);
        var stages = store.GetStageHistory(name);
        var numbers = store.GetVersionNumbers(name);
        int? latest = numbers.Count == 0 ? null : numbers[^1];
        var record = (stages.Production ?? latest) is { } shown ? store.GetVersion(name, shown) : null;
        var spec = session.Specs.Instances.GetValueOrDefault(name)?.Value;
        var definition = spec is null ? null : session.Specs.Definitions.GetValueOrDefault(spec.Definition)?.Value;
        var metric = KeyMetric(spec, definition) ?? record?.Metrics.Keys.FirstOrDefault();
        double? value = metric is not null && record?.Metrics.TryGetValue(metric, out var found) == true ? found : null;
        var monitorRun = status?.Applied.GetValueOrDefault(AppliedActions.Monitor)?.RunId;
        var alerts = monitorRun is null ? [] : store.GetMonitoring(name, monitorRun)?.Alerts ?? [];
        return new InstanceOverview(
            name,
            spec is not null,
            status is not null,
            status?.Archived ?? false,
            status is null ? "Missing" : status.Archived ? "Archived" : status.Health.ToString(),
            status?.HealthReason,
            stages.Production,
            latest,
            value is null ? null : metric,
            value,
            status?.Applied.GetValueOrDefault(AppliedActions.Train)?.At,
            status?.Applied.GetValueOrDefault(AppliedActions.Infer)?.At,
            status?.Applied.GetValueOrDefault(AppliedActions.Monitor)?.At,
            alerts);
    }

    /// <summary>The metric an instance is judged by: its promotion metric, else its first gate's, else its first training metric.</summary>
    public static string? KeyMetric(ModelInstanceSpec? instance, ModelDefinitionSpec? definition) =>
        instance?.Promotion?.Metric ?? definition?.Tests.Gates.FirstOrDefault()?.Metric ?? definition?.Training.Metrics.FirstOrDefault();
}
