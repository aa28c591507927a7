using System.Text.Json;

namespace OptAIC.Engine.Data;

/// <summary>
/// What plan learns from a dataset's data before anything trains: that its files read against the
/// declared columns (Parquet: the schema of every file; CSV: every value, up to a size), that its times
/// parse in the declared format, that a series has one row per time and entity, and the frequency its
/// times actually have. A problem is the <see cref="DatasetException"/> apply would have thrown, with
/// its file, row and column.
/// </summary>
public sealed record DatasetFacts(long Rows, string? Frequency, string? Problem)
{
    /// <summary>CSV files up to this size are read whole at plan time; larger ones have their time columns read.</summary>
    public const long FullReadBytes = 64L * 1024 * 1024;

    public static DatasetFacts Of(DatasetDescriptor dataset, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        try
        {
            var small = dataset.Format == DatasetFormat.Csv
                && DatasetFiles.Resolve(dataset, repositoryRoot).Sum(f => new FileInfo(f.FullPath).Length) <= FullReadBytes;
            // Parquet checks every declared column against each file's schema while reading the time column alone.
            var frame = DatasetReader.Read(dataset, repositoryRoot, small ? null : []);
            return new DatasetFacts(frame.RowCount, dataset.Events is EventPolicy.KeepAll ? null : Frequencies.Infer(frame), null);
        }
        catch (DatasetException e)
        {
            return new DatasetFacts(0, null, e.Message);
        }
    }
}

/// <summary>The frequencies of the Dataset schema, and the one a column of times has.</summary>
public static class Frequencies
{
    /// <summary>
    /// The frequency the times have: the median gap between consecutive times of each entity, and for
    /// daily data whether weekends occur (business-day) or not. Null when there are too few rows or the
    /// gaps fit no frequency.
    /// </summary>
    public static string? Infer(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var gaps = new List<long>();
        var last = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var weekend = 0;
        for (var i = 0; i < frame.RowCount; i++)
        {
            var key = frame.Entity?[i] ?? "";
            var t = frame.Time[i];
            if (t.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                weekend++;
            }
            if (last.TryGetValue(key, out var previous) && t > previous)
            {
                gaps.Add((t - previous).Ticks);
            }
            last[key] = t;
        }
        if (gaps.Count < 8)
        {
            return null;
        }
        gaps.Sort();
        var median = TimeSpan.FromTicks(gaps[gaps.Count / 2]);
        if (median <= TimeSpan.FromMinutes(2))
        {
            return median >= TimeSpan.FromSeconds(30) ? "minute" : null;
        }
        if (median <= TimeSpan.FromHours(2))
        {
            return median >= TimeSpan.FromMinutes(30) ? "hour" : null;
        }
        if (median >= TimeSpan.FromHours(20) && median <= TimeSpan.FromDays(1.5))
        {
            // Business days have (almost) no weekend rows; calendar days have two in seven.
            return weekend < frame.RowCount / 50.0 ? "business-day" : "day";
        }
        if (median >= TimeSpan.FromDays(6) && median <= TimeSpan.FromDays(8))
        {
            return "week";
        }
        if (median >= TimeSpan.FromDays(27) && median <= TimeSpan.FromDays(32))
        {
            return "month";
        }
        return median >= TimeSpan.FromDays(88) && median <= TimeSpan.FromDays(93) ? "quarter" : null;
    }

    /// <summary>Whether times of this frequency mark the end of a period (a month's or quarter's figures), which are published later.</summary>
    public static bool IsPeriodEnd(string? frequency) => frequency is "month" or "quarter";
}

/// <summary>Facts per dataset, kept under .optaic/cache by content version and declaration: plan reads each dataset's data once per change.</summary>
public sealed class DatasetFactsCache(string cacheFilePath)
{
    private Dictionary<string, DatasetFacts>? _entries;

    public DatasetFacts Get(DatasetDescriptor dataset, string contentVersion, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        _entries ??= Load();
        // The declaration is part of the key: a new format or event policy changes the facts.
        var key = $"{dataset.Name}|{contentVersion}|{JsonSerializer.Serialize(new { dataset.Path, dataset.TimeColumn, dataset.EntityColumn, dataset.KnownAtColumn, Events = dataset.Events.ToString(), Columns = dataset.Columns.Select(c => $"{c.Name}:{c.Type}:{c.Format}:{c.TimeZone}"), dataset.Csv.Delimiter, dataset.Csv.Header, dataset.Csv.NullValues, Lag = dataset.KnowledgeLag.Ticks })}";
        if (_entries.TryGetValue(key, out var known))
        {
            return known;
        }
        var facts = DatasetFacts.Of(dataset, repositoryRoot);
        // One entry per dataset: older versions are never asked for again.
        foreach (var stale in _entries.Keys.Where(k => k.StartsWith(dataset.Name + "|", StringComparison.Ordinal)).ToList())
        {
            _entries.Remove(stale);
        }
        _entries[key] = facts;
        Save();
        return facts;
    }

    private Dictionary<string, DatasetFacts> Load() => CacheFile.Load<DatasetFacts>(cacheFilePath);

    private void Save() => CacheFile.Save(cacheFilePath, _entries!);
}
