using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using OptAIC.Engine.ML.Inference;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// A trained ML.NET model: scores batches (regression: the score; binary: the probability of 1;
/// multiclass: K class probabilities, class c in column c) and round-trips through bytes.
/// Scoring is thread-safe: each call transforms its own in-memory view (or, for a regression tree ensemble, walks
/// the trees directly: <see cref="TreeEnsembleEvaluator"/>).
/// </summary>
public sealed class TrainedModel : IBatchScorer
{
    private static readonly byte[] Magic = "OPTAICML"u8.ToArray();
    private static readonly DateTimeOffset ZipTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const int MinimumRowsPerChunk = 2048;
    private static readonly JsonSerializerOptions HeaderJson = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly MLContext _context;
    private readonly ITransformer _transformer;
    private readonly string _outputColumn;
    private readonly string[] _featureNames;
    private readonly Lazy<byte[]> _bytes;
    private readonly CategoryEncoding? _encoding;
    private readonly TreeEnsembleEvaluator? _trees;
    private bool _disposed;

    internal TrainedModel(
        MLContext context, ITransformer transformer, string algorithm, ModelTask task, string[] featureNames, int classCount,
        string trainerVersion, CategoryEncoding? encoding = null)
    {
        _encoding = encoding;
        _context = context;
        _transformer = transformer;
        _featureNames = [.. featureNames];
        Algorithm = algorithm;
        Task = task;
        ClassCount = classCount;
        TrainerVersion = trainerVersion;
        _outputColumn = task == ModelTask.Binary ? "Probability" : "Score";
        _bytes = new Lazy<byte[]>(Serialize);
        // A plain regression tree ensemble is evaluated directly, as ML.NET evaluates it, without a data view per call.
        _trees = task == ModelTask.Regression ? TreeEnsembleEvaluator.TryCreate(transformer, SlotWidth) : null;
    }

    /// <summary>True when <see cref="Score"/> evaluates the trees itself (a LightGBM or FastTree regression); ML.NET otherwise.</summary>
    internal bool EvaluatesTreesDirectly => _trees is not null;

    internal TreeEnsembleEvaluator? Trees => _trees;

    public string Algorithm { get; }

    public ModelTask Task { get; }

    /// <summary>2 for binary, K for multiclass, 0 for regression.</summary>
    public int ClassCount { get; }

    /// <summary>Library version and algorithm, as <see cref="ModelTrainer.TrainerVersion"/>.</summary>
    public string TrainerVersion { get; }

    public IReadOnlyList<string> FeatureNames => _featureNames;

    public int OutputWidth => Task == ModelTask.Multiclass ? ClassCount : 1;

    /// <summary>
    /// The categorical features and the categories the model was trained with (empty when it has none).
    /// In <see cref="Score"/>'s rows such a feature's value is the index of its category here (-1: one the
    /// model never saw); <see cref="Inputs"/> turns a <see cref="TrainingData"/>'s codes into those.
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Categories => _encoding?.ByName() ?? [];

    // Slots the ML.NET model reads per row: the features, with each categorical one as a one-hot block.
    private int SlotWidth => _encoding?.Width ?? _featureNames.Length;

    /// <summary>
    /// <paramref name="data"/>'s features laid out for <see cref="Score"/>: unchanged without categorical
    /// features; otherwise each category translated to the model's index, and the rows holding a category
    /// the model never saw counted per feature in <paramref name="unseen"/> (they score, with no slot set).
    /// </summary>
    public float[] Inputs(TrainingData data, IDictionary<string, long>? unseen = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatures(data.FeatureNames);
        return _encoding is null ? data.Features : _encoding.ToModelCodes(data, unseen);
    }

