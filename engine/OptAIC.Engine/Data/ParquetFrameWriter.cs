namespace OptAIC.Engine.Data;

/// <summary>How frames are written to Parquet.</summary>
public sealed record ParquetWriteOptions
{
    /// <summary>Rows per row group at most; larger frames are split.</summary>
    public int RowGroupSize { get; init; } = 100_000;

    /// <summary>
    /// Parquet types for columns (default: numeric as Double, text as String). Numeric columns may be
    /// Double, Float, Int, Long or Bool; text columns String, Category, or Date/DateTime (ISO 8601 text).
    /// </summary>
    public IReadOnlyDictionary<string, ColumnType>? ColumnTypes { get; init; }
}

/// <summary>
/// Writes a frame to a Parquet file (Snappy): <c>time</c>, <c>known_at</c> (UTC timestamps, microseconds),
/// <c>entity</c> for panels, then the frame's columns with their types; NaN and null are written as
/// Parquet nulls. The file appears atomically: it is written next to the target and renamed over it.
/// </summary>
public static class ParquetFrameWriter
{
    public const string TimeColumn = "time";
    public const string KnownAtColumn = "known_at";
    public const string EntityColumn = "entity";

    public static void Write(string path, Frame frame, IReadOnlyDictionary<string, string>? metadata = null, ParquetWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var appender = new ParquetFrameAppender(path, metadata, options);
        appender.AppendRowGroup(frame);
        appender.Commit();
    }

    /// <summary>A dataset descriptor that reads a written file back: time, known_at, entity and the frame's columns.</summary>
    public static DatasetDescriptor DescriptorFor(string name, string relativePath, Frame frame, ParquetWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var types = options?.ColumnTypes;
        var columns = new List<DatasetColumn> { new(TimeColumn, ColumnType.DateTime), new(KnownAtColumn, ColumnType.DateTime) };
        foreach (var column in frame.ColumnNames)
        {
            var declared = types is not null && types.TryGetValue(column, out var t) ? t : frame.IsNumeric(column) ? ColumnType.Double : ColumnType.String;
            columns.Add(new DatasetColumn(column, declared));
        }
        return new DatasetDescriptor
        {
            Name = name,
            Format = DatasetFormat.Parquet,
            Path = relativePath,
            TimeColumn = TimeColumn,
            EntityColumn = frame.Entity is null ? null : EntityColumn,
            KnownAtColumn = KnownAtColumn,
            Columns = columns,
        };
    }
}
