using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using OptAIC.Engine.ML.Training;

namespace OptAIC.Benchmarks;

/// <summary>
/// LightGBM regression on 5,000 rows x 12 features: the bare ML.NET call (LoadFromEnumerable + Fit,
/// with the same deterministic options the engine uses) against ModelTrainer.Train, which adds
/// validation, label checks and its array-backed IDataView.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10, invocationCount: 4)]
public class TrainingBenchmarks
{
    private const int Rows = 5_000;
    private const int Width = 12;
    private const int Seed = 42;
    private Row[] _rows = [];
    private TrainingRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (features, labels) = BenchmarkData.Make(Rows, Width);
        _rows = [.. Enumerable.Range(0, Rows).Select(i => new Row { Features = features.AsSpan(i * Width, Width).ToArray(), Label = (float)labels[i] })];
        var names = Enumerable.Range(0, Width).Select(j => $"f{j}").ToArray();
        var times = Enumerable.Range(0, Rows).Select(i => new DateTime(2000, 1, 1).AddDays(i)).ToArray();
        _request = new TrainingRequest("lightgbm", ModelTask.Regression, new Dictionary<string, object?>(), Seed,
            new TrainingData(features, Rows, names, labels, times));
    }

    [Benchmark(Baseline = true)]
    public ITransformer MlNetDirect()
    {
        var context = new MLContext(Seed);
        var data = context.Data.LoadFromEnumerable(_rows);
        var trainer = context.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
        {
            Seed = Seed,
            Deterministic = true,
            ForceColumnWise = true,
            NumberOfThreads = 1,
            Silent = true,
        });
        return trainer.Fit(data);
    }

    [Benchmark]
    public TrainedModel Engine() => ModelTrainer.Train(_request);

    public sealed class Row
    {
        [VectorType(Width)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}

/// <summary>
/// Scoring a 10,000-row batch with a trained LightGBM model: a PredictionEngine row by row (the
/// usual ML.NET way) against TrainedModel.Score (one transform over an in-memory view).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10, invocationCount: 8)]
public class TrainedModelScoringBenchmarks
{
    private const int Rows = 10_000;
    private const int Width = 12;
    private float[] _features = [];
    private float[] _output = [];
    private TrainingBenchmarks.Row[] _rows = [];
    private TrainedModel _model = null!;
    private PredictionEngine<TrainingBenchmarks.Row, Prediction> _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (features, labels) = BenchmarkData.Make(Rows, Width);
        _features = features;
        _output = new float[Rows];
        _rows = [.. Enumerable.Range(0, Rows).Select(i => new TrainingBenchmarks.Row { Features = features.AsSpan(i * Width, Width).ToArray() })];
        var names = Enumerable.Range(0, Width).Select(j => $"f{j}").ToArray();
        var times = Enumerable.Range(0, Rows).Select(i => new DateTime(2000, 1, 1).AddDays(i)).ToArray();
        _model = ModelTrainer.Train(new TrainingRequest("lightgbm", ModelTask.Regression, new Dictionary<string, object?>(), 1,
            new TrainingData(features, Rows, names, labels, times)));
        var context = new MLContext(1);
        var transformer = context.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { Seed = 1, NumberOfThreads = 1, Deterministic = true })
            .Fit(context.Data.LoadFromEnumerable(_rows.Select((r, i) => new TrainingBenchmarks.Row { Features = r.Features, Label = (float)labels[i] })));
        _engine = context.Model.CreatePredictionEngine<TrainingBenchmarks.Row, Prediction>(transformer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float PredictionEngineRowByRow()
    {
        var sum = 0f;
        foreach (var row in _rows)
        {
            sum += _engine.Predict(row).Score;
        }
        return sum;
    }

    [Benchmark]
    public float EngineBatchScore()
    {
        _model.Score(_features, Rows, _output);
        return _output[^1];
    }

    public sealed class Prediction
    {
        public float Score { get; set; }
    }
}

internal static class BenchmarkData
{
    /// <summary>Row-major standard-normal features and a label linear in the first three plus noise.</summary>
    public static (float[] Features, double[] Labels) Make(int rows, int width)
    {
        var random = new Random(7);
        var features = new float[rows * width];
        var labels = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < width; j++)
            {
                features[i * width + j] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            }
            labels[i] = 0.5 * features[i * width] - 0.3 * features[i * width + 1] + 0.2 * features[i * width + 2] + 0.5 * random.NextDouble();
        }
        return (features, labels);
    }
}
