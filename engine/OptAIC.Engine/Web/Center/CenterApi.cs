using System.Text.Json;
using System.Text.Json.Serialization;
using OptAIC.Engine.Plan;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// The JSON the Center's API returns (<c>/api/instances</c>, <c>/api/instances/{name}</c>, <c>/api/runs</c>,
/// <c>/api/runs/{id}</c>) and that <c>optaic report</c> writes beside its pages (<c>api/*.json</c>).
/// camelCase, nulls left out, <c>format_version</c> 1.0.
/// </summary>
public static class CenterApi
{
    public const string FormatVersion = "1.0";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static object Instances(CenterData data) => new
    {
        format_version = FormatVersion,
        commit = data.Commit,
        readAt = data.ReadAt,
        count = data.Instances.Count,
        instances = data.Instances.Select(i => Summary(i, data.Plan)),
    };

    public static object Instance(CenterData data, CenterInstance i) => new
    {
        format_version = FormatVersion,
        commit = data.Commit,
        instance = Summary(i, data.Plan),
        description = i.Description,
        algorithm = i.Algorithm,
        inSpecs = i.InSpecs,
        config = i.Config,
        inputs = i.Inputs,
        readBy = i.ReadBy,
        versions = i.Versions.Select(v => new
        {
            version = v.Version,
            stage = i.Stages.StageOf(v.Version) is { } s ? Stages.Name(s) : null,
            createdAt = v.CreatedAt,
            metrics = v.Metrics,
            gates = v.Gates,
            trainingWindow = v.TrainingWindow,
            trainingRun = v.TrainingRun,
            artifact = new { sha256 = v.Artifact.Sha256, bytes = v.Artifact.Bytes, mediaType = v.Artifact.MediaType },
            lineage = v.Lineage,
            url = SitePaths.Version(i.Name, v.Version),
        }),
        stageHistory = i.Stages.Entries.Select(e => new { version = e.Version, from = e.From is { } f ? Stages.Name(f) : null, to = Stages.Name(e.To), at = e.At, by = e.By, reason = e.Reason }),
        monitoring = i.LatestMonitoring,
        monitoringHistory = i.MonitoringHistory,
        pending = data.Plan?.Problem is null ? data.Plan?.For(i.Name).Select(Pending) : null,
        planProblem = data.Plan?.Problem,
        runs = i.Runs.Take(100).Select(RunSummary),
    };

    /// <summary>Every dataset's profiled content versions (the profiles themselves are at /api/datasets/{dataset}/{contentVersion}).</summary>
    public static object Datasets(CenterData data) => new
    {
        format_version = FormatVersion,
        datasets = data.Profiles.Select(d => new
        {
            name = d.Key,
            profiles = d.Value.Select(p => new { contentVersion = p.ContentVersion, createdAt = p.CreatedAt, rows = p.Rows, from = p.From, to = p.To }),
        }),
    };

    public static object Runs(CenterData data, RunFilter filter, int page, int pageSize = CenterPages.PageSize)
    {
        var runs = filter.IsEmpty ? data.Runs : [.. data.Runs.Where(filter.Matches)];
        return new
        {
            format_version = FormatVersion,
            commit = data.Commit,
            total = runs.Count,
            page,
            pageSize,
            runs = runs.Skip((page - 1) * pageSize).Take(pageSize).Select(RunSummary),
        };
    }

    public static object Run(CenterData data, CenterRun run) => new
    {
        format_version = FormatVersion,
        commit = data.Commit,
        run = RunSummary(run),
        pipeline = run.Pipeline,
        error = run.Error,
        metrics = run.Metrics,
        gates = run.Gates,
        outputs = run.Outputs,
        details = run.Details.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal),
        activities = run.Activities,
        monitoring = run.Monitoring,
    };

    public static byte[] Serialize(object value) => JsonSerializer.SerializeToUtf8Bytes(value, Json);

    private static object Summary(CenterInstance i, PendingPlan? plan) => new
    {
        name = i.Name,
        health = i.Health,
        healthReason = i.HealthReason,
        archived = i.Archived,
        category = i.Category,
        definition = i.Definition,
        production = i.Production,
        latest = i.Latest,
        versions = i.Versions.Count,
        keyMetric = i.KeyMetric,
        keyMetricValue = i.KeyMetricValue,
        lastRun = i.LastRun,
        pendingChanges = plan?.Problem is null ? plan?.For(i.Name).Count() : null,
        url = SitePaths.Instance(i.Name),
    };

    private static object RunSummary(CenterRun r) => new
    {
        id = r.Id,
        instance = r.Instance,
        kind = r.Kind,
        status = r.Status,
        startedAt = r.Started,
        finishedAt = r.Finished,
        durationMs = r.Duration?.TotalMilliseconds,
        specsCommit = r.Commit,
        recordedBy = r.RecordedBy,
        version = r.Version,
        summary = r.Summary,
        url = SitePaths.Run(r),
    };

    private static object Pending(PlannedAction a) => new { id = a.Id, kind = a.Kind.ToString().ToLowerInvariant(), change = a.Change.ToString(), reasons = a.Reasons, dependsOn = a.DependsOn };
}
