using OptAIC.Engine.Data;
using Parquet;
using Parquet.Schema;

namespace OptAIC.Engine.ML.Inference;

/// <summary>
/// Where a batch inference run reads its rows: chunk by chunk (a Parquet row group, or a slice of a frame),
/// never whole. Two sets of buffers alternate, so chunk g+1 is read while chunk g is scored.
/// </summary>
internal interface IScoringInput : IAsyncDisposable
{
    /// <summary>What the rows are, for messages: the file's path, or "the scoring window".</summary>
    string Description { get; }

    bool IsPanel { get; }

    int ChunkCount { get; }

    int RowsIn(int chunk);

    /// <summary>Reads chunk <paramref name="chunk"/> (its first row is row <paramref name="first"/> of the input) into <paramref name="buffers"/>.</summary>
    Task<InputChunk> ReadAsync(int chunk, long first, InputBuffers buffers, CancellationToken ct);
}

/// <summary>A chunk as read: its columns, the features row-major with complete rows first (<c>Kept</c> maps them back).</summary>
internal sealed record InputChunk(int Rows, long First, DateTime[] Time, string[]? Entity, DateTime[] KnownAt, float[] Matrix, int[] Kept, int Complete)
{
    /// <summary>Keeps the rows whose features are all present, compacting <paramref name="matrix"/> in place.</summary>
    public static InputChunk FromMatrix(int rows, long first, DateTime[] time, string[]? entity, DateTime[] knownAt, float[] matrix, int features, InputBuffers buffers)
    {
        var kept = buffers.Columns.Buffer<int>("kept", rows);
        var k = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.AsSpan(r * features, features);
            if (!HasNaN(row))
            {
                if (k != r)
                {
                    row.CopyTo(matrix.AsSpan(k * features, features));
                }
                kept[k++] = r;
            }
        }
        return new InputChunk(rows, first, time, entity, knownAt, matrix, kept, k);
    }

    private static bool HasNaN(ReadOnlySpan<float> row)
    {
        foreach (var v in row)
        {
            if (float.IsNaN(v))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>One of the two sets of read buffers, used by alternate chunks.</summary>
internal sealed class InputBuffers(string description, int features)
{
    public ParquetColumns Columns { get; } = new(description);

    public float[][] Features { get; } = new float[features][];
}

/// <summary>A Parquet file, one row group per chunk.</summary>
internal sealed class ParquetScoringInput : IScoringInput
{
    private readonly ParquetReader _reader;
    private readonly DataField _time;
    private readonly DataField? _entity;
    private readonly DataField? _knownAt;
    private readonly DataField[] _features;
    private readonly TimeSpan _lag;

    private ParquetScoringInput(string path, ParquetReader reader, IReadOnlyList<string> features, BatchInferenceOptions options)
    {
        Description = $"'{path}'";
        _reader = reader;
        _lag = options.KnowledgeLag;
        var schema = reader.Schema;
        DataField Find(string name, string role) =>
            schema.DataFields.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
            ?? throw new InferenceInputException(
                $"'{path}' has no {role} column '{name}' (columns: {string.Join(", ", schema.DataFields.Select(d => d.Name))})");

        void CheckTime(DataField field)
        {
            if (field.ClrType != typeof(DateTime))
            {
                throw new InferenceInputException($"'{path}': column '{field.Name}' has type {field.ClrType.Name}; expected a timestamp");
            }
        }

        _time = Find(options.TimeColumn, "time");
        CheckTime(_time);
        if (options.EntityColumn is { } entity)
        {
            _entity = Find(entity, "entity");
            if (!ParquetColumns.IsText(_entity))
            {
                throw new InferenceInputException($"'{path}': entity column '{entity}' has type {_entity.ClrType.Name}; expected text");
            }
        }
        if (options.KnownAtColumn is { } knownAt)
        {
            _knownAt = Find(knownAt, "known-at");
            CheckTime(_knownAt);
        }
        _features = [.. features.Select(n => Find(n, "feature"))];
        foreach (var feature in _features)
        {
            if (!ParquetColumns.IsNumeric(feature))
            {
                throw new InferenceInputException(
                    $"'{path}': feature column '{feature.Name}' has type {feature.ClrType.Name}; features must be numeric");
            }
        }
    }

    public string Description { get; }

    public bool IsPanel => _entity is not null;

    public int ChunkCount => _reader.RowGroupCount;

    public static async Task<ParquetScoringInput> OpenAsync(string path, IReadOnlyList<string> features, BatchInferenceOptions options, CancellationToken ct)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(path, null, ct);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new InferenceInputException($"'{path}' is not a readable Parquet file: {ex.Message}", ex);
        }
        try
        {
            return new ParquetScoringInput(path, reader, features, options);
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    public int RowsIn(int chunk) => checked((int)_reader.Metadata!.RowGroups[chunk].NumRows);

    public async Task<InputChunk> ReadAsync(int chunk, long first, InputBuffers buffers, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var columns = buffers.Columns;
        var f = _features.Length;
        using var group = _reader.OpenRowGroupReader(chunk);
        var n = checked((int)group.RowCount);

        var time = columns.Buffer<DateTime>("time", n);
        await columns.ReadTimesAsync(group, _time, time, n, first, ct);
        var entity = _entity is null ? null : columns.Buffer<string>("entity", n);
        if (entity is not null)
        {
            await columns.ReadTextAsync(group, _entity!, entity, n, first, ct);
        }
        var knownAt = columns.Buffer<DateTime>("knownAt", n);
        if (_knownAt is not null)
        {
            await columns.ReadTimesAsync(group, _knownAt, knownAt, n, first, ct);
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                knownAt[i] = time[i] + _lag;
            }
        }
        for (var c = 0; c < f; c++)
        {
            buffers.Features[c] = columns.Buffer<float>("feature:" + _features[c].Name, n);
            await columns.ReadFeatureAsync(group, _features[c], buffers.Features[c], n, ct);
        }
        var matrix = columns.Buffer<float>("features", n * f);
        ParquetColumns.ToRowMajor(buffers.Features, n, matrix);
        return InputChunk.FromMatrix(n, first, time, entity, knownAt, matrix, f, buffers);
    }

    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}

/// <summary>
/// The rows of a frame (apply's infer step: features computed from the datasets), in slices of
/// <c>chunkRows</c>: only the feature matrix of a slice is materialised; times and entities are the frame's own.
/// </summary>
internal sealed class FrameScoringInput : IScoringInput
{
    private readonly Frame _frame;
    private readonly double[][] _features;
    private readonly int _chunkRows;

    public FrameScoringInput(Frame frame, IReadOnlyList<string> features, int chunkRows)
    {
        _frame = frame;
        _chunkRows = chunkRows;
        _features = [.. features.Select(name => frame.IsNumeric(name)
            ? frame.Numeric(name)
            : throw new InferenceInputException($"the scoring window has no numeric feature column '{name}' (columns: {string.Join(", ", frame.ColumnNames)})"))];
    }

    public string Description => "the scoring window";

    public bool IsPanel => _frame.Entity is not null;

    public int ChunkCount => (_frame.RowCount + _chunkRows - 1) / _chunkRows;

    public int RowsIn(int chunk) => Math.Min(_chunkRows, _frame.RowCount - (chunk * _chunkRows));

    public Task<InputChunk> ReadAsync(int chunk, long first, InputBuffers buffers, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var start = chunk * _chunkRows;
        var n = RowsIn(chunk);
        var f = _features.Length;
        var columns = buffers.Columns;
        var time = columns.Buffer<DateTime>("time", n);
        var knownAt = columns.Buffer<DateTime>("knownAt", n);
        _frame.Time.AsSpan(start, n).CopyTo(time);
        _frame.KnownAt.AsSpan(start, n).CopyTo(knownAt);
        string[]? entity = null;
        if (_frame.Entity is { } entities)
        {
            entity = columns.Buffer<string>("entity", n);
            entities.AsSpan(start, n).CopyTo(entity);
        }
        var matrix = columns.Buffer<float>("features", n * f);
        for (var c = 0; c < f; c++)
        {
            var column = _features[c].AsSpan(start, n);
            for (var r = 0; r < n; r++)
            {
                var v = column[r];
                matrix[(r * f) + c] = double.IsFinite(v) ? (float)v : float.NaN;
            }
        }
        return Task.FromResult(InputChunk.FromMatrix(n, first, time, entity, knownAt, matrix, f, buffers));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
