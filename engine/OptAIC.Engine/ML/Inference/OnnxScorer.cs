using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace OptAIC.Engine.ML.Inference;

/// <summary>Session settings for <see cref="OnnxScorer"/>.</summary>
public sealed record OnnxScorerOptions
{
    /// <summary>
    /// Threads ONNX Runtime may use inside one operator. 1 by default: the engine runs several
    /// workflows at once, and one thread per session avoids oversubscribing the machine. 0 lets
    /// ONNX Runtime choose (one per physical core).
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Rows per session run; larger calls are split. The input/output buffers are sized for this once.</summary>
    public int MaxBatchRows { get; init; } = 65_536;
}

/// <summary>
/// Scores feature rows with an ONNX model through one <see cref="InferenceSession"/>. The model is checked
/// against its declared <see cref="OnnxModelSignature"/> when loaded, and every batch runs over the same
/// pre-allocated input/output buffers (ONNX Runtime reads and writes them in place), so scoring a large
/// file costs no allocation per batch beyond the runtime's own.
/// Not thread-safe for concurrent <see cref="Score"/> calls on one instance (calls are serialised).
/// </summary>
public sealed class OnnxScorer : IBatchScorer
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _featureCount;
    private readonly int _capacity;
    private readonly bool _outputIsVector;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly OrtValue[] _inputValues = new OrtValue[1];
    private readonly OrtValue[] _outputValues = new OrtValue[1];
    private readonly Lock _gate = new();
    private int _boundRows;
    private bool _disposed;

    public OnnxScorer(byte[] model, OnnxModelSignature signature, OnnxScorerOptions? options = null)
        : this(model, null, signature, options)
    {
    }

    private OnnxScorer(byte[]? model, string? path, OnnxModelSignature signature, OnnxScorerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(signature);
        options ??= new OnnxScorerOptions();
        if (options.MaxBatchRows < 1 || options.IntraOpThreads < 0)
        {
            throw new ArgumentException("MaxBatchRows must be at least 1 and IntraOpThreads at least 0", nameof(options));
        }
        signature.Validate();
        var source = path is null ? $"ONNX model ({model!.Length:N0} bytes)" : $"ONNX model '{path}'";

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads, InterOpNumThreads = 1 };
        try
        {
            _session = path is null ? new InferenceSession(model!, sessionOptions) : new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"could not load {source}: {ex.Message}", ex);
        }

        try
        {
            _outputIsVector = CheckAgainstModel(_session, signature, source);
        }
        catch
        {
            _session.Dispose();
            _runOptions.Dispose();
            throw;
        }

        FeatureNames = [.. signature.FeatureNames];
        OutputWidth = signature.OutputWidth;
        _featureCount = FeatureNames.Count;
        _inputNames = [signature.InputName];
        _outputNames = [signature.OutputName];
        _capacity = options.MaxBatchRows;
        _input = GC.AllocateUninitializedArray<float>(checked(_capacity * _featureCount), pinned: true);
        _output = GC.AllocateUninitializedArray<float>(checked(_capacity * OutputWidth), pinned: true);
    }

    public static OnnxScorer FromFile(string path, OnnxModelSignature signature, OnnxScorerOptions? options = null)
    {
        if (!File.Exists(path))
        {
            throw new OnnxModelException($"ONNX model file '{path}' does not exist");
        }
        return new OnnxScorer(null, path, signature, options);
    }

    public IReadOnlyList<string> FeatureNames { get; }

    public int OutputWidth { get; }

    public void Score(ReadOnlySpan<float> features, int rows, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (features.Length < rows * _featureCount || output.Length < rows * OutputWidth)
        {
            throw new ArgumentException(
                $"{rows} rows need {rows * _featureCount} feature values and room for {rows * OutputWidth} outputs; " +
                $"got {features.Length} and {output.Length}");
        }

        lock (_gate)
        {
            for (var start = 0; start < rows; start += _capacity)
            {
                var n = Math.Min(_capacity, rows - start);
                features.Slice(start * _featureCount, n * _featureCount).CopyTo(_input);
                Bind(n);
                try
                {
                    _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new OnnxModelException($"ONNX model failed on a batch of {n} rows: {ex.Message}", ex);
                }
                _output.AsSpan(0, n * OutputWidth).CopyTo(output.Slice(start * OutputWidth));
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _inputValues[0]?.Dispose();
        _outputValues[0]?.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }

    // The tensors are views over the pinned buffers; only their shape depends on the row count, so they
    // are re-created only when a batch has a different size than the last one (usually just the last batch).
    private void Bind(int rows)
    {
        if (rows == _boundRows)
        {
            return;
        }
        _inputValues[0]?.Dispose();
        _outputValues[0]?.Dispose();
        _inputValues[0] = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, rows * _featureCount), [rows, _featureCount]);
        long[] outputShape = _outputIsVector ? [rows] : [rows, OutputWidth];
        _outputValues[0] = OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows * OutputWidth), outputShape);
        _boundRows = rows;
    }

    /// <summary>Returns true when the model's output is a vector ([-1]) rather than a matrix.</summary>
    private static bool CheckAgainstModel(InferenceSession session, OnnxModelSignature signature, string source)
    {
        var inputs = session.InputMetadata;
        if (!inputs.TryGetValue(signature.InputName, out var input))
        {
            throw new OnnxModelException(
                $"{source} has no input '{signature.InputName}' (its inputs: {string.Join(", ", inputs.Keys)}); fix the definition's input name");
        }
        if (inputs.Count > 1)
        {
            throw new OnnxModelException(
                $"{source} has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); only models with one feature tensor input are supported");
        }
        CheckFloatTensor(input, "input", signature.InputName, source);
        var inDims = input.Dimensions;
        var features = signature.FeatureNames.Count;
        if (inDims.Length != 2 || (inDims[1] >= 0 && inDims[1] != features))
        {
            throw new OnnxModelException(
                $"model input '{signature.InputName}' has shape {Shape(inDims)} but the definition declares {features} features");
        }
        CheckBatchDimension(inDims, "input", signature.InputName);

        var outputs = session.OutputMetadata;
        if (!outputs.TryGetValue(signature.OutputName, out var output))
        {
            throw new OnnxModelException(
                $"{source} has no output '{signature.OutputName}' (its outputs: {string.Join(", ", outputs.Keys)}); fix the definition's output name");
        }
        CheckFloatTensor(output, "output", signature.OutputName, source);
        var outDims = output.Dimensions;
        var width = signature.OutputWidth;
        var matches = outDims.Length switch
        {
            1 => width == 1,
            2 => outDims[1] < 0 || outDims[1] == width,
            _ => false,
        };
        if (!matches)
        {
            throw new OnnxModelException(
                $"model output '{signature.OutputName}' has shape {Shape(outDims)} but the definition declares " +
                $"{OnnxModelSignature.Format(signature.OutputShape)} ({width} value{(width == 1 ? "" : "s")} per row)");
        }
        CheckBatchDimension(outDims, "output", signature.OutputName);
        return outDims.Length == 1;
    }

    private static void CheckFloatTensor(NodeMetadata meta, string role, string name, string source)
    {
        if (!meta.IsTensor || meta.ElementType != typeof(float))
        {
            var type = meta.IsTensor ? meta.ElementType.Name : meta.OnnxValueType.ToString();
            throw new OnnxModelException($"{source}: {role} '{name}' is {type}; only float32 tensors are supported");
        }
    }

    private static void CheckBatchDimension(int[] dims, string role, string name)
    {
        if (dims[0] >= 0)
        {
            throw new OnnxModelException(
                $"model {role} '{name}' has shape {Shape(dims)} with a fixed batch size of {dims[0]}; " +
                "export the model with a dynamic first dimension (-1) so rows can be scored in batches");
        }
    }

    private static string Shape(int[] dims) =>
        "[" + string.Join(",", dims.Select(d => (d < 0 ? -1 : d).ToString(CultureInfo.InvariantCulture))) + "]";
}
