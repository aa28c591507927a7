using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace OptAIC.Engine.ML.Inference;

/// <summary>
/// Reads the columns batch inference needs from one row group into buffers that are reused from one
/// row group to the next, so memory stays at one row group's worth however long the file is.
/// </summary>
internal sealed class ParquetColumns(string path)
{
    private readonly Dictionary<(string, Type), Array> _buffers = [];

    /// <summary>A reusable buffer of at least <paramref name="length"/> elements for the given purpose.</summary>
    public T[] Buffer<T>(string purpose, int length)
    {
        if (_buffers.TryGetValue((purpose, typeof(T)), out var existing) && existing.Length >= length)
        {
            return (T[])existing;
        }
        var created = new T[Math.Max(length, 16)];
        _buffers[(purpose, typeof(T))] = created;
        return created;
    }

    public static bool IsText(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    public static bool IsNumeric(DataField field) =>
        field.ClrType == typeof(float) || field.ClrType == typeof(double) || field.ClrType == typeof(int)
        || field.ClrType == typeof(long) || field.ClrType == typeof(short) || field.ClrType == typeof(byte)
        || field.ClrType == typeof(sbyte) || field.ClrType == typeof(decimal);

    /// <summary>Reads a timestamp column; a null time is an input error naming the row.</summary>
    public async ValueTask ReadTimesAsync(ParquetRowGroupReader group, DataField field, DateTime[] destination, int rows, long firstRow, CancellationToken ct)
    {
        if (!field.IsNullable)
        {
            await group.ReadAsync(field, destination.AsMemory(0, rows), null, ct);
            return;
        }
        var values = Buffer<DateTime?>("raw:" + field.Name, rows);
        await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
        for (var i = 0; i < rows; i++)
        {
            destination[i] = values[i] ?? throw new InferenceInputException(
                $"'{path}': row {firstRow + i} has no value in column '{field.Name}'; every row needs a time");
        }
    }

    public async ValueTask ReadTextAsync(ParquetRowGroupReader group, DataField field, string[] destination, int rows, long firstRow, CancellationToken ct)
    {
        var values = Buffer<string?>("raw:" + field.Name, rows);
        await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
        for (var i = 0; i < rows; i++)
        {
            destination[i] = values[i] ?? throw new InferenceInputException(
                $"'{path}': row {firstRow + i} has no value in entity column '{field.Name}'");
        }
    }

    /// <summary>Reads a numeric column as floats; null becomes NaN.</summary>
    public ValueTask ReadFeatureAsync(ParquetRowGroupReader group, DataField field, float[] destination, int rows, CancellationToken ct)
    {
        var t = field.ClrType;
        if (t == typeof(float) && !field.IsNullable)
        {
            return group.ReadAsync(field, destination.AsMemory(0, rows), null, ct);
        }
        return t == typeof(float) ? ReadAsync<float>(group, field, destination, rows, ct)
            : t == typeof(double) ? ReadAsync<double>(group, field, destination, rows, ct)
            : t == typeof(int) ? ReadAsync<int>(group, field, destination, rows, ct)
            : t == typeof(long) ? ReadAsync<long>(group, field, destination, rows, ct)
            : t == typeof(short) ? ReadAsync<short>(group, field, destination, rows, ct)
            : t == typeof(byte) ? ReadAsync<byte>(group, field, destination, rows, ct)
            : t == typeof(sbyte) ? ReadAsync<sbyte>(group, field, destination, rows, ct)
            : t == typeof(decimal) ? ReadAsync<decimal>(group, field, destination, rows, ct)
            : throw new InferenceInputException($"'{path}': feature column '{field.Name}' has type {t.Name}; features must be numeric");
    }

    /// <summary>
    /// Interleaves feature columns into the row-major matrix a scorer takes, a block of rows at a time so
    /// the rows being written stay in cache.
    /// </summary>
    public static void ToRowMajor(float[][] columns, int rows, float[] matrix)
    {
        const int Block = 512;
        var width = columns.Length;
        for (var r0 = 0; r0 < rows; r0 += Block)
        {
            var r1 = Math.Min(rows, r0 + Block);
            for (var c = 0; c < width; c++)
            {
                var column = columns[c];
                for (var r = r0; r < r1; r++)
                {
                    matrix[(r * width) + c] = column[r];
                }
            }
        }
    }

    private async ValueTask ReadAsync<T>(ParquetRowGroupReader group, DataField field, float[] destination, int rows, CancellationToken ct)
        where T : struct, INumberBase<T>
    {
        if (field.IsNullable)
        {
            var values = Buffer<T?>("raw:" + field.Name, rows);
            await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
            for (var i = 0; i < rows; i++)
            {
                destination[i] = values[i] is { } v ? float.CreateTruncating(v) : float.NaN;
            }
        }
        else
        {
            var values = Buffer<T>("raw:" + field.Name, rows);
            await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
            for (var i = 0; i < rows; i++)
            {
                destination[i] = float.CreateTruncating(values[i]);
            }
        }
    }
}
