using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OptAIC.Engine.Apply;
using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Apply's infer step on an imported ONNX model, as the command runs it: a generated series of <c>rows</c>
/// rows x 20 float features in Parquet, a definition with algorithm onnx (linear, 20-64-64-1 or
/// 20-256-256-1 MLP), the whole apply in this process (import, infer, monitor); the infer run's own recorded
/// time beside the bare steps (Parquet.Net read of the 20 columns + a bare OnnxRuntime session on the same
/// batches + a Parquet.Net write of the scores), and the process's peak working set. One process per mode:
///   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario onnx-infer 1000000 mlp-64 apply
///   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario onnx-infer 1000000 mlp-64 bare
/// </summary>
internal static class OnnxInferScenario
{
    private const int Features = 20;
    private const int GroupRows = 65_536;

    public static void Run(int rows, string model, string mode)
    {
        var root = Path.Combine(Path.GetTempPath(), $"optaic-onnx-infer-{rows}-{model}");
        var data = Path.Combine(root, "data", "series.parquet");
        var onnx = Path.Combine(root, "onnx", "model.onnx");
        if (!File.Exists(data))
        {
            Generate(data, onnx, rows, model).GetAwaiter().GetResult();
        }
        if (mode == "bare")
        {
            Bare(data, onnx, root, rows).GetAwaiter().GetResult();
            return;
        }
        WriteSpecs(root);
        // Every apply run starts from an empty registry, so it imports, scores and monitors for real.
        foreach (var state in new[] { Path.Combine(root, "models"), Path.Combine(root, ".optaic") })
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
        var watch = Stopwatch.StartNew();
        var session = ReconcileSession.Open(root);
        var result = new Applier(session, new ApplyOptions { Commit = false }).ApplyAsync().GetAwaiter().GetResult();
        watch.Stop();
        foreach (var outcome in result.Outcomes)
        {
            Console.WriteLine($"  {outcome.Action.Id}: {outcome.Status} {outcome.Summary}");
        }
        var infer = ReconcileSession.Open(root).Registry.GetRuns("series").Last(r => r.Kind == RunKind.Inference);
        var phases = infer.Details.GetValueOrDefault("phases") is IDictionary<string, object?> p
            ? string.Join(", ", p.Select(kv => $"{kv.Key} {Convert.ToDouble(kv.Value, System.Globalization.CultureInfo.InvariantCulture):F2} s"))
            : "no phases";
        Console.WriteLine($"  infer run phases: {phases}");
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"apply infer step ({model}, {rows:N0} rows): {(infer.FinishedAt!.Value - infer.StartedAt).TotalSeconds:F2} s; whole apply {watch.Elapsed.TotalSeconds:F1} s; peak working set {self.PeakWorkingSet64 / 1e6:F0} MB; succeeded {result.Succeeded}");
    }

    private static async Task Generate(string data, string onnx, int rows, string model)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(data)!);
        Directory.CreateDirectory(Path.GetDirectoryName(onnx)!);
        var random = new Random(42);
        var weights = Enumerable.Range(0, Features).Select(_ => (float)((random.NextDouble() * 0.2) - 0.1)).ToArray();
        File.WriteAllBytes(onnx, model == "linear"
            ? OnnxGraphBuilder.Linear("x", "y", Features, 1, weights, [0.01f])
            : InferenceBenchmarks.Mlp(random, model == "mlp-256" ? 256 : 64));
        var time = new DateTimeDataField("time", DateTimeFormat.Timestamp, isAdjustedToUTC: false, unit: DateTimeTimeUnit.Micros);
        var fields = Enumerable.Range(0, Features).Select(i => new DataField<float>($"f{i:D2}")).ToArray();
        await using var stream = File.Create(data);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema([time, .. fields]), stream);
        var start = new DateTime(2000, 1, 3, 0, 0, 0, DateTimeKind.Utc);
        for (var from = 0; from < rows; from += GroupRows)
        {
            var n = Math.Min(GroupRows, rows - from);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(time, new ReadOnlyMemory<DateTime>([.. Enumerable.Range(from, n).Select(i => start.AddMinutes(i))]));
            foreach (var field in fields)
            {
                await group.WriteAsync(field, new ReadOnlyMemory<float>([.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1))]));
            }
        }
    }

    private static void WriteSpecs(string root)
    {
        var columns = string.Join("\n", Enumerable.Range(0, Features).Select(i => $"    - {{ name: f{i:D2}, type: float }}"));
        var features = string.Join("\n", Enumerable.Range(0, Features).Select(i => $"    - {{ name: x{i:D2}, expr: \"f{i:D2}\" }}"));
        Directory.CreateDirectory(Path.Combine(root, "specs"));
        File.WriteAllText(Path.Combine(root, "specs", "onnx.yaml"), $$"""
            apiVersion: optaic.io/v1
            kind: Project
            metadata: { name: onnx-infer }
            spec: { dataRoot: data }
            ---
            apiVersion: optaic.io/v1
            kind: Dataset
            metadata: { name: series }
            spec:
              format: parquet
              path: series.parquet
              timeColumn: time
              knowledgeLag: 0d
              frequency: minute
              columns:
                - { name: time, type: datetime }
            {{columns}}
            ---
            apiVersion: optaic.io/v1
            kind: FeatureSet
            metadata: { name: series-features }
            spec:
              source: series
              features:
            {{features}}
            ---
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: series }
            spec:
              category: relevance
              docs: { description: An imported model. }
              model:
                algorithm: onnx
                onnx: { path: onnx/model.onnx, input: x, output: y }
              training: { validation: { scheme: none } }
              inference: { transform: none }
              monitoring: {}
              tests: { gates: [] }
            ---
            apiVersion: optaic.io/v1
            kind: ModelInstance
            metadata: { name: series }
            spec:
              definition: series
              features: { featureSet: series-features }
              seed: 1
            """);
        if (!Directory.Exists(Path.Combine(root, ".git")))
        {
            LibGit2Sharp.Repository.Init(root);
        }
    }

    /// <summary>The bare steps: Parquet.Net reads the 20 columns, a bare session scores the same batches, Parquet.Net writes the scores.</summary>
    private static async Task Bare(string data, string onnx, string root, int rows)
    {
        var watch = Stopwatch.StartNew();
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(File.ReadAllBytes(onnx), options);
        using var runOptions = new RunOptions();
        var scoreField = new DataField<double>("score");
        await using var input = File.OpenRead(data);
        await using var reader = await ParquetReader.CreateAsync(input);
        await using var output = File.Create(Path.Combine(root, "bare-scores.parquet"));
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(scoreField), output);
        var fields = reader.Schema.DataFields.Where(f => f.Name.StartsWith('f')).ToArray();
        var column = new float[GroupRows];
        long scored = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            var matrix = new float[n * Features];
            for (var c = 0; c < fields.Length; c++)
            {
                await group.ReadAsync(fields[c], column.AsMemory(0, n));
                for (var r = 0; r < n; r++)
                {
                    matrix[(r * Features) + c] = column[r];
                }
            }
            using var x = OrtValue.CreateTensorValueFromMemory(matrix, [n, Features]);
            var y = new float[n];
            using var yValue = OrtValue.CreateTensorValueFromMemory(y, [n, 1]);
            session.Run(runOptions, ["x"], [x], ["y"], [yValue]);
            using var rowGroup = writer.CreateRowGroup();
            await rowGroup.WriteAsync(scoreField, new ReadOnlyMemory<double>([.. y.Select(v => (double)v)]));
            scored += n;
        }
        watch.Stop();
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"bare steps ({rows:N0} rows): {watch.Elapsed.TotalSeconds:F2} s for {scored:N0} scores; peak working set {self.PeakWorkingSet64 / 1e6:F0} MB");
    }
}
