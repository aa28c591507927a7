using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace OptAIC.Engine.Data;

/// <summary>
/// Reads the requested columns of Parquet files, row group by row group, straight into column sinks.
/// Files from other writers (Arrow C++, Spark, pandas) are fine: compression and dictionary encoding
/// are handled by Parquet.Net; this class maps physical and logical types to the declared ones.
/// </summary>
internal static class ParquetDatasetReader
{
    private static readonly ParquetOptions Options = new() { TreatByteArrayAsString = true };

    /// <summary>How a file's column is stored, as far as loading it cares.</summary>
    private enum Storage
    {
        Double,
        Float,
        SByte,
        Byte,
        Short,
        UShort,
        Int,
        UInt,
        Long,
        ULong,
        Decimal,
        Bool,
        DateLogical,
        Timestamp,
        String,
        Other,
    }

    private readonly record struct Plan(ColumnSink Sink, DataField Field, Storage Storage);

    /// <summary>Opens the file, checks its schema against the declared columns and returns its row count.</summary>
    public static async Task<long> InspectAsync(DatasetDescriptor dataset, DatasetFile file, IReadOnlyList<ColumnSink> sinks, CancellationToken cancellationToken)
    {
        var at = new DatasetLocation(dataset.Name, file.RelativePath);
        try
        {
            if (ParquetFooter.Problem(file.FullPath) is { } problem)
            {
                throw DatasetException.At(at, $"the Parquet file cannot be read: {problem}", "Write the file again (it is damaged, cut short, or not Parquet)");
            }
            var reader = await ParquetReader.CreateAsync(file.FullPath, Options, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                foreach (var column in dataset.Columns)
                {
                    var sink = sinks.FirstOrDefault(s => s.Name == column.Name);
                    Resolve(reader.Schema, sink ?? new ColumnSink(column.Name, column.Type, ColumnRole.Value), at);
                }
                foreach (var sink in sinks)
                {
                    Resolve(reader.Schema, sink, at);
                }
                return reader.Metadata?.NumRows ?? reader.RowGroups.Sum(g => g.RowCount);
            }
        }
        catch (Exception e) when (e is not DatasetException and not OperationCanceledException)
        {
            throw Unreadable(at, e);
        }
    }

    /// <summary>Reads the file's rows into the sinks from their current <see cref="ColumnSink.Count"/> on.</summary>
    public static async Task ReadFileAsync(DatasetDescriptor dataset, DatasetFile file, IReadOnlyList<ColumnSink> sinks, CancellationToken cancellationToken)
    {
        var at = new DatasetLocation(dataset.Name, file.RelativePath);
        try
        {
            var reader = await ParquetReader.CreateAsync(file.FullPath, Options, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var plans = sinks.Select(s => Resolve(reader.Schema, s, at)).ToArray();
                long rowsBefore = 0;
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var group = reader.OpenRowGroupReader(g);
                    var rows = checked((int)group.RowCount);
                    foreach (var plan in plans)
                    {
                        var offset = plan.Sink.Count;
                        plan.Sink.EnsureCapacity(offset + rows);
                        await ReadColumnAsync(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                        plan.Sink.Count = offset + rows;
                    }
                    rowsBefore += rows;
                }
            }
        }
        catch (Exception e) when (e is not DatasetException and not OperationCanceledException)
        {
            throw Unreadable(at, e);
        }
    }

    private static DatasetException Unreadable(DatasetLocation at, Exception e) =>
        DatasetException.At(at, $"the Parquet file cannot be read: {e.Message}", "Check that the file is a complete Parquet file (write it again if it was cut short)", e);

