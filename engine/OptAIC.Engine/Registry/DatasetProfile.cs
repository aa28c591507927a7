namespace OptAIC.Engine.Registry;

/// <summary>
/// A dataset's profile at one content version (what WhyLogs records): per column its count, missing values,
/// numeric statistics, quantiles, a distinct-count estimate and a histogram, or for a text column its counts
/// per category. <c>models/datasets/&lt;dataset&gt;/&lt;contentVersion&gt;.yaml</c>; written once per content
/// version and never rewritten. It holds summaries only, never a data row.
/// </summary>
public sealed class DatasetProfile
{
    public string Dataset { get; set; } = "";

    /// <summary>The dataset's content version (sha256 over its files) the profile describes.</summary>
    public string ContentVersion { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Rows read (after the dataset's event policy).</summary>
    public long Rows { get; set; }

    /// <summary>The time column's first and last value.</summary>
    public DateTime? From { get; set; }

    public DateTime? To { get; set; }

    /// <summary>How quantiles were computed: <c>exact</c> (from every value read) is the only method today.</summary>
    public string QuantileMethod { get; set; } = "exact";

    /// <summary>How distinct counts were computed for numeric columns (text columns are counted exactly).</summary>
    public string DistinctMethod { get; set; } = "hyperloglog-p14";

    public List<ColumnProfile> Columns { get; set; } = [];
}

/// <summary>One column of a <see cref="DatasetProfile"/>. Numeric columns have the statistics; text columns the top categories.</summary>
public sealed class ColumnProfile
{
    public string Name { get; set; } = "";

    /// <summary>The declared type: double, float, int, long, bool, string, category, date, datetime.</summary>
    public string Type { get; set; } = "";

    /// <summary>Values present (not missing).</summary>
    public long Count { get; set; }

    public long Missing { get; set; }

    /// <summary>Distinct values present: a HyperLogLog estimate for numbers, exact for text.</summary>
    public long? Distinct { get; set; }

    public double? Min { get; set; }
    public double? Max { get; set; }
    public double? Mean { get; set; }

    /// <summary>Sample standard deviation (n - 1).</summary>
    public double? Std { get; set; }

    /// <summary>p01, p05, p25, p50, p75, p95, p99 (linear interpolation between order statistics).</summary>
    public SortedDictionary<string, double>? Quantiles { get; set; }

    public ProfileHistogram? Histogram { get; set; }

    /// <summary>Text columns: the most frequent values with their counts, most frequent first (ties by value).</summary>
    public List<CategoryCount>? Top { get; set; }

    /// <summary>Text columns: values present that are not in <see cref="Top"/>.</summary>
    public long? Other { get; set; }
}

/// <summary>Equal-width bins: <see cref="Edges"/> has one more entry than <see cref="Counts"/>; the last bin holds its upper edge.</summary>
public sealed class ProfileHistogram
{
    public List<double> Edges { get; set; } = [];
    public List<long> Counts { get; set; } = [];
}

public sealed class CategoryCount
{
    public string Value { get; set; } = "";
    public long Count { get; set; }
}
