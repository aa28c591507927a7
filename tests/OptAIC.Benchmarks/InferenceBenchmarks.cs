using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.ML.OnnxRuntime;
using OptAIC.Engine.ML.Inference;
using Parquet;
using Parquet.Schema;

namespace OptAIC.Benchmarks;

/// <summary>
/// Batch inference of 1,000,000 rows x 20 float features (10 row groups of 100,000), Parquet in to Parquet
/// out, against the bare ONNX Runtime session run over the same batches already in memory (the floor for
/// scoring) and a Parquet read-all-features + write-one-column pass with no model (the floor for the I/O).
/// Two models: the linear one (y = xW + b: almost free to run, so the ratio shows the file I/O), and a
/// MLPs (20-64-64-1 and 20-256-256-1, ReLU, tanh) whose runs cost about as much as the I/O, or more.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
[MemoryDiagnoser]
public class InferenceBenchmarks : IDisposable
{
    private const int Rows = 1_000_000;
    private const int Features = 20;
    private const int GroupRows = 100_000;

    private string _folder = "";
    private string _input = "";
    private byte[] _model = [];
    private string[] _names = [];
    private OnnxScorer _scorer = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtValue[] _inputs = [];
    private OrtValue[] _outputs = [];

    // A linear model costs next to nothing, so the file I/O the baseline leaves out dominates; the two
    // MLPs (hidden width 64 and 256) are the kind of model users bring as ONNX. All are reported.
    [Params("linear", "mlp-64", "mlp-256")]
    public string Model { get; set; } = "linear";

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "optaic-inference-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _input = Path.Combine(_folder, "features.parquet");
        _names = [.. Enumerable.Range(0, Features).Select(i => $"f{i:D2}")];
        var random = new Random(42);
        var weights = Enumerable.Range(0, Features).Select(_ => (float)((random.NextDouble() * 0.2) - 0.1)).ToArray();
        _model = Model == "linear" ? OnnxGraphBuilder.Linear("x", "y", Features, 1, weights, [0.01f]) : Mlp(random, Model == "mlp-256" ? 256 : 64);

        var columns = _names.Select(_ => new float[Rows]).ToArray();
        foreach (var column in columns)
        {
            for (var i = 0; i < Rows; i++)
            {
                column[i] = (float)((random.NextDouble() * 2) - 1);
            }
        }
        var time = Enumerable.Range(0, Rows).Select(i => new DateTime(2000, 1, 1).AddMinutes(i)).ToArray();
        WriteInput(time, columns).GetAwaiter().GetResult();

        _scorer = new OnnxScorer(_model, OnnxModelSignature.ForTable("x", "y", _names), new OnnxScorerOptions { MaxBatchRows = GroupRows });

