namespace OptAIC.Engine.Data;

/// <summary>
/// A problem with a dataset that the user can fix: a path, a file, a column or a value. The message
/// names the place (file relative to the repository root, data row, CSV line, column, value) and what
/// to do; the same parts are available as properties for <c>file:row:col</c> style reporting.
/// </summary>
public sealed class DatasetException : Exception
{
    private const int MaxValueLength = 40;

    public DatasetException()
    {
    }

    public DatasetException(string message)
        : base(message)
    {
    }

    public DatasetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private DatasetException(string message, DatasetLocation location, Exception? innerException)
        : base(message, innerException)
    {
        Dataset = location.Dataset;
        File = location.File;
        Row = location.Row;
        Line = location.Line;
        Column = location.Column;
        Value = location.Value;
    }

    public string? Dataset { get; }

    /// <summary>The file, relative to the repository root, with '/' separators.</summary>
    public string? File { get; }

    /// <summary>1-based data row within <see cref="File"/> (the header is not a data row).</summary>
    public long? Row { get; }

    /// <summary>1-based line in a CSV file where the row starts.</summary>
    public long? Line { get; }

    public string? Column { get; }

    /// <summary>The offending value, truncated.</summary>
    public string? Value { get; }

    internal static DatasetException At(DatasetLocation location, string problem, string fix, Exception? inner = null)
    {
        var where = new List<string>(4);
        if (location.File is not null)
        {
            where.Add(location.File);
        }
        if (location.Row is not null)
        {
            where.Add(location.Line is null ? $"row {location.Row}" : $"row {location.Row} (line {location.Line})");
        }
        else if (location.Line is not null)
        {
            where.Add($"line {location.Line}");
        }
        if (location.Column is not null)
        {
            where.Add($"column '{location.Column}'");
        }
        var prefix = where.Count > 0 ? string.Join(", ", where) + ": " : "";
        var dataset = location.Dataset is null ? "" : $"dataset '{location.Dataset}': ";
        var value = location.Value is null ? "" : $" (value \"{location.Value}\")";
        return new DatasetException($"{dataset}{prefix}{problem}{value}. {fix}", location, inner);
    }

    internal static string Truncate(ReadOnlySpan<char> value) =>
        value.Length <= MaxValueLength ? value.ToString() : string.Concat(value[..MaxValueLength], "...");
}

internal readonly record struct DatasetLocation(
    string? Dataset,
    string? File = null,
    long? Row = null,
    long? Line = null,
    string? Column = null,
    string? Value = null);
