using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Monitoring;

namespace OptAIC.Benchmarks;

/// <summary>
/// The drift report (KS with p-value, PSI, normalised Wasserstein on every column) over 20 numerical columns,
/// with <see cref="Rows"/> reference rows and as many current rows, against the floor: copying and
/// Array.Sort-ing every column of both samples, in parallel over columns like the engine.
/// "build + compare" includes preparing the reference (done once per model version in practice);
/// "compare" reuses a prepared reference.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class MonitoringBenchmarks
{
    private const int Columns = 20;

    private Frame _reference = null!;
    private Frame _current = null!;
    private DriftReference _prepared = null!;

    [Params(500_000, 1_000_000)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _reference = Table(random, Rows, shift: 0);
        _current = Table(random, Rows, shift: 0.05);
        _prepared = DriftReference.Build(_reference);
    }

    [Benchmark(Baseline = true, Description = "floor: copy + Array.Sort every column of both samples")]
    public double SortOnly()
    {
        var columns = _reference.NumericColumns.Values.Concat(_current.NumericColumns.Values).ToArray();
        var last = new double[columns.Length];
        Parallel.For(0, columns.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var copy = (double[])columns[i].Clone();
            Array.Sort(copy);
            last[i] = copy[^1];
        });
        return last.Sum();
    }

    [Benchmark(Description = "drift report: build reference + compare")]
    public double BuildAndCompare()
    {
        var report = DriftDetector.Compare(DriftReference.Build(_reference), _current);
        return report.DriftShare;
    }

    [Benchmark(Description = "drift report: compare with a prepared reference")]
    public double CompareOnly() => DriftDetector.Compare(_prepared, _current).DriftShare;

    private static Frame Table(Random random, int rows, double shift)
    {
        var frame = new Frame([.. Enumerable.Range(0, rows).Select(i => new DateTime(2000, 1, 1).AddMinutes(i))]);
        for (var c = 0; c < Columns; c++)
        {
            var values = new double[rows];
            for (var i = 0; i < rows; i++)
            {
                // Box-Muller normal, with a few missing values.
                values[i] = i % 997 == 0
                    ? double.NaN
                    : shift + (Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            }
            frame.AddNumeric($"f{c:D2}", values);
        }
        return frame;
    }
}
