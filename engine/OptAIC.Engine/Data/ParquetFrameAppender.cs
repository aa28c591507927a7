using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace OptAIC.Engine.Data;

/// <summary>
/// Streams frames into one Parquet file, chunk by chunk (e.g. inference outputs), with the layout of
/// <see cref="ParquetFrameWriter"/>. The columns are fixed by the first chunk. Nothing appears at
/// <see cref="Path"/> until <see cref="Commit"/>, which renames the finished temporary file over it;
/// disposing without committing deletes the temporary file.
/// </summary>
public sealed class ParquetFrameAppender : IDisposable
{
    private readonly IReadOnlyDictionary<string, string>? _metadata;
    private readonly ParquetWriteOptions _options;
    private readonly string _tempPath;
    private FileStream? _stream;
    private ParquetWriter? _writer;
    private ParquetSchema? _schema;
    private ColumnSpec[] _columns = [];
    private bool _hasEntity;
    private bool _committed;
    private bool _disposed;

    public ParquetFrameAppender(string path, IReadOnlyDictionary<string, string>? metadata = null, ParquetWriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _options = options ?? new ParquetWriteOptions();
        if (_options.RowGroupSize <= 0)
        {
            throw new ArgumentException($"RowGroupSize must be positive, not {_options.RowGroupSize}", nameof(options));
        }
        Path = System.IO.Path.GetFullPath(path);
        _metadata = metadata;
        _tempPath = $"{Path}.tmp-{Guid.NewGuid():N}";
    }

    /// <summary>The target file, written on <see cref="Commit"/>.</summary>
    public string Path { get; }

    public long RowCount { get; private set; }

