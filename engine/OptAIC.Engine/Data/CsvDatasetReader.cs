using System.Text;

namespace OptAIC.Engine.Data;

/// <summary>Reads CSV files of a dataset straight into column sinks, one field at a time.</summary>
internal static class CsvDatasetReader
{
    private const int StreamBufferSize = 1 << 16;

    public static void ReadFile(DatasetDescriptor dataset, DatasetFile file, IReadOnlyList<ColumnSink> sinks, CancellationToken cancellationToken)
    {
        var options = dataset.Csv;
        var at = new DatasetLocation(dataset.Name, file.RelativePath);
        using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, StreamBufferSize, FileOptions.SequentialScan);
        using var text = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, StreamBufferSize);
        using var csv = new CsvTokenizer(text, options.Delimiter);
        var nulls = new NullTokens(options.NullValues);
        try
        {
            var (indices, expectedFields) = MapColumns(dataset, csv, sinks, at);
            long row = 0;
            while (csv.Read())
            {
                row++;
                if ((row & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (csv.FieldCount != expectedFields)
                {
                    throw DatasetException.At(
                        at with { Row = row, Line = csv.Line },
                        $"the row has {csv.FieldCount} fields but {(options.Header ? "the header has" : "the dataset declares")} {expectedFields}",
                        $"Quote fields that contain the delimiter '{options.Delimiter}' or a line break, and give every row the same fields");
                }
                for (var i = 0; i < sinks.Count; i++)
                {
                    Parse(sinks[i], csv.Field(indices[i]), nulls, at, row, csv.Line);
                }
            }
        }
        catch (CsvFormatException e)
        {
            throw DatasetException.At(at with { Line = e.Line }, e.Message, "Close every quoted field with a quote and double any quote inside it (\"\")", e);
        }
    }

    private static (int[] Indices, int ExpectedFields) MapColumns(DatasetDescriptor dataset, CsvTokenizer csv, IReadOnlyList<ColumnSink> sinks, DatasetLocation at)
    {
        var indices = new int[sinks.Count];
        if (!dataset.Csv.Header)
        {
            // Without a header the declared columns are the file's columns, in order.
            var declared = dataset.Columns.Select(c => c.Name).ToList();
            for (var i = 0; i < sinks.Count; i++)
            {
                indices[i] = declared.IndexOf(sinks[i].Name);
                if (indices[i] < 0)
                {
                    throw DatasetException.At(
                        at with { Column = sinks[i].Name },
                        "the file has no header and the column is not declared, so its position is unknown",
                        "List every column of the file in spec.columns, in file order, or add a header line");
                }
            }
            return (indices, declared.Count);
        }
        if (!csv.Read())
        {
            throw DatasetException.At(at, "the file is empty (no header line)", "Add a header line naming the columns, or set csv.header to false");
        }
        var header = new string[csv.FieldCount];
        for (var i = 0; i < header.Length; i++)
        {
            header[i] = csv.Field(i).Trim().ToString();
        }
        var required = dataset.Columns.Select(c => c.Name).Concat(sinks.Select(s => s.Name)).Distinct(StringComparer.Ordinal);
        foreach (var name in required)
        {
            var index = Array.IndexOf(header, name);
            if (index < 0)
            {
                var near = header.FirstOrDefault(h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
                var fix = near is null
                    ? $"The header has: {string.Join(", ", header.Take(30))}. Fix spec.columns or the file"
                    : $"Column names are case-sensitive; the header has '{near}'";
                throw DatasetException.At(at with { Line = csv.Line, Column = name }, "the column is missing from the header", fix);
            }
            if (Array.IndexOf(header, name, index + 1) >= 0)
            {
                throw DatasetException.At(at with { Line = csv.Line, Column = name }, "the header names this column twice", "Rename one of the two columns in the file");
            }
        }
        for (var i = 0; i < sinks.Count; i++)
        {
            indices[i] = Array.IndexOf(header, sinks[i].Name);
        }
        return (indices, header.Length);
    }

    private static void Parse(ColumnSink sink, ReadOnlySpan<char> field, NullTokens nulls, DatasetLocation at, long row, long line)
    {
        var index = sink.Count;
        if (index == sink.Capacity)
        {
            sink.EnsureCapacity(index + 1);
        }
        var isNull = nulls.IsNull(field);
        if (sink.Role == ColumnRole.Entity)
        {
            if (isNull)
            {
                throw Bad(sink, field, at, row, line, "the entity is missing", "Every row of a panel needs an entity; remove the row or fill it in");
            }
            if (sink.Type is ColumnType.Int or ColumnType.Long && !ValueParsers.TryParseLong(field, out _))
            {
                throw Bad(sink, field, at, row, line, "not an integer", "Fix the value, or declare the entity column as String");
            }
            sink.Texts[index] = sink.Intern(field.Trim());
            sink.Count = index + 1;
            return;
        }
        switch (sink.Type)
        {
            case ColumnType.Double or ColumnType.Float:
                if (isNull)
                {
                    sink.Numbers[index] = double.NaN;
                }
                else if (!ValueParsers.TryParseDouble(field, out sink.Numbers[index]))
                {
                    throw Bad(sink, field, at, row, line, "not a number", "Fix the value, or list it in the dataset's CSV null values if it means missing");
                }
                break;
            case ColumnType.Int or ColumnType.Long:
                if (isNull)
                {
                    sink.Numbers[index] = double.NaN;
                }
                else if (!ValueParsers.TryParseLong(field, out var integer) || (sink.Type == ColumnType.Int && integer is < int.MinValue or > int.MaxValue))
                {
                    var kind = sink.Type == ColumnType.Int ? "a 32-bit integer" : "an integer";
                    throw Bad(sink, field, at, row, line, $"not {kind}", "Fix the value, or declare the column as Double if it holds decimals");
                }
                else
                {
                    sink.Numbers[index] = integer;
                }
                break;
            case ColumnType.Bool:
                if (isNull)
                {
                    sink.Numbers[index] = double.NaN;
                }
                else if (ValueParsers.TryParseBool(field, out var flag))
                {
                    sink.Numbers[index] = flag ? 1 : 0;
                }
                else
                {
                    throw Bad(sink, field, at, row, line, "not a boolean", "Write true/false or 1/0");
                }
                break;
            case ColumnType.Date or ColumnType.DateTime:
                if (isNull)
                {
                    if (sink.Role != ColumnRole.Value)
                    {
                        var what = sink.Role == ColumnRole.Time ? "time" : "known-at time";
                        throw Bad(sink, field, at, row, line, $"the {what} is missing", $"Every row needs a {what}; remove the row or fill it in");
                    }
                    sink.Dates[index] = default;
                }
                else if (!sink.Format.TryParse(field, out sink.Dates[index]))
                {
                    throw Bad(sink, field, at, row, line, $"not {sink.Format.Describe()}", sink.Format.Declared is null
                        ? $"Declare how the column is written (columns[].format, e.g. '%b %d %Y', 'dd/MM/yyyy' or epoch-s){(sink.Type == ColumnType.Date ? ", or declare it datetime if it has times of day" : "")}"
                        : "Fix the value, or the column's format in spec.columns");
                }
                break;
            default:
                if (isNull)
                {
                    sink.Texts[index] = null;
                }
                else
                {
                    sink.Texts[index] = sink.Pooled ? sink.Intern(field) : field.ToString();
                }
                break;
        }
        sink.Count = index + 1;
    }

    private static DatasetException Bad(ColumnSink sink, ReadOnlySpan<char> field, DatasetLocation at, long row, long line, string problem, string fix) =>
        DatasetException.At(at with { Row = row, Line = line, Column = sink.Name, Value = DatasetException.Truncate(field) }, problem, fix);

    private sealed class NullTokens
    {
        private readonly string[] _tokens;
        private readonly bool _empty;

        public NullTokens(IReadOnlyList<string> tokens)
        {
            _empty = tokens.Contains("");
            _tokens = tokens.Where(t => t.Length > 0).ToArray();
        }

        public bool IsNull(ReadOnlySpan<char> field)
        {
            if (field.IsEmpty)
            {
                return _empty;
            }
            foreach (var token in _tokens)
            {
                if (field.SequenceEqual(token))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