    private static Plan Resolve(ParquetSchema schema, ColumnSink sink, DatasetLocation at)
    {
        var field = schema.Fields.FirstOrDefault(f => f.Name == sink.Name);
        at = at with { Column = sink.Name };
        if (field is null)
        {
            var near = schema.Fields.FirstOrDefault(f => string.Equals(f.Name, sink.Name, StringComparison.OrdinalIgnoreCase));
            var fix = near is null
                ? $"The file has: {string.Join(", ", schema.Fields.Take(30).Select(f => f.Name))}. Fix spec.columns or the file"
                : $"Column names are case-sensitive; the file has '{near.Name}'";
            throw DatasetException.At(at, "the column is missing from the file", fix);
        }
        if (field is not DataField data || data.IsArray || data.MaxRepetitionLevel > 0)
        {
            throw DatasetException.At(at, "the column is nested (a list, map or struct)", "Flatten the column when writing the file; only flat columns can be read");
        }
        var storage = StorageOf(data);
        if (!Accepts(sink, data, storage))
        {
            throw DatasetException.At(
                at,
                $"the file stores {Describe(data, storage)} but the column is declared {sink.Type}{(sink.Role == ColumnRole.Value ? "" : $" (the {sink.Role.ToString().ToLowerInvariant()} column)")}",
                Suggest(sink, storage));
        }
        return new Plan(sink, data, storage);
    }

    private static Storage StorageOf(DataField field)
    {
        var t = field.ClrType;
        if (t == typeof(DateTime))
        {
            var element = field.SchemaElement;
            var isDate = element?.LogicalType?.DATE is not null || element?.ConvertedType == Parquet.Meta.ConvertedType.DATE;
            return isDate ? Storage.DateLogical : Storage.Timestamp;
        }
        return t switch
        {
            _ when t == typeof(double) => Storage.Double,
            _ when t == typeof(float) => Storage.Float,
            _ when t == typeof(sbyte) => Storage.SByte,
            _ when t == typeof(byte) => Storage.Byte,
            _ when t == typeof(short) => Storage.Short,
            _ when t == typeof(ushort) => Storage.UShort,
            _ when t == typeof(int) => Storage.Int,
            _ when t == typeof(uint) => Storage.UInt,
            _ when t == typeof(long) => Storage.Long,
            _ when t == typeof(ulong) => Storage.ULong,
            _ when t == typeof(decimal) => Storage.Decimal,
            _ when t == typeof(bool) => Storage.Bool,
            _ when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => Storage.String,
            _ => Storage.Other,
        };
    }

    private static bool IsInteger(Storage s) => s is Storage.SByte or Storage.Byte or Storage.Short or Storage.UShort or Storage.Int or Storage.UInt or Storage.Long or Storage.ULong;

    private static bool IsSmallInteger(Storage s) => s is Storage.SByte or Storage.Byte or Storage.Short or Storage.UShort or Storage.Int;

    private static bool Accepts(ColumnSink sink, DataField field, Storage s)
    {
        if (sink.Role == ColumnRole.Entity && !sink.Type.IsText() && sink.Type is not (ColumnType.Int or ColumnType.Long))
        {
            return false;
        }
        return sink.Type switch
        {
            ColumnType.Double or ColumnType.Float => s is Storage.Double or Storage.Float or Storage.Decimal || IsInteger(s),
            ColumnType.Int => IsSmallInteger(s),
            ColumnType.Long => IsInteger(s),
            ColumnType.Bool => s == Storage.Bool,
            ColumnType.String or ColumnType.Category => s == Storage.String || (sink.Role == ColumnRole.Entity && IsInteger(s)),
            ColumnType.Date => s is Storage.DateLogical or Storage.String or Storage.Int or Storage.Long,
            ColumnType.DateTime => s is Storage.DateLogical or Storage.Timestamp or Storage.String or Storage.Int || (s == Storage.Long && sink.Format.IsEpoch),
            _ => false,
        };
    }

    private static string Describe(DataField field, Storage s)
    {
        var physical = field.SchemaElement?.Type?.ToString() ?? field.ClrType.Name;
        return s switch
        {
            Storage.DateLogical => $"{physical} (DATE)",
            Storage.Timestamp => $"{physical} (TIMESTAMP)",
            Storage.String => $"{physical} (STRING)",
            Storage.Decimal => $"{physical} (DECIMAL)",
            Storage.Other => $"{physical} ({field.ClrType.Name})",
            _ => $"{physical} ({s.ToString().ToLowerInvariant()})",
        };
    }

