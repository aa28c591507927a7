namespace OptAIC.Engine.Data;

/// <summary>An inclusive time window; a null bound is open.</summary>
public sealed record TimeWindow
{
    public TimeWindow(DateTime? start, DateTime? end)
    {
        if (start is not null && end is not null && start > end)
        {
            throw new ArgumentException($"the window starts ({start:O}) after it ends ({end:O})", nameof(start));
        }
        Start = start;
        End = end;
    }

    public static TimeWindow All { get; } = new(null, null);

    public DateTime? Start { get; }

    public DateTime? End { get; }

    public bool Contains(DateTime time) => (Start is null || time >= Start) && (End is null || time <= End);
}

/// <summary>Point-in-time operations: nothing known after a decision time ever reaches that decision.</summary>
public static class PointInTime
{
    /// <summary>
    /// For each decision row (its <see cref="Frame.Time"/> is the decision time), the values of the
    /// latest source row, of the same entity when the source is a panel, whose <see cref="Frame.KnownAt"/>
    /// is at or before the decision time; NaN (or null text) when there is none. "Latest" is the greatest
    /// source time, then the greatest KnownAt (a later revision of the same date wins), then the later
    /// source row. A single-series source joins to every entity of a panel of decisions. The result
    /// holds the decision frame's columns (the same arrays) and the joined ones named
    /// <paramref name="prefix"/> + column. O((n + m) log(n + m)).
    /// </summary>
    public static Frame AsOfJoin(Frame decisions, Frame source, IEnumerable<string> columns, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(columns);
        var names = columns.ToArray();
        foreach (var name in names)
        {
            if (!source.HasColumn(name))
            {
                throw new ArgumentException($"the source has no column '{name}' (columns: {string.Join(", ", source.ColumnNames)})", nameof(columns));
            }
            if (decisions.HasColumn(prefix + name))
            {
                throw new ArgumentException($"the decisions already have a column '{prefix}{name}'; pass a prefix for the joined columns", nameof(prefix));
            }
        }
        if (source.Entity is not null && decisions.Entity is null)
        {
            throw new ArgumentException("the source is a panel (it has entities) but the decisions are a single series: say which entity to join, or aggregate the source first", nameof(decisions));
        }

        var match = Match(decisions, source);
        var result = new Frame(decisions.Time, decisions.Entity, decisions.KnownAt) { IsEventLog = decisions.IsEventLog };
        foreach (var name in decisions.ColumnNames)
        {
            if (decisions.IsNumeric(name))
            {
                result.AddNumeric(name, decisions.Numeric(name));
            }
            else
            {
                result.AddText(name, decisions.Text(name));
            }
        }
        foreach (var name in names)
        {
            if (source.IsNumeric(name))
            {
                var values = source.Numeric(name);
                var joined = new double[match.Length];
                for (var i = 0; i < match.Length; i++)
                {
                    joined[i] = match[i] < 0 ? double.NaN : values[match[i]];
                }
                result.AddNumeric(prefix + name, joined);
            }
            else
            {
                var values = source.Text(name);
                var joined = new string?[match.Length];
                for (var i = 0; i < match.Length; i++)
                {
                    joined[i] = match[i] < 0 ? null : values[match[i]];
                }
                result.AddText(prefix + name, joined);
            }
        }
        return result;
    }

    /// <summary>The rows whose time lies in the window (inclusive), in their order.</summary>
    public static Frame Slice(Frame frame, TimeWindow window, IReadOnlyCollection<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(window);
        var rows = new List<int>(frame.RowCount);
        for (var i = 0; i < frame.RowCount; i++)
        {
            if (window.Contains(frame.Time[i]))
            {
                rows.Add(i);
            }
        }
        return frame.Select(rows, columns);
    }

    /// <summary>For each decision row, the index of the source row it sees, or -1.</summary>
    internal static int[] Match(Frame decisions, Frame source)
    {
        // Entity codes: a panel source groups by entity; a single series is one group that all decisions see.
        var sourceCode = new int[source.RowCount];
        var decisionCode = new int[decisions.RowCount];
        if (source.Entity is not null)
        {
            var codes = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < sourceCode.Length; i++)
            {
                ref var code = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(codes, source.Entity[i], out var exists);
                if (!exists)
                {
                    code = codes.Count - 1;
                }
                sourceCode[i] = code;
            }
            for (var i = 0; i < decisionCode.Length; i++)
            {
                decisionCode[i] = codes.TryGetValue(decisions.Entity![i], out var code) ? code : -1;
            }
        }

        // Sources in the order they become known, decisions in time order, both grouped by entity.
        var sourceKeys = new Key[source.RowCount];
        for (var i = 0; i < sourceKeys.Length; i++)
        {
            sourceKeys[i] = new Key(sourceCode[i], source.KnownAt[i].Ticks, i);
        }
        var decisionKeys = new Key[decisions.RowCount];
        for (var i = 0; i < decisionKeys.Length; i++)
        {
            decisionKeys[i] = new Key(decisionCode[i], decisions.Time[i].Ticks, i);
        }
        Array.Sort(sourceKeys);
        Array.Sort(decisionKeys);

        var match = new int[decisions.RowCount];
        var s = 0;
        var best = -1;
        var bestGroup = int.MinValue;
        foreach (var d in decisionKeys)
        {
            if (d.Group < 0)
            {
                match[d.Index] = -1;
                continue;
            }
            if (d.Group != bestGroup)
            {
                while (s < sourceKeys.Length && sourceKeys[s].Group < d.Group)
                {
                    s++;
                }
                best = -1;
                bestGroup = d.Group;
            }
            // Release every source row of this group known by the decision time; keep the latest one.
            while (s < sourceKeys.Length && sourceKeys[s].Group == d.Group && sourceKeys[s].Ticks <= d.Ticks)
            {
                var candidate = sourceKeys[s].Index;
                if (best < 0 || Later(source, candidate, best))
                {
                    best = candidate;
                }
                s++;
            }
            match[d.Index] = best;
        }
        return match;
    }

    private static bool Later(Frame source, int a, int b)
    {
        var c = source.Time[a].CompareTo(source.Time[b]);
        if (c != 0)
        {
            return c > 0;
        }
        c = source.KnownAt[a].CompareTo(source.KnownAt[b]);
        return c != 0 ? c > 0 : a > b;
    }

    private readonly record struct Key(int Group, long Ticks, int Index) : IComparable<Key>
    {
        public int CompareTo(Key other)
        {
            var c = Group.CompareTo(other.Group);
            if (c != 0)
            {
                return c;
            }
            c = Ticks.CompareTo(other.Ticks);
            return c != 0 ? c : Index.CompareTo(other.Index);
        }
    }
}