    /// <summary>Appends the chunk as one or more row groups of at most <see cref="ParquetWriteOptions.RowGroupSize"/> rows.</summary>
    public void AppendRowGroup(Frame chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException($"'{Path}' is already committed; open a new appender to write more");
        }
        if (_writer is null)
        {
            Open(chunk);
        }
        else
        {
            CheckSameColumns(chunk);
        }
        var columns = _columns.Select(c => c.Name == null ? null : Bind(c, chunk)).ToArray();
        for (var start = 0; start < chunk.RowCount; start += _options.RowGroupSize)
        {
            var count = Math.Min(_options.RowGroupSize, chunk.RowCount - start);
            SyncOverAsync.Run(() => WriteGroupAsync(chunk, columns, start, count));
        }
        RowCount += chunk.RowCount;
    }

    /// <summary>Finishes the file and moves it to <see cref="Path"/>, replacing any file there.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            return;
        }
        if (_writer is null)
        {
            throw new InvalidOperationException($"nothing was appended to '{Path}': append at least one chunk (an empty frame is fine) so the file has columns");
        }
        var writer = _writer;
        SyncOverAsync.Run(() => writer.DisposeAsync().AsTask());
        _writer = null;
        _stream!.Flush(flushToDisk: true);
        _stream.Dispose();
        _stream = null;
        File.Move(_tempPath, Path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_committed)
        {
            return;
        }
        try
        {
            if (_writer is { } writer)
            {
                SyncOverAsync.Run(() => writer.DisposeAsync().AsTask());
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            // An abandoned file: whatever state the writer was in, the temporary file is deleted below.
        }
        _stream?.Dispose();
        if (File.Exists(_tempPath))
        {
            File.Delete(_tempPath);
        }
    }

    private void Open(Frame chunk)
    {
        _hasEntity = chunk.Entity is not null;
        var specs = new List<ColumnSpec>
        {
            new(null, new DateTimeDataField(ParquetFrameWriter.TimeColumn, DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: false), ColumnType.DateTime, false),
            new(null, new DateTimeDataField(ParquetFrameWriter.KnownAtColumn, DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: false), ColumnType.DateTime, false),
        };
        if (_hasEntity)
        {
            specs.Add(new ColumnSpec(null, new DataField<string>(ParquetFrameWriter.EntityColumn, nullable: false), ColumnType.String, false));
        }
        foreach (var name in chunk.ColumnNames)
        {
            if (name is ParquetFrameWriter.TimeColumn or ParquetFrameWriter.KnownAtColumn or ParquetFrameWriter.EntityColumn)
            {
                throw new ArgumentException($"column '{name}' has the name of a column the writer adds; rename it", nameof(chunk));
            }
            var numeric = chunk.IsNumeric(name);
            var type = _options.ColumnTypes is not null && _options.ColumnTypes.TryGetValue(name, out var t) ? t : numeric ? ColumnType.Double : ColumnType.String;
            if (numeric != type.IsNumeric())
            {
                throw new ArgumentException(
                    $"column '{name}' is {(numeric ? "numeric" : "text")} and cannot be written as {type}; numeric columns are Double, Float, Int, Long or Bool and text columns String, Category, Date or DateTime",
                    nameof(chunk));
            }
            specs.Add(new ColumnSpec(name, FieldFor(name, type), type, numeric));
        }
        _columns = [.. specs];
        _schema = new ParquetSchema(specs.Select(s => (Field)s.Field));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _stream = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        var schema = _schema;
        var stream = _stream;
        _writer = SyncOverAsync.Run(() => ParquetWriter.CreateAsync(schema, stream, options));
        if (_metadata is not null)
        {
            _writer.CustomMetadata = new Dictionary<string, string>(_metadata, StringComparer.Ordinal);
        }
    }

    private static DataField FieldFor(string name, ColumnType type) => type switch
    {
        ColumnType.Double => new DataField<double?>(name),
        ColumnType.Float => new DataField<float?>(name),
        ColumnType.Int => new DataField<int?>(name),
        ColumnType.Long => new DataField<long?>(name),
        ColumnType.Bool => new DataField<bool?>(name),
        ColumnType.Date => new DateTimeDataField(name, DateTimeFormat.Date, isAdjustedToUTC: true, unit: null, isNullable: true),
        ColumnType.DateTime => new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: true),
        _ => new DataField<string>(name, nullable: true),
    };

    private void CheckSameColumns(Frame chunk)
    {
        var expected = _columns.Where(c => c.Name is not null).Select(c => (c.Name, c.Numeric)).ToArray();
        var actual = chunk.ColumnNames.Select(n => ((string?)n, chunk.IsNumeric(n))).ToArray();
        if ((chunk.Entity is not null) != _hasEntity || !expected.SequenceEqual(actual))
        {
            static string Show(IEnumerable<(string? Name, bool Numeric)> cs) => string.Join(", ", cs.Select(c => $"{c.Name}:{(c.Numeric ? "numeric" : "text")}"));
            throw new ArgumentException(
                $"the chunk's columns ({Show(actual)}{(chunk.Entity is null ? "" : ", with entity")}) differ from the first chunk's ({Show(expected)}{(_hasEntity ? ", with entity" : "")})",
                nameof(chunk));
        }
    }

    private static Array Bind(ColumnSpec spec, Frame chunk) =>
        spec.Numeric ? chunk.Numeric(spec.Name!) : chunk.Text(spec.Name!);

    private async Task WriteGroupAsync(Frame chunk, Array?[] bound, int start, int count)
    {
        using var group = _writer!.CreateRowGroup();
        await group.WriteAsync(_columns[0].Field, Utc(chunk.Time, start, count)).ConfigureAwait(false);
        await group.WriteAsync(_columns[1].Field, Utc(chunk.KnownAt, start, count)).ConfigureAwait(false);
        var first = 2;
        if (_hasEntity)
        {
            await group.WriteAsync(_columns[2].Field, new ArraySegment<string>(chunk.Entity!, start, count)).ConfigureAwait(false);
            first = 3;
        }
        for (var c = first; c < _columns.Length; c++)
        {
            var spec = _columns[c];
            var field = spec.Field;
            var values = bound[c]!;
            switch (spec.Type)
            {
                case ColumnType.Double:
                    await group.WriteAsync(field, Convert((double[])values, start, count, v => double.IsNaN(v) ? null : (double?)v)).ConfigureAwait(false);
                    break;
                case ColumnType.Float:
                    await group.WriteAsync(field, Convert((double[])values, start, count, v => double.IsNaN(v) ? null : (float?)v)).ConfigureAwait(false);
                    break;
                case ColumnType.Int:
                    await group.WriteAsync(field, Convert((double[])values, start, count, (v, i) => Integer(spec, v, i, int.MinValue, int.MaxValue) is { } x ? (int?)x : null)).ConfigureAwait(false);
                    break;
                case ColumnType.Long:
                    await group.WriteAsync(field, Convert((double[])values, start, count, (v, i) => Integer(spec, v, i, long.MinValue, long.MaxValue))).ConfigureAwait(false);
                    break;
                case ColumnType.Bool:
                    await group.WriteAsync(field, Convert((double[])values, start, count, (v, i) => Flag(spec, v, i))).ConfigureAwait(false);
                    break;
                case ColumnType.Date or ColumnType.DateTime:
                    await group.WriteAsync(field, Convert((string?[])values, start, count, (v, i) => Date(spec, v, i))).ConfigureAwait(false);
                    break;
                default:
                    await group.WriteAsync(field, new ArraySegment<string>(((string?[])values)!, start, count)).ConfigureAwait(false);
                    break;
            }
        }
        group.CompleteValidate();
    }

    private static ReadOnlyMemory<DateTime> Utc(DateTime[] times, int start, int count)
    {
        var slice = times.AsMemory(start, count);
        if (AllUtc(slice.Span))
        {
            return slice;
        }
        // Times without a kind are taken as UTC (the engine's convention); local times are converted.
        var copy = new DateTime[count];
        for (var i = 0; i < count; i++)
        {
            var t = times[start + i];
            copy[i] = t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc);
        }
        return copy;
    }

    private static bool AllUtc(ReadOnlySpan<DateTime> times)
    {
        foreach (var t in times)
        {
            if (t.Kind != DateTimeKind.Utc)
            {
                return false;
            }
        }
        return true;
    }

    private static ReadOnlyMemory<TOut?> Convert<TIn, TOut>(TIn[] values, int start, int count, Func<TIn, TOut?> convert)
        where TOut : struct
    {
        var result = new TOut?[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = convert(values[start + i]);
        }
        return result;
    }

    private static ReadOnlyMemory<TOut?> Convert<TIn, TOut>(TIn[] values, int start, int count, Func<TIn, int, TOut?> convert)
        where TOut : struct
    {
        var result = new TOut?[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = convert(values[start + i], start + i);
        }
        return result;
    }

    private static long? Integer(ColumnSpec spec, double value, int row, long min, long max)
    {
        if (double.IsNaN(value))
        {
            return null;
        }
        if (value != Math.Floor(value) || value < min || value > max)
        {
            throw new ArgumentException($"column '{spec.Name}' row {row + 1}: {value.ToString(CultureInfo.InvariantCulture)} is not a whole number that fits {spec.Type}; write the column as Double");
        }
        return (long)value;
    }

    private static bool? Flag(ColumnSpec spec, double value, int row) => value switch
    {
        0 => false,
        1 => true,
        _ when double.IsNaN(value) => null,
        _ => throw new ArgumentException($"column '{spec.Name}' row {row + 1}: {value.ToString(CultureInfo.InvariantCulture)} is not 0 or 1; write the column as Double"),
    };

    private static DateTime? Date(ColumnSpec spec, string? value, int row)
    {
        if (value is null)
        {
            return null;
        }
        if (!ValueParsers.TryParseIsoUtc(value, dateOnly: false, out var parsed))
        {
            throw new ArgumentException($"column '{spec.Name}' row {row + 1}: \"{DatasetException.Truncate(value)}\" is not an ISO 8601 date; write the column as String");
        }
        return parsed;
    }

    private sealed record ColumnSpec(string? Name, DataField Field, ColumnType Type, bool Numeric);
}
