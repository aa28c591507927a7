using System.Globalization;

namespace OptAIC.Engine.Data;

/// <summary>
/// What a dataset's rows that share a time (per entity) become, by its declared <see cref="EventPolicy"/>:
/// an error naming the file and rows (a series), kept (an event log), the last one, or aggregated into
/// buckets. Runs on a frame sorted by (time, entity), where such rows are neighbours in file order.
/// </summary>
internal static class EventPolicies
{
    /// <param name="where">The file and 1-based data row of a frame row, for messages.</param>
    public static Frame Apply(DatasetDescriptor dataset, Frame frame, Func<int, (string File, long Row)> where)
    {
        switch (dataset.Events)
        {
            case EventPolicy.KeepAll:
                return frame;
            case EventPolicy.Aggregate:
                return Aggregate(dataset, frame);
        }
        var duplicate = FirstRepeat(frame);
        // With a publication column, a repeated time is a revision (the latest known one wins in as-of joins).
        if (duplicate < 0 || (dataset.Events == EventPolicy.Error && dataset.KnownAtColumn is not null))
        {
            return frame;
        }
        if (dataset.Events == EventPolicy.Error)
        {
            var (file, row) = where(duplicate);
            var (firstFile, firstRow) = where(duplicate - 1);
            var who = frame.Entity is null ? "" : $" of entity '{frame.Entity[duplicate]}'";
            throw DatasetException.At(
                new DatasetLocation(dataset.Name, file, Row: row, Column: dataset.TimeColumn, Value: frame.Time[duplicate].ToString("o", CultureInfo.InvariantCulture)),
                $"rows {firstRow}{(firstFile == file ? "" : $" ({firstFile})")} and {row}{who} have the same time, but the dataset is a series (one row per time{(frame.Entity is null ? "" : " and entity")})",
                "Declare spec.events: keep-all for an event log, keep-last to keep the latest row, or aggregate with aggregate.every; or deduplicate the source");
        }
        var keep = new List<int>(frame.RowCount);
        for (var i = 0; i < frame.RowCount; i++)
        {
            if (i + 1 == frame.RowCount || !SameKey(frame, i, i + 1))
            {
                keep.Add(i);
            }
        }
        return frame.Select(keep);
    }

    /// <summary>The first row that repeats its predecessor's (time, entity), or -1.</summary>
    internal static int FirstRepeat(Frame frame)
    {
        for (var i = 1; i < frame.RowCount; i++)
        {
            if (SameKey(frame, i - 1, i))
            {
                return i;
            }
        }
        return -1;
    }

    private static bool SameKey(Frame frame, int a, int b) =>
        frame.Time[a] == frame.Time[b] && (frame.Entity is null || string.Equals(frame.Entity[a], frame.Entity[b], StringComparison.Ordinal));

    /// <summary>
    /// Buckets of <see cref="EventAggregation.Every"/> per entity, labelled by their end: a bucket's value
    /// is complete (and known) only when it closes, so Time = the bucket's end and KnownAt = the later of
    /// that end plus the lag and the latest KnownAt of its events.
    /// </summary>
    private static Frame Aggregate(DatasetDescriptor dataset, Frame frame)
    {
        var spec = dataset.Aggregation ?? throw DatasetException.At(
            new DatasetLocation(dataset.Name), "events: aggregate needs aggregate.every", "Add aggregate: { every: 1h } (and functions per column)");
        var every = spec.Every.Ticks;
        if (every <= 0)
        {
            throw DatasetException.At(new DatasetLocation(dataset.Name), "aggregate.every must be positive", "Give a bucket width such as 1h or 1d");
        }
        var buckets = new Dictionary<(long End, string? Entity), List<int>>();
        var order = new List<(long End, string? Entity)>();
        for (var i = 0; i < frame.RowCount; i++)
        {
            var ticks = frame.Time[i].Ticks;
            var end = ((ticks / every) + 1) * every;
            if (end > DateTime.MaxValue.Ticks)
            {
                end = DateTime.MaxValue.Ticks;
            }
            var key = (end, frame.Entity?[i]);
            if (!buckets.TryGetValue(key, out var rows))
            {
                buckets[key] = rows = [];
                order.Add(key);
            }
            rows.Add(i);
        }
        order.Sort((a, b) => a.End != b.End ? a.End.CompareTo(b.End) : string.CompareOrdinal(a.Entity, b.Entity));

        var n = order.Count;
        var time = new DateTime[n];
        var knownAt = new DateTime[n];
        var entity = frame.Entity is null ? null : new string[n];
        for (var b = 0; b < n; b++)
        {
            var rows = buckets[order[b]];
            time[b] = new DateTime(order[b].End, DateTimeKind.Utc);
            var known = time[b] <= DateTime.MaxValue - dataset.KnowledgeLag ? time[b] + dataset.KnowledgeLag : DateTime.MaxValue;
            foreach (var r in rows)
            {
                if (frame.KnownAt[r] > known)
                {
                    known = frame.KnownAt[r];
                }
            }
            knownAt[b] = known;
            if (entity is not null)
            {
                entity[b] = order[b].Entity!;
            }
        }
        var result = new Frame(time, entity, knownAt);
        foreach (var name in frame.ColumnNames)
        {
            var function = spec.Functions.TryGetValue(name, out var f) ? f : "last";
            if (frame.IsNumeric(name))
            {
                var values = frame.Numeric(name);
                var output = new double[n];
                for (var b = 0; b < n; b++)
                {
                    output[b] = Reduce(function, values, buckets[order[b]]);
                }
                result.AddNumeric(name, output);
            }
            else
            {
                if (function is not ("first" or "last" or "count"))
                {
                    throw DatasetException.At(new DatasetLocation(dataset.Name, Column: name), $"'{function}' cannot aggregate a text column", "Use first, last or count for text columns");
                }
                var values = frame.Text(name);
                if (function == "count")
                {
                    result.AddNumeric(name, [.. order.Select(k => (double)buckets[k].Count(r => values[r] is not null))]);
                    continue;
                }
                result.AddText(name, [.. order.Select(k => function == "first" ? values[buckets[k][0]] : values[buckets[k][^1]])]);
            }
        }
        return result;
    }

    private static double Reduce(string function, double[] values, List<int> rows)
    {
        // Missing values (NaN) are skipped; a bucket with none is NaN (count: 0).
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity, first = double.NaN, last = double.NaN;
        var count = 0;
        foreach (var r in rows)
        {
            var v = values[r];
            if (double.IsNaN(v))
            {
                continue;
            }
            if (count == 0)
            {
                first = v;
            }
            last = v;
            sum += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            count++;
        }
        return function switch
        {
            "count" => count,
            _ when count == 0 => double.NaN,
            "sum" => sum,
            "mean" => sum / count,
            "min" => min,
            "max" => max,
            "first" => first,
            _ => last,
        };
    }
}
