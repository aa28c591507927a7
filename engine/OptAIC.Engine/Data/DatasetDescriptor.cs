namespace OptAIC.Engine.Data;

/// <summary>
/// A dataset as the engine reads it: the Dataset spec mapped onto plain values. <see cref="Path"/> is a
/// file or a glob of partitions (<c>*</c>, <c>?</c>, <c>**</c>) relative to the repository root.
/// </summary>
public sealed record DatasetDescriptor
{
    public required string Name { get; init; }

    public DatasetFormat Format { get; init; }

    /// <summary>A file or glob, relative to the repository root; it may not leave the root.</summary>
    public required string Path { get; init; }

    public required string TimeColumn { get; init; }

    /// <summary>The asset key of a panel (many entities per date); null for a single series.</summary>
    public string? EntityColumn { get; init; }

    /// <summary>A row dated t becomes known at t + lag; never negative.</summary>
    public TimeSpan KnowledgeLag { get; init; }

    /// <summary>
    /// Optional column holding when each row became known (e.g. a publication time, or the
    /// <c>known_at</c> of a written prediction file); then KnownAt = that value + <see cref="KnowledgeLag"/>.
    /// </summary>
    public string? KnownAtColumn { get; init; }

    /// <summary>
    /// The declared columns. The time and entity columns may be listed (to pin their types) or left out;
    /// every other column read must be listed here.
    /// </summary>
    public IReadOnlyList<DatasetColumn> Columns { get; init; } = [];

    public CsvOptions Csv { get; init; } = new();

    /// <summary>What rows sharing a time (per entity) mean: an error (a series), events kept as they are, the last one, or buckets.</summary>
    public EventPolicy Events { get; init; } = EventPolicy.Error;

    /// <summary>With <see cref="EventPolicy.Aggregate"/>: the bucket width and each column's function.</summary>
    public EventAggregation? Aggregation { get; init; }

    /// <summary>The declared frequency (business-day, day, hour, week, month, quarter), checked against the data at plan time; null when not declared.</summary>
    public string? Frequency { get; init; }

    /// <summary>The declared type of a column, or null when it is not declared.</summary>
    public ColumnType? TypeOf(string column)
    {
        foreach (var c in Columns)
        {
            if (string.Equals(c.Name, column, StringComparison.Ordinal))
            {
                return c.Type;
            }
        }
        return null;
    }
}

/// <summary>A declared column; a date or time column may say how it is written (<see cref="Data.TimeFormat"/>) and in which zone.</summary>
public sealed record DatasetColumn(string Name, ColumnType Type)
{
    public string? Format { get; init; }

    public string? TimeZone { get; init; }

    /// <summary>The parser of a Date/DateTime column; throws <see cref="ArgumentException"/> for a format lint would have refused.</summary>
    internal TimeFormat TimeFormat() =>
        Data.TimeFormat.TryCreate(Format, TimeZone, Type == ColumnType.Date, out var format, out var problem)
            ? format
            : throw new ArgumentException(problem);
}

/// <summary>Rows of one entity that share a time.</summary>
public enum EventPolicy
{
    /// <summary>A series: one row per time and entity; a repeat is an error.</summary>
    Error,

    /// <summary>An event log: every row is kept, in file order within a time.</summary>
    KeepAll,

    /// <summary>The last row (in file order) of each time and entity wins.</summary>
    KeepLast,

    /// <summary>Rows are bucketed to <see cref="EventAggregation.Every"/> and reduced by a function per column.</summary>
    Aggregate,
}

/// <summary>How events become a series: buckets of <see cref="Every"/>, labelled by their end, each column reduced by its function (default last).</summary>
public sealed record EventAggregation(TimeSpan Every, IReadOnlyDictionary<string, string> Functions)
{
    public static readonly IReadOnlyList<string> Known = ["sum", "mean", "min", "max", "first", "last", "count"];
}

public sealed record CsvOptions
{
    public char Delimiter { get; init; } = ',';

    /// <summary>Whether the first line names the columns; without one, columns are the declared ones in order.</summary>
    public bool Header { get; init; } = true;

    /// <summary>Field values read as missing (NaN for numbers, null for text).</summary>
    public IReadOnlyList<string> NullValues { get; init; } = ["", "NA", "null"];
}
