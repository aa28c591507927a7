namespace OptAIC.Engine.ML.Monitoring;

/// <summary>A drift test. Text names (in a definition's <c>monitoring.drift</c>): ks, wasserstein, psi, jensen-shannon.</summary>
public enum DriftMethod
{
    /// <summary>Two-sample Kolmogorov-Smirnov; drift when p-value &lt;= threshold (default 0.05).</summary>
    Ks,

    /// <summary>Wasserstein-1 normalised by the reference std; drift when &gt;= threshold (default 0.1).</summary>
    Wasserstein,

    /// <summary>Population stability index over reference deciles; drift when &gt;= threshold (default 0.1).</summary>
    Psi,

    /// <summary>Jensen-Shannon distance (natural log); drift when &gt;= threshold (default 0.1).</summary>
    JensenShannon,
}

/// <summary>A column's drift test and threshold, overriding the default choice.</summary>
public sealed record ColumnDriftSettings(DriftMethod Method, double? Threshold = null);

/// <summary>
/// How drift is tested. By default (Evidently's choice, simplified): a numerical column is tested with KS
/// when its reference has at most <see cref="KsReferenceLimit"/> values, otherwise with the normalised
/// Wasserstein distance; a categorical (text) column always with the Jensen-Shannon distance (Evidently
/// uses chi-square or a z-test for small categorical references; this engine does not). PSI is used only
/// when chosen. Default thresholds: KS p-value 0.05; Wasserstein 0.1; Jensen-Shannon 0.1; PSI 0.1 (the
/// usual reading: below 0.1 no significant shift, 0.1 to 0.2 moderate, above 0.2 significant; 0.1 is
/// Evidently's default). The dataset drifts when the share of drifted columns is at least
/// <see cref="DatasetDriftShare"/>.
/// </summary>
public sealed record DriftOptions
{
    public int KsReferenceLimit { get; init; } = 1000;

    public double DatasetDriftShare { get; init; } = 0.5;

    /// <summary>Per-column overrides, by column name.</summary>
    public IReadOnlyDictionary<string, ColumnDriftSettings> Columns { get; init; } = new Dictionary<string, ColumnDriftSettings>();

    /// <summary>Override for the prediction (score) column.</summary>
    public ColumnDriftSettings? Prediction { get; init; }

    public static double DefaultThreshold(DriftMethod method) => method switch
    {
        DriftMethod.Ks => 0.05,
        _ => 0.1,
    };

    public static string Name(DriftMethod method) => method switch
    {
        DriftMethod.Ks => "ks",
        DriftMethod.Wasserstein => "wasserstein",
        DriftMethod.Psi => "psi",
        _ => "jensen-shannon",
    };

    /// <summary>Parses ks, wasserstein, psi or jensen-shannon.</summary>
    public static DriftMethod ParseMethod(string text) => text.Trim().ToLowerInvariant() switch
    {
        "ks" => DriftMethod.Ks,
        "wasserstein" => DriftMethod.Wasserstein,
        "psi" => DriftMethod.Psi,
        "jensen-shannon" or "jensenshannon" or "js" => DriftMethod.JensenShannon,
        _ => throw new DriftConfigurationException($"unknown drift method '{text}'; use ks, wasserstein, psi or jensen-shannon"),
    };
}

/// <summary>A drift configuration that cannot be applied (unknown method or column, a method that does not fit the column).</summary>
public sealed class DriftConfigurationException : Exception
{
    public DriftConfigurationException(string message)
        : base(message)
    {
    }

    public DriftConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DriftConfigurationException()
    {
    }
}
