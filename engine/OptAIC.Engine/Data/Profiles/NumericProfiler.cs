using System.Globalization;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Data.Profiles;

/// <summary>
/// The profile of one numeric column (NaN is missing): count, missing, min, max, mean, sample standard
/// deviation, exact quantiles (the present values are copied and sorted once), a HyperLogLog distinct-count
/// estimate and an equal-width histogram between min and max.
/// </summary>
public static class NumericProfiler
{
    public const int Bins = 20;

    /// <summary>The quantiles recorded, by key.</summary>
    public static readonly IReadOnlyList<(string Key, double P)> Levels =
        [("p01", 0.01), ("p05", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95), ("p99", 0.99)];

    public static ColumnProfile Profile(string name, string type, ReadOnlySpan<double> values)
    {
        var present = new double[values.Length];
        var count = 0;
        var sum = 0d;
        var hll = new HyperLogLog();
        foreach (var value in values)
        {
            if (double.IsNaN(value))
            {
                continue;
            }
            present[count++] = value;
            sum += value;
            hll.Add(value);
        }
        var profile = new ColumnProfile { Name = name, Type = type, Count = count, Missing = values.Length - count };
        if (count == 0)
        {
            profile.Distinct = 0;
            return profile;
        }

        var sorted = present.AsSpan(0, count);
        sorted.Sort();
        var mean = sum / count;
        var squares = 0d;
        foreach (var value in sorted)
        {
            var d = value - mean;
            squares += d * d;
        }
        profile.Min = sorted[0];
        profile.Max = sorted[^1];
        profile.Mean = mean;
        profile.Std = count > 1 ? Math.Sqrt(squares / (count - 1)) : 0;
        profile.Distinct = Math.Min(hll.Estimate(), count);
        profile.Quantiles = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, p) in Levels)
        {
            profile.Quantiles[key] = Quantile(sorted, p);
        }
        profile.Histogram = Histogram(sorted);
        return profile;
    }

    /// <summary>The p-quantile of sorted values, interpolating linearly between order statistics (Hyndman and Fan's type 7, numpy's default).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        var h = (sorted.Length - 1) * p;
        var lower = (int)Math.Floor(h);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((h - lower) * (sorted[upper] - sorted[lower]));
    }

    private static ProfileHistogram Histogram(ReadOnlySpan<double> sorted)
    {
        double min = sorted[0], max = sorted[^1];
        if (double.IsInfinity(min) || double.IsInfinity(max))
        {
            return new ProfileHistogram(); // no finite width to split
        }
        var bins = min == max ? 1 : Bins;
        var width = (max - min) / bins;
        var histogram = new ProfileHistogram();
        for (var i = 0; i <= bins; i++)
        {
            // Twelve significant digits keep the record readable (no ...99999998 tails) and change no bin.
            histogram.Edges.Add(i == 0 ? min : i == bins ? max : double.Parse((min + (i * width)).ToString("G12", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }
        var counts = new long[bins];
        foreach (var value in sorted)
        {
            var bin = width == 0 ? 0 : (int)((value - min) / width);
            counts[Math.Clamp(bin, 0, bins - 1)]++;
        }
        histogram.Counts.AddRange(counts);
        return histogram;
    }
}
