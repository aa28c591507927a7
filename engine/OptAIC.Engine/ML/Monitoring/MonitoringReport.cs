namespace OptAIC.Engine.ML.Monitoring;

/// <summary>
/// The result of one monitoring run, as the registry stores it: plain properties of simple types (strings,
/// numbers, booleans, lists), with null where a value does not exist (no labels yet, a column without data).
/// </summary>
public sealed record MonitoringReport
{
    public int ReferenceRows { get; init; }

    public int CurrentRows { get; init; }

    /// <summary>One entry per monitored feature column, in the reference's column order.</summary>
    public List<ColumnDrift> Columns { get; init; } = [];

    /// <summary>Columns that drifted among the columns that could be tested.</summary>
    public int DriftedColumns { get; init; }

    /// <summary>DriftedColumns / tested columns (0 when none could be tested).</summary>
    public double DriftShare { get; init; }

    public double DatasetDriftThreshold { get; init; }

    /// <summary>DriftShare &gt;= DatasetDriftThreshold.</summary>
    public bool DatasetDrift { get; init; }

    /// <summary>Drift of the model's score between its training predictions and the current ones; null when not given.</summary>
    public ColumnDrift? PredictionDrift { get; init; }

    public PerformanceSummary? Performance { get; init; }

    public List<FiredAlert> Alerts { get; init; } = [];

    /// <summary>The drift entry of a column, or null.</summary>
    public ColumnDrift? Column(string name) => Columns.Find(c => string.Equals(c.Column, name, StringComparison.Ordinal));
}

/// <summary>A column's drift test. The chosen method decides <see cref="Drifted"/>; the other statistics are informative.</summary>
public sealed record ColumnDrift
{
    public required string Column { get; init; }

    /// <summary>numerical or categorical.</summary>
    public required string Kind { get; init; }

    /// <summary>ks, wasserstein, psi or jensen-shannon.</summary>
    public required string Method { get; init; }

    /// <summary>The method's statistic (for ks: D); null when a sample had no value.</summary>
    public double? Statistic { get; init; }

    /// <summary>For ks: the p-value that decides drift.</summary>
    public double? PValue { get; init; }

    public double Threshold { get; init; }

    public bool Drifted { get; init; }

    /// <summary>Non-missing values in the reference and in the current sample.</summary>
    public int ReferenceCount { get; init; }

    public int CurrentCount { get; init; }

    /// <summary>Numerical columns: every statistic, whichever decided.</summary>
    public double? Ks { get; init; }

    public double? KsPValue { get; init; }

    public double? Psi { get; init; }

    public double? Wasserstein { get; init; }

    public double? JensenShannon { get; init; }
}

/// <summary>Rolling performance once labels arrived (see <see cref="RollingPerformance"/>).</summary>
public sealed record PerformanceSummary
{
    public int Window { get; init; }

    /// <summary>Periods (dates) with labels.</summary>
    public int Periods { get; init; }

    public DateTime? LastPeriod { get; init; }

    /// <summary>Rolling rank IC over the last Window periods; null until a full window exists.</summary>
    public double? RollingRankIc { get; init; }

    public double? RollingHitRate { get; init; }

    /// <summary>Mean of the per-period rank IC over every period.</summary>
    public double? MeanRankIc { get; init; }

    public double DecayThreshold { get; init; }

    /// <summary>RollingRankIc &lt; DecayThreshold.</summary>
    public bool Decayed { get; init; }
}

/// <summary>An alert rule whose condition held, with the metric values it read.</summary>
public sealed record FiredAlert
{
    public required string Name { get; init; }

    /// <summary>info, warning or critical.</summary>
    public required string Severity { get; init; }

    public required string Condition { get; init; }

    /// <summary>The values the condition read, e.g. "drift_share = 0.65; feature_drift(vol_20d) = true".</summary>
    public required string Values { get; init; }
}
