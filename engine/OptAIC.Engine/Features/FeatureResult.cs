using OptAIC.Engine.Data;

namespace OptAIC.Engine.Features;

/// <summary>
/// The computed features: <see cref="Frame"/> has the source's rows (Time, KnownAt, Entity) and one
/// numeric column per feature and target, NaN where a value is missing (warm-up, end of a target).
/// </summary>
public sealed class FeatureResult
{
    internal FeatureResult(Frame frame, IReadOnlyDictionary<string, int> warmUp, IReadOnlyDictionary<string, int> horizons, FeatureSetAnalysis analysis)
    {
        Frame = frame;
        WarmUp = warmUp;
        Horizons = horizons;
        Analysis = analysis;
    }

    public Frame Frame { get; }

    /// <summary>Per feature and target: rows of history (per entity) before its first complete value.</summary>
    public IReadOnlyDictionary<string, int> WarmUp { get; }

    /// <summary>Per target: rows it looks ahead (its last that many rows per entity are NaN).</summary>
    public IReadOnlyDictionary<string, int> Horizons { get; }

    public FeatureSetAnalysis Analysis { get; }

    /// <summary>
    /// The rows where none of <paramref name="columns"/> is NaN, and how many rows were dropped.
    /// Nothing is ever filled in: incomplete rows are removed and counted.
    /// </summary>
    public (Frame Frame, int DroppedRows) DropIncomplete(IEnumerable<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var arrays = new List<double[]>();
        foreach (var name in columns)
        {
            if (!Frame.IsNumeric(name))
            {
                throw new ArgumentException(
                    $"no feature or target named '{name}' (columns: {string.Join(", ", Frame.ColumnNames)})", nameof(columns));
            }
            arrays.Add(Frame.Numeric(name));
        }
        var keep = new List<int>(Frame.RowCount);
        for (var i = 0; i < Frame.RowCount; i++)
        {
            var complete = true;
            foreach (var values in arrays)
            {
                if (double.IsNaN(values[i]))
                {
                    complete = false;
                    break;
                }
            }
            if (complete)
            {
                keep.Add(i);
            }
        }
        return (Frame.Select(keep), Frame.RowCount - keep.Count);
    }

    /// <summary>The rows where no feature or target is NaN.</summary>
    public (Frame Frame, int DroppedRows) DropIncomplete() => DropIncomplete(Frame.ColumnNames);
}