    private static string Suggest(ColumnSink sink, Storage s) => s switch
    {
        Storage.Timestamp when sink.Type == ColumnType.Date => "Declare the column as DateTime (the file stores times of day)",
        Storage.Long when sink.Type == ColumnType.Int => "Declare the column as Long",
        Storage.Long when sink.Type == ColumnType.DateTime => "Store the time as a Parquet TIMESTAMP, or as an int32 DATE / yyyyMMdd and declare it Date",
        Storage.Double or Storage.Float or Storage.Decimal => "Declare the column as Double",
        Storage.String => "Declare the column as String or Category, or store numbers in a numeric Parquet type",
        Storage.Bool => "Declare the column as Bool",
        Storage.DateLogical or Storage.Timestamp => "Declare the column as Date or DateTime",
        _ when IsInteger(s) => "Declare the column as Long (or Double)",
        _ => "Change the declared type to match the file, or convert the column when writing the file",
    };

    private static async ValueTask ReadColumnAsync(
        ParquetRowGroupReader group,
        Plan plan,
        int offset,
        int rows,
        DatasetLocation at,
        long rowsBefore,
        CancellationToken cancellationToken)
    {
        var sink = plan.Sink;
        var field = plan.Field;
        switch (plan.Storage)
        {
            case Storage.Double when sink.HoldsNumbers:
                await ReadDoublesAsync(group, field, sink.Numbers, offset, rows, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Float:
                await ReadNumbersAsync<float>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.SByte:
                await ReadNumbersAsync<sbyte>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Byte:
                await ReadNumbersAsync<byte>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Short:
                await ReadNumbersAsync<short>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.UShort:
                await ReadNumbersAsync<ushort>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Int:
                await ReadNumbersAsync<int>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.UInt:
                await ReadNumbersAsync<uint>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Long:
                await ReadNumbersAsync<long>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.ULong:
                await ReadNumbersAsync<ulong>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Decimal:
                await ReadNumbersAsync<decimal>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.Bool:
                await ReadNumbersAsync<bool>(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.DateLogical or Storage.Timestamp:
                await ReadDatesAsync(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            case Storage.String:
                await ReadStringsAsync(group, plan, offset, rows, at, rowsBefore, cancellationToken).ConfigureAwait(false);
                return;
            default:
                throw new InvalidOperationException($"no reader for {plan.Storage} into {sink.Type}");
        }
    }

    /// <summary>Doubles go straight into the output array; nulls are spread out in place, back to front.</summary>
    private static async ValueTask ReadDoublesAsync(ParquetRowGroupReader group, DataField field, double[] target, int offset, int rows, CancellationToken cancellationToken)
    {
        var memory = target.AsMemory(offset, rows);
        if (field.MaxDefinitionLevel == 0)
        {
            await group.ReadAsync(field, memory, null, cancellationToken).ConfigureAwait(false);
            return;
        }
        var defs = ArrayPool<int>.Shared.Rent(rows);
        try
        {
            await group.ReadRawAsync(field, memory, defs.AsMemory(0, rows), null, cancellationToken).ConfigureAwait(false);
            var max = field.MaxDefinitionLevel;
            var present = 0;
            for (var i = 0; i < rows; i++)
            {
                present += defs[i] == max ? 1 : 0;
            }
            if (present == rows)
            {
                return;
            }
            var k = offset + present - 1;
            for (var i = rows - 1; i >= 0; i--)
            {
                target[offset + i] = defs[i] == max ? target[k--] : double.NaN;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(defs);
        }
    }

    /// <summary>Values as stored, with definition levels for nullable columns (null: <paramref name="defs"/> stays null).</summary>
    private static async ValueTask<(T[] Values, int[]? Defs)> ReadRawAsync<T>(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellationToken)
        where T : struct
    {
        var values = ArrayPool<T>.Shared.Rent(Math.Max(rows, 1));
        if (field.MaxDefinitionLevel == 0)
        {
            await group.ReadAsync(field, values.AsMemory(0, rows), null, cancellationToken).ConfigureAwait(false);
            return (values, null);
        }
        var defs = ArrayPool<int>.Shared.Rent(Math.Max(rows, 1));
        await group.ReadRawAsync(field, values.AsMemory(0, rows), defs.AsMemory(0, rows), null, cancellationToken).ConfigureAwait(false);
        return (values, defs);
    }

    private static void Return<T>(T[] values, int[]? defs)
    {
        ArrayPool<T>.Shared.Return(values);
        if (defs is not null)
        {
            ArrayPool<int>.Shared.Return(defs);
        }
    }

    private static async ValueTask ReadNumbersAsync<T>(
        ParquetRowGroupReader group,
        Plan plan,
        int offset,
        int rows,
        DatasetLocation at,
        long rowsBefore,
        CancellationToken cancellationToken)
        where T : struct
    {
        var (values, defs) = await ReadRawAsync<T>(group, plan.Field, rows, cancellationToken).ConfigureAwait(false);
        try
        {
            Store(plan, values, defs, offset, rows, at, rowsBefore);
        }
        finally
        {
            Return(values, defs);
        }
    }

    private static void Store<T>(Plan plan, T[] values, int[]? defs, int offset, int rows, DatasetLocation at, long rowsBefore)
        where T : struct
    {
        var sink = plan.Sink;
        var max = plan.Field.MaxDefinitionLevel;
        if (sink.HoldsNumbers)
        {
            var numbers = sink.Numbers;
            var n = 0;
            for (var i = 0; i < rows; i++)
            {
                numbers[offset + i] = defs is null || defs[i] == max ? ToDouble(values[n++]) : double.NaN;
            }
            return;
        }
        Span<char> text = stackalloc char[24];
        var k = 0;
        for (var i = 0; i < rows; i++)
        {
            var present = defs is null || defs[i] == max;
            // An integer time or date column (yyyyMMdd or days since 1970), or an integer entity.
            if (!present)
            {
                Missing(sink, at, rowsBefore + i + 1);
                if (sink.HoldsDates)
                {
                    sink.Dates[offset + i] = default;
                }
                else
                {
                    sink.Texts[offset + i] = null;
                }
                continue;
            }
            var integer = ToLong(values[k++]);
            if (sink.HoldsDates)
            {
                if (sink.Format.IsEpoch ? !sink.Format.TryFromInteger(integer, out sink.Dates[offset + i]) : !ValueParsers.TryDateFromInteger(integer, out sink.Dates[offset + i]))
                {
                    throw DatasetException.At(
                        at with { Row = rowsBefore + i + 1, Column = sink.Name, Value = integer.ToString(CultureInfo.InvariantCulture) },
                        "the integer is not a date (neither yyyyMMdd nor days since 1970-01-01)",
                        "Store dates as a Parquet DATE or TIMESTAMP, or as valid yyyyMMdd integers");
                }
            }
            else
            {
                integer.TryFormat(text, out var written, provider: CultureInfo.InvariantCulture);
                sink.Texts[offset + i] = sink.Intern(text[..written]);
            }
        }
    }

    private static async ValueTask ReadDatesAsync(
        ParquetRowGroupReader group,
        Plan plan,
        int offset,
        int rows,
        DatasetLocation at,
        long rowsBefore,
        CancellationToken cancellationToken)
    {
        var sink = plan.Sink;
        var target = sink.Dates;
        var max = plan.Field.MaxDefinitionLevel;
        if (max == 0)
        {
            await group.ReadAsync(plan.Field, target.AsMemory(offset, rows), null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var defs = ArrayPool<int>.Shared.Rent(rows);
            try
            {
                await group.ReadRawAsync(plan.Field, target.AsMemory(offset, rows), defs.AsMemory(0, rows), null, cancellationToken).ConfigureAwait(false);
                var present = 0;
                for (var i = 0; i < rows; i++)
                {
                    present += defs[i] == max ? 1 : 0;
                }
                var k = offset + present - 1;
                for (var i = rows - 1; i >= 0; i--)
                {
                    if (defs[i] == max)
                    {
                        target[offset + i] = target[k--];
                    }
                    else
                    {
                        Missing(sink, at, rowsBefore + i + 1);
                        target[offset + i] = default;
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(defs);
            }
        }
        // Timestamps not adjusted to UTC come back as Local wall-clock times: the wall clock is kept, as UTC.
        for (var i = offset; i < offset + rows; i++)
        {
            target[i] = DateTime.SpecifyKind(target[i], DateTimeKind.Utc);
        }
    }

    private static async ValueTask ReadStringsAsync(
        ParquetRowGroupReader group,
        Plan plan,
        int offset,
        int rows,
        DatasetLocation at,
        long rowsBefore,
        CancellationToken cancellationToken)
    {
        var sink = plan.Sink;
        if (sink.Type == ColumnType.String && sink.Role == ColumnRole.Value)
        {
            await group.ReadAsync(plan.Field, sink.Texts.AsMemory(offset, rows), null, cancellationToken).ConfigureAwait(false);
            return;
        }
        var values = ArrayPool<string?>.Shared.Rent(Math.Max(rows, 1));
        try
        {
            await group.ReadAsync(plan.Field, values.AsMemory(0, rows), null, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < rows; i++)
            {
                var value = values[i];
                if (value is null)
                {
                    Missing(sink, at, rowsBefore + i + 1);
                }
                if (!sink.HoldsDates)
                {
                    sink.Texts[offset + i] = sink.Intern(value);
                }
                else if (value is null)
                {
                    sink.Dates[offset + i] = default;
                }
                else if (!sink.Format.TryParse(value, out sink.Dates[offset + i]))
                {
                    throw DatasetException.At(
                        at with { Row = rowsBefore + i + 1, Column = sink.Name, Value = DatasetException.Truncate(value) },
                        $"not {sink.Format.Describe()}",
                        sink.Format.Declared is null
                            ? "Store the column as a Parquet DATE or TIMESTAMP, or declare how its text is written (columns[].format, e.g. '%b %d %Y')"
                            : "Fix the value, or the column's format in spec.columns");
                }
            }
        }
        finally
        {
            Array.Clear(values, 0, rows);
            ArrayPool<string?>.Shared.Return(values);
        }
    }

    /// <summary>Time and entity must be present on every row; other columns may be missing.</summary>
    private static void Missing(ColumnSink sink, DatasetLocation at, long row)
    {
        if (sink.Role == ColumnRole.Value)
        {
            return;
        }
        var what = sink.Role switch
        {
            ColumnRole.Time => "time",
            ColumnRole.KnownAt => "known-at time",
            _ => "entity",
        };
        throw DatasetException.At(
            at with { Row = row, Column = sink.Name },
            $"the {what} is missing (null)",
            $"Every row needs a {what}; drop the row or fill it in when writing the file");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ToDouble<T>(T value)
        where T : struct
    {
        // Each branch folds away when the JIT specialises T for a value type.
        if (typeof(T) == typeof(float))
        {
            return Unsafe.As<T, float>(ref value);
        }
        if (typeof(T) == typeof(decimal))
        {
            return (double)Unsafe.As<T, decimal>(ref value);
        }
        if (typeof(T) == typeof(bool))
        {
            return Unsafe.As<T, bool>(ref value) ? 1 : 0;
        }
        if (typeof(T) == typeof(ulong))
        {
            return Unsafe.As<T, ulong>(ref value);
        }
        return ToLong(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ToLong<T>(T value)
        where T : struct
    {
        if (typeof(T) == typeof(sbyte))
        {
            return Unsafe.As<T, sbyte>(ref value);
        }
        if (typeof(T) == typeof(byte))
        {
            return Unsafe.As<T, byte>(ref value);
        }
        if (typeof(T) == typeof(short))
        {
            return Unsafe.As<T, short>(ref value);
        }
        if (typeof(T) == typeof(ushort))
        {
            return Unsafe.As<T, ushort>(ref value);
        }
        if (typeof(T) == typeof(int))
        {
            return Unsafe.As<T, int>(ref value);
        }
        if (typeof(T) == typeof(uint))
        {
            return Unsafe.As<T, uint>(ref value);
        }
        if (typeof(T) == typeof(long))
        {
            return Unsafe.As<T, long>(ref value);
        }
        if (typeof(T) == typeof(ulong))
        {
            return unchecked((long)Unsafe.As<T, ulong>(ref value));
        }
        throw new NotSupportedException(typeof(T).Name);
    }
}
