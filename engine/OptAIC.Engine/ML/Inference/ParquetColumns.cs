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
        var values = Buffer<DateTime?>(field.Name, rows);
        await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
        for (var i = 0; i < rows; i++)
        {
            destination[i] = values[i] ?? throw new InferenceInputException(
                $"'{path}': row {firstRow + i} has no value in column '{field.Name}'; every row needs a time");
        }
    }

    public async ValueTask ReadTextAsync(ParquetRowGroupReader group, DataField field, string[] destination, int rows, long firstRow, CancellationToken ct)
    {
        var values = Buffer<string?>(field.Name, rows);
        await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
        for (var i = 0; i < rows; i++)
        {
            destination[i] = values[i] ?? throw new InferenceInputException(
                $"'{path}': row {firstRow + i} has no value in entity column '{field.Name}'");
        }
    }

    /// <summary>Reads a numeric column into column <paramref name="column"/> of a row-major float matrix; null becomes NaN.</summary>
    public ValueTask ReadFeatureAsync(ParquetRowGroupReader group, DataField field, float[] matrix, int rows, int width, int column, CancellationToken ct)
    {
        var t = field.ClrType;
        return t == typeof(float) ? ReadAsync<float>(group, field, matrix, rows, width, column, ct)
            : t == typeof(double) ? ReadAsync<double>(group, field, matrix, rows, width, column, ct)
            : t == typeof(int) ? ReadAsync<int>(group, field, matrix, rows, width, column, ct)
            : t == typeof(long) ? ReadAsync<long>(group, field, matrix, rows, width, column, ct)
            : t == typeof(short) ? ReadAsync<short>(group, field, matrix, rows, width, column, ct)
            : t == typeof(byte) ? ReadAsync<byte>(group, field, matrix, rows, width, column, ct)
            : t == typeof(sbyte) ? ReadAsync<sbyte>(group, field, matrix, rows, width, column, ct)
            : t == typeof(decimal) ? ReadAsync<decimal>(group, field, matrix, rows, width, column, ct)
            : throw new InferenceInputException($"'{path}': feature column '{field.Name}' has type {t.Name}; features must be numeric");
    }

    private async ValueTask ReadAsync<T>(ParquetRowGroupReader group, DataField field, float[] matrix, int rows, int width, int column, CancellationToken ct)
        where T : struct, INumberBase<T>
    {
        if (field.IsNullable)
        {
            var values = Buffer<T?>(field.Name, rows);
            await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
            for (var i = 0; i < rows; i++)
            {
                matrix[(i * width) + column] = values[i] is { } v ? float.CreateTruncating(v) : float.NaN;
            }
        }
        else
        {
            var values = Buffer<T>(field.Name, rows);
            await group.ReadAsync(field, values.AsMemory(0, rows), null, ct);
            for (var i = 0; i < rows; i++)
            {
                matrix[(i * width) + column] = float.CreateTruncating(values[i]);
            }
        }
    }
}
