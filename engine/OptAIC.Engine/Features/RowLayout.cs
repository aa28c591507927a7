using System.Globalization;
using OptAIC.Engine.Data;

namespace OptAIC.Engine.Features;

/// <summary>A set of rows evaluated together: contiguous (Start, Length) or listed in <see cref="Rows"/>.</summary>
internal readonly record struct RowGroup(int Start, int Length, int[]? Rows);

/// <summary>
/// The rows of a frame grouped once per entity (time series operations) and, on demand, per
/// timestamp (cross-sectional operations). Checks that each entity's rows run forward in time.
/// </summary>
internal sealed class RowLayout
{
    private readonly Frame _frame;
    private RowGroup[]? _times;

    private RowLayout(Frame frame, RowGroup[] entities)
    {
        _frame = frame;
        Entities = entities;
        MaxEntityLength = entities.Length == 0 ? 0 : entities.Max(g => g.Length);
    }

    public int RowCount => _frame.RowCount;

    public bool IsSingleSeries => _frame.Entity is null;

    public RowGroup[] Entities { get; }

    public int MaxEntityLength { get; }

    public RowGroup[] Times => _times ??= GroupTimes();

    public int MaxTimeLength => Times.Length == 0 ? 0 : Times.Max(g => g.Length);

    public static RowLayout Build(Frame frame)
    {
        var n = frame.RowCount;
        var time = frame.Time;
        if (frame.Entity is not { } entity)
        {
            for (var i = 1; i < n; i++)
            {
                CheckOrder(time, i - 1, i, null, frame.IsEventLog);
            }
            return new RowLayout(frame, n == 0 ? [] : [new RowGroup(0, n, null)]);
        }

        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<List<int>>();
        for (var i = 0; i < n; i++)
        {
            var key = entity[i] ?? throw new FeatureDataException(
                $"row {i} has no entity; every row of a panel needs its entity key");
            if (!index.TryGetValue(key, out var rows))
            {
                rows = [];
                index.Add(key, rows);
                order.Add(rows);
            }
            if (rows.Count > 0)
            {
                CheckOrder(time, rows[^1], i, key, frame.IsEventLog);
            }
            rows.Add(i);
        }
        return new RowLayout(frame, order.Select(Group).ToArray());
    }

    private static void CheckOrder(DateTime[] time, int previous, int row, string? entity, bool events)
    {
        if (time[row] > time[previous] || (events && time[row] == time[previous]))
        {
            return;
        }
        var who = entity is null ? "" : $" of entity '{entity}'";
        var when = time[row].ToString("o", CultureInfo.InvariantCulture);
        throw new FeatureDataException(time[row] == time[previous]
            ? $"rows {previous} and {row}{who} have the same time {when}; a series needs one row per time (declare the dataset's events: keep-all, keep-last or aggregate, or deduplicate the source)"
            : $"row {row}{who} ({when}) comes before row {previous} " +
              $"({time[previous].ToString("o", CultureInfo.InvariantCulture)}) in time; sort the source by time");
    }

    private RowGroup[] GroupTimes()
    {
        var time = _frame.Time;
        var index = new Dictionary<DateTime, List<int>>();
        var order = new List<List<int>>();
        for (var i = 0; i < time.Length; i++)
        {
            if (!index.TryGetValue(time[i], out var rows))
            {
                rows = [];
                index.Add(time[i], rows);
                order.Add(rows);
            }
            rows.Add(i);
        }
        return order.Select(Group).ToArray();
    }

    private static RowGroup Group(List<int> rows)
    {
        var start = rows[0];
        var contiguous = rows[^1] - start == rows.Count - 1;
        return contiguous ? new RowGroup(start, rows.Count, null) : new RowGroup(start, rows.Count, rows.ToArray());
    }
}