    /// <summary>Lower-case hex SHA-256 of <see cref="ToBytes"/>.</summary>
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_bytes.Value));

    /// <summary>
    /// The artifact: "OPTAICML", a little-endian int32 header length, a JSON header (task, algorithm,
    /// feature names, class count, trainer version) and the ML.NET model zip. The zip's timestamps are
    /// fixed so that the same model always gives the same bytes (and the same SHA-256).
    /// </summary>
    public byte[] ToBytes() => [.. _bytes.Value];

    /// <summary>Reads an artifact written by <see cref="ToBytes"/>; it scores exactly as the original.</summary>
    public static TrainedModel FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new ModelArtifactException("not an OptAIC ML.NET model artifact (the OPTAICML header is missing)");
        }
        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length));
        var start = Magic.Length + 4;
        if (headerLength <= 0 || headerLength > bytes.Length - start)
        {
            throw new ModelArtifactException($"model artifact header length {headerLength} does not fit its {bytes.Length} bytes: the file is truncated or corrupt");
        }
        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(bytes.AsSpan(start, headerLength), HeaderJson)
                ?? throw new ModelArtifactException("model artifact header is empty");
        }
        catch (JsonException e)
        {
            throw new ModelArtifactException($"model artifact header is not valid JSON: {e.Message}", e);
        }
        if (header.Format != 1 || header.FeatureNames is null || header.Algorithm is null || header.TrainerVersion is null)
        {
            throw new ModelArtifactException($"model artifact header format {header.Format} is not supported (expected 1 with algorithm, feature names and trainer version)");
        }
        var context = new MLContext(0);
        // The loader finds trainer components only in registered assemblies.
        context.ComponentCatalog.RegisterAssembly(typeof(LightGbmRegressionModelParameters).Assembly);
        context.ComponentCatalog.RegisterAssembly(typeof(FastTreeRegressionModelParameters).Assembly);
        ITransformer transformer;
        try
        {
            using var zip = new MemoryStream(bytes, start + headerLength, bytes.Length - start - headerLength, writable: false);
            transformer = context.Model.Load(zip, out _);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or IOException or ArgumentException)
        {
            throw new ModelArtifactException($"the ML.NET model inside the artifact cannot be loaded: {e.Message}", e);
        }
        var encoding = header.Categories is { Count: > 0 } categories
            ? new CategoryEncoding(header.FeatureNames, [.. header.FeatureNames.Select(n => categories.GetValueOrDefault(n))])
            : null;
        return new TrainedModel(context, transformer, header.Algorithm, header.Task, header.FeatureNames, header.ClassCount, header.TrainerVersion, encoding);
    }

    public void Score(ReadOnlySpan<float> features, int rows, Span<float> output) => Score(features, rows, output, direct: true);

    /// <summary>As <see cref="Score(ReadOnlySpan{float}, int, Span{float})"/>, always through ML.NET's transform (tests hold the direct evaluation to it).</summary>
    internal void ScoreThroughMlNet(ReadOnlySpan<float> features, int rows, Span<float> output) => Score(features, rows, output, direct: false);

    private void Score(ReadOnlySpan<float> features, int rows, Span<float> output, bool direct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var width = _featureNames.Length;
        if (rows < 0 || features.Length != (long)rows * width)
        {
            throw new ArgumentException($"{features.Length} feature values do not make {rows} rows of {width} features", nameof(features));
        }
        if (output.Length < (long)rows * OutputWidth)
        {
            throw new ArgumentException($"output holds {output.Length} values; {rows} rows x {OutputWidth} are needed", nameof(output));
        }
        if (rows == 0)
        {
            return;
        }
        var k = OutputWidth;
        var input = ArrayPool<float>.Shared.Rent(rows * SlotWidth);
        var scores = ArrayPool<float>.Shared.Rent(rows * k);
        try
        {
            if (_encoding is null)
            {
                features.CopyTo(input);
            }
            else
            {
                _encoding.Expand(features, rows, input);
            }
            var trees = direct && _trees is not null && !TreeEnsembleEvaluator.HasNaN(input.AsSpan(0, rows * SlotWidth)) ? _trees : null;
            // Rows score independently, so large batches split into chunks scored side by side: on
            // one core a batch transform costs about what a PredictionEngine does (the trees dominate).
            var chunks = Math.Clamp(rows / MinimumRowsPerChunk, 1, Environment.ProcessorCount);
            if (chunks == 1)
            {
                ScoreChunk(trees, input, 0, rows, scores);
            }
            else
            {
                var size = (rows + chunks - 1) / chunks;
                Parallel.For(0, chunks, c => ScoreChunk(trees, input, c * size, Math.Min(size, rows - c * size), scores));
            }
            scores.AsSpan(0, rows * k).CopyTo(output);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    private void ScoreChunk(TreeEnsembleEvaluator? trees, float[] input, int firstRow, int rows, float[] scores)
    {
        if (trees is not null)
        {
            trees.Score(input.AsSpan(firstRow * SlotWidth, rows * SlotWidth), rows, scores.AsSpan(firstRow, rows));
            return;
        }
        var scored = _transformer.Transform(ArrayDataView.ForScoring(input, SlotWidth, rows, firstRow));
        var column = scored.Schema[_outputColumn];
        using var cursor = scored.GetRowCursor([column]);
        var k = OutputWidth;
        var i = firstRow * k;
        if (k == 1)
        {
            var getter = cursor.GetGetter<float>(column);
            var value = 0f;
            while (cursor.MoveNext())
            {
                getter(ref value);
                scores[i++] = value;
            }
            return;
        }
        var vectorGetter = cursor.GetGetter<VBuffer<float>>(column);
        var vector = default(VBuffer<float>);
        var dense = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            vectorGetter(ref vector);
            if (vector.IsDense)
            {
                vector.GetValues().CopyTo(scores.AsSpan(i, k));
            }
            else
            {
                vector.CopyToDense(ref dense);
                dense.GetValues().CopyTo(scores.AsSpan(i, k));
            }
            i += k;
        }
    }

    /// <summary>Scores every row of <paramref name="data"/>: rows x <see cref="OutputWidth"/> values.</summary>
    public double[] Predict(TrainingData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatures(data.FeatureNames);
        var output = new float[data.Rows * OutputWidth];
        Score(Inputs(data), data.Rows, output);
        var result = new double[output.Length];
        for (var i = 0; i < output.Length; i++)
        {
            result[i] = output[i];
        }
        return result;
    }

    public void Dispose() => _disposed = true;

    internal void CheckFeatures(string[] names)
    {
        if (!names.AsSpan().SequenceEqual(_featureNames))
        {
            throw new TrainingDataException(
                $"the data has features [{string.Join(", ", names)}] but the model was trained on [{string.Join(", ", _featureNames)}]: " +
                "pass the model's features in its order");
        }
    }

    private byte[] Serialize()
    {
        var schema = ArrayDataView.ForScoring([], SlotWidth, 0).Schema;
        using var raw = new MemoryStream();
        _context.Model.Save(_transformer, schema, raw);
        raw.Position = 0;
        var header = JsonSerializer.SerializeToUtf8Bytes(
            new Header(1, Algorithm, Task, _featureNames, ClassCount, TrainerVersion, _encoding?.ByName()), HeaderJson);
        using var result = new MemoryStream();
        result.Write(Magic);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, header.Length);
        result.Write(length);
        result.Write(header);
        // The zip is built on its own: its offsets count from its own first byte.
        using var zip = new MemoryStream();
        WriteNormalisedZip(raw, zip);
        zip.Position = 0;
        zip.CopyTo(result);
        return result.ToArray();
    }

    // ML.NET stamps zip entries with the current time; rewriting them with a fixed time makes the
    // artifact a function of the model alone.
    private static void WriteNormalisedZip(Stream source, Stream target)
    {
        using var input = new ZipArchive(source, ZipArchiveMode.Read, leaveOpen: true);
        using var output = new ZipArchive(target, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var entry in input.Entries)
        {
            var copy = output.CreateEntry(entry.FullName, CompressionLevel.Optimal);
            copy.LastWriteTime = ZipTime;
            using var from = entry.Open();
            using var to = copy.Open();
            from.CopyTo(to);
        }
    }

    // Categories: each categorical feature's categories (absent for a model without any).
    private sealed record Header(
        int Format, string Algorithm, ModelTask Task, string[] FeatureNames, int ClassCount, string TrainerVersion,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        Dictionary<string, string[]>? Categories = null);
}
