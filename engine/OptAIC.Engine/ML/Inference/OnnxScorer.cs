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
/// file costs no allocation per batch beyond the runtime's own. A multi-input model gets each input's
/// features gathered into that input's buffer; a ZipMap output (a sequence of class -> probability maps)
/// is read map by map into the K probability columns, in label order.
/// Not thread-safe for concurrent <see cref="Score"/> calls on one instance (calls are serialised).
/// </summary>
public sealed class OnnxScorer : IBatchScorer
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly BoundInput[] _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _featureCount;
    private readonly int _capacity;
    private readonly OutputKind _outputKind;
    private readonly Dictionary<string, int>? _classIndex;
    private readonly float[] _output;
    private readonly OrtValue[] _inputValues;
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
            _outputKind = CheckAgainstModel(_session, signature, source);
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
        _capacity = options.MaxBatchRows;
        var position = FeatureNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        _inputs = [.. signature.EffectiveInputs.Select(i => new BoundInput(
            [.. i.Features.Select(f => position[f])],
            GC.AllocateUninitializedArray<float>(checked(_capacity * i.Features.Count), pinned: true)))];
        _inputNames = [.. signature.EffectiveInputs.Select(i => i.Name)];
        _inputValues = new OrtValue[_inputs.Length];
        _outputNames = [signature.OutputName];
        _output = GC.AllocateUninitializedArray<float>(checked(_capacity * OutputWidth), pinned: true);
        if (_outputKind == OutputKind.ZipMapText)
        {
            _classIndex = signature.ClassLabels!.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        }
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
                Gather(features.Slice(start * _featureCount, n * _featureCount), n);
                Bind(n);
                try
                {
                    if (_outputKind is OutputKind.Vector or OutputKind.Matrix)
                    {
                        _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
                    }
                    else
                    {
                        using var results = _session.Run(_runOptions, _inputNames, _inputValues, _outputNames);
                        ReadZipMap(results[0], n);
                    }
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
        foreach (var value in _inputValues)
        {
            value?.Dispose();
        }
        _outputValues[0]?.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }

    // One input taking the features in row order is a plain copy; otherwise each input gathers its columns.
    private void Gather(ReadOnlySpan<float> rows, int n)
    {
        if (_inputs.Length == 1 && _inputs[0].IsIdentity)
        {
            rows.CopyTo(_inputs[0].Buffer);
            return;
        }
        foreach (var input in _inputs)
        {
            var columns = input.Columns;
            var width = columns.Length;
            var buffer = input.Buffer;
            for (var r = 0; r < n; r++)
            {
                var row = rows.Slice(r * _featureCount, _featureCount);
                var target = buffer.AsSpan(r * width, width);
                for (var c = 0; c < width; c++)
                {
                    target[c] = row[columns[c]];
                }
            }
        }
    }

    // A ZipMap is one map per row; its keys are the class labels (sorted by ONNX Runtime, not in label order).
    private void ReadZipMap(OrtValue sequence, int rows)
    {
        var allocator = OrtAllocator.DefaultInstance;
        var width = OutputWidth;
        var count = sequence.GetValueCount();
        if (count != rows)
        {
            throw new OnnxModelException($"the model's ZipMap output has {count} maps for {rows} rows");
        }
        _output.AsSpan(0, rows * width).Fill(float.NaN);
        sequence.ProcessSequence((map, row) => map.ProcessMap((keys, values) =>
        {
            var probabilities = values.GetTensorDataAsSpan<float>();
            var target = _output.AsSpan(row * width, width);
            if (_classIndex is null)
            {
                var labels = keys.GetTensorDataAsSpan<long>();
                for (var i = 0; i < labels.Length; i++)
                {
                    target[ClassOf(labels[i])] = probabilities[i];
                }
            }
            else
            {
                var labels = keys.GetStringTensorAsArray();
                for (var i = 0; i < labels.Length; i++)
                {
                    target[_classIndex.TryGetValue(labels[i], out var k) ? k : throw UnknownClass(labels[i])] = probabilities[i];
                }
            }
        }, allocator), allocator);
    }

    private int ClassOf(long label) =>
        label >= 0 && label < OutputWidth ? (int)label : throw UnknownClass(label.ToString(CultureInfo.InvariantCulture));

    private OnnxModelException UnknownClass(string label) =>
        new($"the model's ZipMap output names class '{label}', which is not one of the {OutputWidth} declared classes" +
            (_classIndex is null ? " (0..K-1)" : $" ({string.Join(", ", _classIndex.Keys)})"));

    // The tensors are views over the pinned buffers; only their shape depends on the row count, so they
    // are re-created only when a batch has a different size than the last one (usually just the last batch).
    private void Bind(int rows)
    {
        if (rows == _boundRows)
        {
            return;
        }
        for (var i = 0; i < _inputs.Length; i++)
        {
            _inputValues[i]?.Dispose();
            var width = _inputs[i].Columns.Length;
            _inputValues[i] = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, _inputs[i].Buffer.AsMemory(0, rows * width), [rows, width]);
        }
        if (_outputKind is OutputKind.Vector or OutputKind.Matrix)
        {
            _outputValues[0]?.Dispose();
            long[] outputShape = _outputKind == OutputKind.Vector ? [rows] : [rows, OutputWidth];
            _outputValues[0] = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows * OutputWidth), outputShape);
        }
        _boundRows = rows;
    }

    private static OutputKind CheckAgainstModel(InferenceSession session, OnnxModelSignature signature, string source)
    {
        var inputs = session.InputMetadata;
        var declared = signature.EffectiveInputs;
        var missing = declared.Where(i => !inputs.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0)
        {
            throw new OnnxModelException(
                $"{source} has no input {string.Join(", ", missing.Select(m => $"'{m}'"))} (its inputs: {string.Join(", ", inputs.Keys)}); fix the definition's input name");
        }
        if (inputs.Count > declared.Count)
        {
            var extra = inputs.Keys.Where(k => declared.All(i => i.Name != k));
            throw new OnnxModelException(
                $"{source} has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); declare each one under model.onnx.inputs with its features (not declared: {string.Join(", ", extra)})");
        }
        foreach (var declaredInput in declared)
        {
            var input = inputs[declaredInput.Name];
            CheckFloatTensor(input, "input", declaredInput.Name, source);
            var inDims = input.Dimensions;
            var features = declaredInput.Features.Count;
            if (inDims.Length != 2 || (inDims[1] >= 0 && inDims[1] != features))
            {
                throw new OnnxModelException(
                    $"model input '{declaredInput.Name}' has shape {Shape(inDims)} but the definition declares {features} feature{(features == 1 ? "" : "s")}");
            }
            CheckBatchDimension(inDims, "input", declaredInput.Name);
        }

        var outputs = session.OutputMetadata;
        if (!outputs.TryGetValue(signature.OutputName, out var output))
        {
            throw new OnnxModelException(
                $"{source} has no output '{signature.OutputName}' (its outputs: {string.Join(", ", outputs.Keys)}); fix the definition's output name");
        }
        if (output.OnnxValueType == OnnxValueType.ONNX_TYPE_SEQUENCE)
        {
            return CheckZipMap(output, signature, source);
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
        return outDims.Length == 1 ? OutputKind.Vector : OutputKind.Matrix;
    }

    private static OutputKind CheckZipMap(NodeMetadata output, OnnxModelSignature signature, string source)
    {
        var element = output.AsSequenceMetadata().ElementMeta;
        if (element.OnnxValueType != OnnxValueType.ONNX_TYPE_MAP)
        {
            throw new OnnxModelException($"{source}: output '{signature.OutputName}' is a sequence of {element.OnnxValueType}; only a ZipMap (a sequence of maps) is supported");
        }
        var map = element.AsMapMetadata();
        if (map.ValueMetadata.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
        {
            throw new OnnxModelException($"{source}: ZipMap output '{signature.OutputName}' holds {map.ValueMetadata.ElementDataType} values; expected float probabilities");
        }
        switch (map.KeyDataType)
        {
            case Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64:
                return OutputKind.ZipMapIndex;
            case Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.String when signature.ClassLabels is not null:
                return OutputKind.ZipMapText;
            case Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.String:
                throw new OnnxModelException(
                    $"{source}: ZipMap output '{signature.OutputName}' names its classes by text; list them under model.classes, in label order");
            default:
                throw new OnnxModelException($"{source}: ZipMap output '{signature.OutputName}' has {map.KeyDataType} keys; expected int64 or string class labels");
        }
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

    private enum OutputKind
    {
        Vector,
        Matrix,
        ZipMapIndex,
        ZipMapText,
    }

    /// <summary>One model input: which row columns it takes, and its pinned buffer.</summary>
    private sealed class BoundInput(int[] columns, float[] buffer)
    {
        public int[] Columns { get; } = columns;

        public float[] Buffer { get; } = buffer;

        public bool IsIdentity { get; } = columns.Select((c, i) => c == i).All(b => b);
    }
}
