namespace OptAIC.Engine.Registry;

/// <summary>
/// The health of an instance, decided by <see cref="HealthRules.Evaluate"/> in this order:
/// <list type="number">
/// <item><see cref="Failing"/>: the last run (training, inference or monitoring) failed, gate failures included;</item>
/// <item><see cref="Missing"/>: the spec has no registered version;</item>
/// <item><see cref="Degraded"/>: the latest monitoring raised a drift or performance alert;</item>
/// <item><see cref="Healthy"/>: none of the above.</item>
/// </list>
/// A failed run outranks a missing version because it is the cause to act on (the first training failed).
/// </summary>
public enum Health
{
    Healthy,
    Degraded,
    Failing,
    Missing,
}

/// <summary>
/// <c>models/&lt;instance&gt;/instance.yaml</c>: whether the instance is archived, what was last applied for each
/// action (the fingerprints the next plan compares against), and its health. Rewritten on every apply.
/// </summary>
public sealed class InstanceStatus
{
    public string Instance { get; set; } = "";
    public bool Archived { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public string? ArchivedBy { get; set; }
    public string? ArchiveReason { get; set; }

    /// <summary>Action (<see cref="AppliedActions"/>: train, infer, monitor) to what was last applied for it.</summary>
    public SortedDictionary<string, AppliedAction> Applied { get; set; } = new(StringComparer.Ordinal);

    public Health Health { get; set; } = Health.Missing;
    public string? HealthReason { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
}

public static class AppliedActions
{
    public const string Train = "train";
    public const string Infer = "infer";
    public const string Monitor = "monitor";
}

public sealed class AppliedAction
{
    public string Fingerprint { get; set; } = "";

    /// <summary>The fingerprint's parts (field path to value): the next plan names the fields that changed.</summary>
    public SortedDictionary<string, string> Parts { get; set; } = new(StringComparer.Ordinal);
    public DateTimeOffset At { get; set; }
    public string? RunId { get; set; }
    public int? Version { get; set; }
    public string? Commit { get; set; }

    /// <summary>What the action produced, when it is read later: an inference's predictions (artifact URI).</summary>
    public string? Output { get; set; }
}

public sealed record HealthAssessment(Health Health, string Reason);

public static class HealthRules
{
    /// <summary>Applies the rule documented on <see cref="Health"/>.</summary>
    /// <param name="latestVersion">The highest registered version number, or null when there is none.</param>
    /// <param name="lastRun">The most recent run of any kind, or null.</param>
    /// <param name="alerts">The alerts of the latest monitoring report.</param>
    public static HealthAssessment Evaluate(int? latestVersion, RunRecord? lastRun, IEnumerable<MonitoringAlert> alerts)
    {
        if (lastRun is { Status: RunStatus.Failed })
        {
            var why = string.IsNullOrWhiteSpace(lastRun.Error) ? "no reason recorded" : lastRun.Error;
            return new(Health.Failing, $"last {lastRun.Kind.ToString().ToLowerInvariant()} run {lastRun.RunId} failed: {why}");
        }

        if (latestVersion is null)
        {
            return new(Health.Missing, "no registered version");
        }

        var raised = alerts.Where(a => a.Kind is AlertKind.Drift or AlertKind.Performance).ToList();
        if (raised.Count > 0)
        {
            var subjects = string.Join(", ", raised.Select(a => $"{a.Kind.ToString().ToLowerInvariant()} on {a.Subject}"));
            return new(Health.Degraded, $"{raised.Count} alert(s): {subjects}");
        }

        return new(Health.Healthy, $"version {latestVersion} registered; last run {(lastRun is null ? "none" : lastRun.Status.ToString().ToLowerInvariant())}");
    }
}

/// <summary>What <c>optaic status</c> shows for one instance.</summary>
public sealed record InstanceSummary(string Instance, InstanceStatus? Status, StageHistory Stages, VersionRecord? Latest);
