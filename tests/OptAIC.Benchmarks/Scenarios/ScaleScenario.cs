using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Data;
using OptAIC.Engine.Plan;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Users' data at scale: a generated panel (entities x business days) of <c>rows</c> rows and 20 columns
/// (time, entity, 17 features, a label source) in Parquet, with a LightGBM signal instance over it.
/// <c>apply</c> runs the whole apply in this process (train on 80 %, score and monitor the rest) and
/// reports wall time and peak memory; <c>bare</c> times the bare ML.NET call on the same training rows
/// (the baseline). Run each mode in its own process so that peak memory is its own:
///   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario scale 5000000 apply
///   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario scale 5000000 bare
/// </summary>
internal static class ScaleScenario
{
    private const int Width = 17;
    private const int Entities = 1000;
    private const int Seed = 7;

    public static void Run(int rows, string mode)
    {
        var root = Path.Combine(Path.GetTempPath(), $"optaic-scale-{rows}");
        var data = Path.Combine(root, "data", "panel.parquet");
        if (!File.Exists(data))
        {
            var watch = Stopwatch.StartNew();
            Generate(root, data, rows);
            Console.WriteLine($"generated {rows:N0} rows x {Width + 3} columns in {watch.Elapsed.TotalSeconds:F1} s ({new FileInfo(data).Length / 1e6:F0} MB)");
        }
        if (mode == "bare")
        {
            Bare(root, rows);
            return;
        }
        WriteSpecs(root, rows);
        // Every apply run starts from an empty registry, so it trains, scores and monitors for real.
        foreach (var state in new[] { Path.Combine(root, "models"), Path.Combine(root, ".optaic") })
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
        var total = Stopwatch.StartNew();
        var session = ReconcileSession.Open(root);
        var plan = total.Elapsed;
        var result = new Applier(session, new ApplyOptions { Commit = false }).ApplyAsync().GetAwaiter().GetResult();
        total.Stop();
        using var self = Process.GetCurrentProcess();
        foreach (var outcome in result.Outcomes)
        {
            Console.WriteLine($"  {outcome.Action.Id}: {outcome.Status} {outcome.Summary}");
        }
        Console.WriteLine($"apply {rows:N0} rows: {total.Elapsed.TotalSeconds:F1} s (open + data checks {plan.TotalSeconds:F1} s), peak working set {self.PeakWorkingSet64 / 1e9:F2} GB, succeeded {result.Succeeded}");
        // The phases each run recorded (load: data and features; train, score, monitor: the work itself; write: artifacts).
        foreach (var run in ReconcileSession.Open(root).Registry.GetRuns("scale-alpha"))
        {
            var phases = run.Details.GetValueOrDefault("phases") is IDictionary<string, object?> p
                ? string.Join(", ", p.Select(kv => $"{kv.Key} {Convert.ToDouble(kv.Value, System.Globalization.CultureInfo.InvariantCulture):F2} s"))
                : "no phases";
            Console.WriteLine($"  {run.Kind} run: {phases}");
        }
    }

    private static int Days(int rows) => rows / Entities;

    private static DateTime Day(int d) => BusinessDays(new DateTime(2000, 1, 3, 0, 0, 0, DateTimeKind.Utc), d);

    private static DateTime BusinessDays(DateTime start, int n) => start.AddDays((n / 5 * 7) + (n % 5));

    private static void Generate(string root, string path, int rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var days = Days(rows);
        var n = days * Entities;
        var time = new DateTime[n];
        var entity = new string[n];
        var names = Enumerable.Range(0, Entities).Select(e => $"A{e:D4}").ToArray();
        var random = new Random(Seed);
        var frame = new Frame(time, entity);
        var columns = new double[Width + 1][];
        for (var j = 0; j < columns.Length; j++)
        {
            columns[j] = new double[n];
        }
        for (var d = 0; d < days; d++)
        {
            var t = Day(d);
            for (var e = 0; e < Entities; e++)
            {
                var i = (d * Entities) + e;
                time[i] = t;
                entity[i] = names[e];
                var signal = 0.0;
                for (var j = 0; j < Width; j++)
                {
                    var x = random.NextDouble() - 0.5;
                    columns[j][i] = x;
                    signal += j < 4 ? x : 0;
                }
                columns[Width][i] = (0.1 * signal) + (0.5 * (random.NextDouble() - 0.5));
            }
        }
        for (var j = 0; j < Width; j++)
        {
            frame.AddNumeric($"f{j}", columns[j]);
        }
        frame.AddNumeric("y", columns[Width]);
        ParquetFrameWriter.Write(path, frame);
        _ = root;
    }

