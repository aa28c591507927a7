using System.Runtime.ExceptionServices;
using OptAIC.Engine.Data;

namespace OptAIC.Engine.ML.Monitoring;

/// <summary>
/// The reference side of drift tests, prepared once from a model's training data (and its predictions on
/// it): each numerical column sorted without missing values, with its std and PSI bins; each text column
/// as category counts. Build it when the model is trained and reuse it for every monitoring run.
/// </summary>
public sealed class DriftReference
{
    private DriftReference(int rows, List<ReferenceColumn> columns, ReferenceColumn? prediction)
    {
        Rows = rows;
        Columns = columns;
        Prediction = prediction;
    }

    public int Rows { get; }

    public IReadOnlyList<string> ColumnNames => [.. Columns.Select(c => c.Name)];

    internal List<ReferenceColumn> Columns { get; }

    internal ReferenceColumn? Prediction { get; }

    /// <summary>
    /// Prepares <paramref name="columns"/> of <paramref name="reference"/> (default: every numeric and text
    /// column) and, when given, the model's predictions on that data (for prediction drift).
    /// </summary>
    public static DriftReference Build(Frame reference, IReadOnlyList<string>? columns = null, double[]? predictions = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var names = columns ?? reference.ColumnNames;
        foreach (var name in names)
        {
            if (!reference.HasColumn(name))
            {
                throw new DriftConfigurationException(
                    $"the reference data has no column '{name}' (columns: {string.Join(", ", reference.ColumnNames)})");
            }
        }
        var prepared = new ReferenceColumn[names.Count];
        ForEachColumn(names.Count, i =>
        {
            var name = names[i];
            // A categorical feature (codes of a category column) is compared by its categories.
            prepared[i] = reference.IsCategorical(name) ? ReferenceColumn.Categorical(name, reference.Decode(name))
                : reference.IsNumeric(name) ? ReferenceColumn.Numeric(name, reference.Numeric(name))
                : ReferenceColumn.Categorical(name, reference.Text(name));
        });
        var prediction = predictions is null ? null : ReferenceColumn.Numeric("prediction", predictions);
        return new DriftReference(reference.RowCount, [.. prepared], prediction);
    }

    /// <summary>Runs <paramref name="body"/> for each column in parallel, one column per core; rethrows the first error as is.</summary>
    internal static void ForEachColumn(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, body);
        }
        catch (AggregateException ex)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
    }
}

/// <summary>One prepared reference column.</summary>
internal sealed class ReferenceColumn
{
    private ReferenceColumn(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public bool IsNumeric => Sorted is not null;

    /// <summary>Numerical: finite values, ascending.</summary>
    public double[]? Sorted { get; private init; }

    public double Std { get; private init; }

    public double[] PsiEdges { get; private init; } = [];

    public double[] PsiShares { get; private init; } = [];

    /// <summary>Categorical: counts per category (nulls left out).</summary>
    public Dictionary<string, long>? Counts { get; private init; }

    public int Count => Sorted?.Length ?? (int)Counts!.Values.Sum();

    public static ReferenceColumn Numeric(string name, double[] values)
    {
        var sorted = DriftStatistics.SortedFinite(values);
        var edges = sorted.Length == 0 ? [] : DriftStatistics.PsiEdges(sorted);
        return new ReferenceColumn(name)
        {
            Sorted = sorted,
            Std = DriftStatistics.PopulationStd(sorted),
            PsiEdges = edges,
            PsiShares = sorted.Length == 0 ? [] : DriftStatistics.PsiShares(sorted, edges),
        };
    }

    public static ReferenceColumn Categorical(string name, string?[] values) =>
        new(name) { Counts = DriftStatistics.Count(values) };
}
