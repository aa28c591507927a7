using System.Security.Cryptography;

namespace OptAIC.Engine.Registry;

public enum RunKind
{
    Training,
    Inference,
    Monitoring,

    /// <summary>A model trained elsewhere stored and registered as a version (see ActionKind.Import).</summary>
    Import,
}

public enum RunStatus
{
    Succeeded,

    /// <summary>The run failed, including a training run whose version failed a gate (nothing registered).</summary>
    Failed,

    Cancelled,
}

/// <summary>Summary of one training, inference or monitoring run: <c>models/&lt;instance&gt;/runs/&lt;runId&gt;.yaml</c>.</summary>
public sealed class RunRecord
{
    public string RunId { get; set; } = "";
    public string Instance { get; set; } = "";
    public RunKind Kind { get; set; }
    public RunStatus Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The commit of the specs the run was planned from.</summary>
    public string? Commit { get; set; }

    public string? Pipeline { get; set; }

    /// <summary>The fingerprint value the run applied (what the next plan compares against).</summary>
    public string? Fingerprint { get; set; }

    /// <summary>The version trained (training) or used (inference, monitoring).</summary>
    public int? Version { get; set; }

    public SortedDictionary<string, double> Metrics { get; set; } = new(StringComparer.Ordinal);
    public List<GateResult> Gates { get; set; } = [];

    /// <summary>Datasets written by the run (e.g. prediction datasets with their content versions).</summary>
    public List<string> Outputs { get; set; } = [];

    /// <summary>Why the run failed, in words a user acts on (e.g. the gate that failed and by how much).</summary>
    public string? Error { get; set; }

    /// <summary>Anything else worth keeping, as a tree of scalars, lists and maps.</summary>
    public SortedDictionary<string, object?> Details { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A run id that sorts by time and is unique across machines: <c>20240131T120000Z-training-1a2b3c</c>.
    /// </summary>
    public static string NewRunId(RunKind kind, DateTimeOffset at)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        return $"{at.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{kind.ToString().ToLowerInvariant()}-{suffix}";
    }
}

public enum AlertKind
{
    Drift,
    Performance,
    Other,
}

public sealed class MonitoringAlert
{
    public AlertKind Kind { get; set; }

    /// <summary>The feature, prediction or metric the alert is about.</summary>
    public string Subject { get; set; } = "";

    public string Message { get; set; } = "";
    public double? Value { get; set; }
    public double? Threshold { get; set; }
}

/// <summary>A monitoring report: <c>models/&lt;instance&gt;/monitoring/&lt;runId&gt;.yaml</c>.</summary>
public sealed class MonitoringRecord
{
    public string RunId { get; set; } = "";
    public string Instance { get; set; } = "";
    public int? Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<MonitoringAlert> Alerts { get; set; } = [];

    /// <summary>
    /// The report produced by monitoring, as any serialisable object: a class with public properties, or
    /// maps, lists and scalars. Read back it is a tree of <c>SortedDictionary&lt;string, object?&gt;</c>,
    /// <c>List&lt;object?&gt;</c> and scalars (string, bool, long, double); bind it to a class with
    /// <see cref="RecordYaml.ConvertTree{T}"/>.
    /// </summary>
    public object? Report { get; set; }
}
