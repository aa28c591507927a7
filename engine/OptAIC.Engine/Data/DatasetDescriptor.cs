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

public sealed record DatasetColumn(string Name, ColumnType Type);

public sealed record CsvOptions
{
    public char Delimiter { get; init; } = ',';

    /// <summary>Whether the first line names the columns; without one, columns are the declared ones in order.</summary>
    public bool Header { get; init; } = true;

    /// <summary>Field values read as missing (NaN for numbers, null for text).</summary>
    public IReadOnlyList<string> NullValues { get; init; } = ["", "NA", "null"];
}