        // Baseline: the same session settings, the same batches as row-major tensors ready in memory.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(_model, options);
        _runOptions = new RunOptions();
        var batches = Rows / GroupRows;
        _inputs = new OrtValue[batches];
        _outputs = new OrtValue[batches];
        for (var b = 0; b < batches; b++)
        {
            var matrix = new float[GroupRows * Features];
            for (var r = 0; r < GroupRows; r++)
            {
                for (var c = 0; c < Features; c++)
                {
                    matrix[(r * Features) + c] = columns[c][(b * GroupRows) + r];
                }
            }
            _inputs[b] = OrtValue.CreateTensorValueFromMemory(matrix, [GroupRows, Features]);
            _outputs[b] = OrtValue.CreateTensorValueFromMemory(new float[GroupRows], [GroupRows, 1]);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (_inputs.Length == 0)
        {
            return;
        }
        foreach (var value in _inputs.Concat(_outputs))
        {
            value.Dispose();
        }
        _session.Dispose();
        _runOptions.Dispose();
        _scorer.Dispose();
        _inputs = [];
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare OnnxRuntime session, in-memory batches")]
    public float BareSession()
    {
        string[] inputNames = ["x"];
        string[] outputNames = ["y"];
        var last = 0f;
        for (var b = 0; b < _inputs.Length; b++)
        {
            _session.Run(_runOptions, inputNames, [_inputs[b]], outputNames, [_outputs[b]]);
            last += _outputs[b].GetTensorDataAsSpan<float>()[0];
        }
        return last;
    }

    [Benchmark(Description = "BatchInference.RunAsync: Parquet -> ONNX -> Parquet")]
    public async Task<long> BatchInferenceRun()
    {
        var summary = await BatchInference.RunAsync(
            _input,
            Path.Combine(_folder, "scores.parquet"),
            _scorer,
            new BatchInferenceOptions { ModelVersion = 1, Guardrails = new Guardrails(-10, 10, false, 1) });
        return summary.RowsScored;
    }

    [Benchmark(Description = "Parquet.Net read 20 columns + write 1 (no model)")]
    public async Task<long> ParquetOnly()
    {
        var fields = _names.Select(n => new DataField<float>(n)).ToArray();
        var scoreField = new DataField<double>("score");
        var buffer = new float[GroupRows];
        var scores = new double[GroupRows];
        long rows = 0;
        await using var reader = await ParquetReader.CreateAsync(_input);
        await using var stream = File.Create(Path.Combine(_folder, "io.parquet"));
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(scoreField), stream);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            foreach (var field in reader.Schema.DataFields.Where(f => f.Name.StartsWith('f')))
            {
                await group.ReadAsync(field, buffer.AsMemory(0, n));
                scores[0] += buffer[0];
            }
            using var output = writer.CreateRowGroup();
            await output.WriteAsync(scoreField, new ReadOnlyMemory<double>(scores, 0, n));
            rows += n;
        }
        return rows + fields.Length;
    }

    internal static byte[] Mlp(Random random, int hidden)
    {
        float[] Weights(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale))];
        return new OnnxGraphBuilder()
            .Input("x", -1, Features)
            .Output("y", -1, 1)
            .Initializer("W1", [Features, hidden], Weights(Features * hidden, 0.3))
            .Initializer("B1", [hidden], Weights(hidden, 0.1))
            .Initializer("W2", [hidden, hidden], Weights(hidden * hidden, 0.2 * 8 / Math.Sqrt(hidden)))
            .Initializer("B2", [hidden], Weights(hidden, 0.1))
            .Initializer("W3", [hidden, 1], Weights(hidden, 0.2 * 8 / Math.Sqrt(hidden)))
            .Initializer("B3", [1], [0f])
            .Node("MatMul", ["x", "W1"], ["h1"])
            .Node("Add", ["h1", "B1"], ["a1"])
            .Node("Relu", ["a1"], ["r1"])
            .Node("MatMul", ["r1", "W2"], ["h2"])
            .Node("Add", ["h2", "B2"], ["a2"])
            .Node("Relu", ["a2"], ["r2"])
            .Node("MatMul", ["r2", "W3"], ["h3"])
            .Node("Add", ["h3", "B3"], ["a3"])
            .Node("Tanh", ["a3"], ["y"])
            .Build("mlp");
    }

    private async Task WriteInput(DateTime[] time, float[][] columns)
    {
        var timeField = new DateTimeDataField("time", DateTimeFormat.Timestamp, isAdjustedToUTC: false, unit: DateTimeTimeUnit.Micros);
        var fields = _names.Select(n => new DataField<float>(n)).ToArray();
        await using var stream = File.Create(_input);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema([timeField, .. fields]), stream);
        for (var start = 0; start < Rows; start += GroupRows)
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(timeField, new ReadOnlyMemory<DateTime>(time, start, GroupRows));
            for (var c = 0; c < Features; c++)
            {
                await group.WriteAsync(fields[c], new ReadOnlyMemory<float>(columns[c], start, GroupRows));
            }
        }
    }
}