    private static void WriteSpecs(string root, int rows)
    {
        var days = Days(rows);
        var trainEnd = Day((int)(days * 0.8));
        var inferStart = Day((int)(days * 0.8) + 5);
        var specs = Path.Combine(root, "specs");
        Directory.CreateDirectory(specs);
        var columns = string.Join("\n", Enumerable.Range(0, Width).Select(j => $"    - {{ name: f{j}, type: double }}"));
        var features = string.Join("\n", Enumerable.Range(0, Width).Select(j => $"    - {{ name: x{j}, expr: \"f{j}\" }}"));
        File.WriteAllText(Path.Combine(specs, "scale.yaml"), $$"""
            apiVersion: optaic.io/v1
            kind: Project
            metadata: { name: scale }
            spec: { dataRoot: data }
            ---
            apiVersion: optaic.io/v1
            kind: Dataset
            metadata: { name: panel }
            spec:
              format: parquet
              path: panel.parquet
              timeColumn: time
              entityColumn: entity
              knowledgeLag: 0d
              frequency: business-day
              columns:
                - { name: time, type: datetime }
                - { name: entity, type: category }
            {{columns}}
                - { name: y, type: double }
            ---
            apiVersion: optaic.io/v1
            kind: FeatureSet
            metadata: { name: panel-features }
            spec:
              source: panel
              features:
            {{features}}
              targets:
                - { name: next_y, expr: "lead(y, 1)" }
            ---
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: scale-gbm }
            spec:
              category: signal
              docs: { description: Scale test. }
              model:
                algorithm: lightgbm
                task: regression
                hyperparameters:
                  type: object
                  properties:
                    numberOfIterations: { type: integer, default: 100 }
                    numberOfLeaves: { type: integer, default: 31 }
              training: { validation: { scheme: none }, metrics: [ic, rank_ic] }
              inference: { transform: tanh-zscore, bounds: [-1, 1] }
              monitoring:
                drift: { method: psi, datasetShare: 0.5 }
              tests: { gates: [] }
            ---
            apiVersion: optaic.io/v1
            kind: ModelInstance
            metadata: { name: scale-alpha }
            spec:
              definition: scale-gbm
              features: { featureSet: panel-features }
              target: next_y
              training: { start: "2000-01-03", end: "{{trainEnd:yyyy-MM-dd}}" }
              inference: { start: "{{inferStart:yyyy-MM-dd}}" }
              seed: {{Seed}}
            """);
        if (!Directory.Exists(Path.Combine(root, ".git")))
        {
            LibGit2Sharp.Repository.Init(root);
        }
    }

    /// <summary>The baseline: the same training rows (80 %, features f0..f16, label y of the next day) straight into ML.NET.</summary>
    private static void Bare(string root, int rows)
    {
        var dataset = new DatasetDescriptor
        {
            Name = "panel",
            Format = DatasetFormat.Parquet,
            Path = "data/panel.parquet",
            TimeColumn = ParquetFrameWriter.TimeColumn,
            EntityColumn = ParquetFrameWriter.EntityColumn,
            Columns = [new(ParquetFrameWriter.TimeColumn, ColumnType.DateTime), new(ParquetFrameWriter.EntityColumn, ColumnType.Category), .. Enumerable.Range(0, Width).Select(j => new DatasetColumn($"f{j}", ColumnType.Double)), new("y", ColumnType.Double)],
        };
        var frame = DatasetReader.Read(dataset, root);
        var days = Days(rows);
        var train = (int)(days * 0.8) * Entities;
        var columns = Enumerable.Range(0, Width).Select(j => frame.Numeric($"f{j}")).ToArray();
        var y = frame.Numeric("y");
        var watch = Stopwatch.StartNew();
        var items = new Row[train - Entities];
        for (var i = 0; i < items.Length; i++)
        {
            var features = new float[Width];
            for (var j = 0; j < Width; j++)
            {
                features[j] = (float)columns[j][i];
            }
            // Rows are (time, entity) ordered: the same entity's next day is Entities rows on.
            items[i] = new Row { Features = features, Label = (float)y[i + Entities] };
        }
        var context = new MLContext(Seed);
        var view = context.Data.LoadFromEnumerable(items);
        var model = context.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
        {
            Seed = Seed,
            Deterministic = true,
            ForceColumnWise = true,
            NumberOfThreads = 1,
            Silent = true,
            NumberOfIterations = 100,
            NumberOfLeaves = 31,
        }).Fit(view);
        watch.Stop();
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"bare ML.NET LightGBM on {items.Length:N0} rows x {Width}: {watch.Elapsed.TotalSeconds:F1} s, peak working set {self.PeakWorkingSet64 / 1e9:F2} GB ({model.GetType().Name})");
    }

    private sealed class Row
    {
        [VectorType(Width)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}
