using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using OptAIC.Engine.Data;
using OptAIC.Engine.Data.Profiles;

namespace OptAIC.Benchmarks;

/// <summary>
/// The cost of a dataset profile (issue 13) on the Parquet of <see cref="DataParquetReadBenchmarks"/>: 1,000,000 rows x
/// 20 columns (a timestamp and 19 doubles). The baseline is a bare Parquet.Net read of the same columns into arrays;
/// apply pays "read and profile" once per content version (the engine's read, then the profile of its frame).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
[MemoryDiagnoser]
public class DataProfileBenchmarks
{
    private readonly DataParquetReadBenchmarks _data = new();
    private Frame _frame = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data.Setup();
        _frame = DatasetReader.Read(_data.Dataset, _data.Root);
    }

    [GlobalCleanup]
    public void Cleanup() => _data.Cleanup();

    [Benchmark(Baseline = true, Description = "bare Parquet.Net into arrays")]
    public Task<int> BareParquetNet() => _data.BareParquetNet();

    [Benchmark(Description = "DatasetProfiler.Profile of the loaded frame")]
    public int ProfileOnly() => DatasetProfiler.Profile(_data.Dataset, _frame, "v", DateTimeOffset.UnixEpoch).Columns.Count;

    [Benchmark(Description = "read and profile (what apply pays once per content version)")]
    public int ReadAndProfile() =>
        DatasetProfiler.Profile(_data.Dataset, DatasetReader.Read(_data.Dataset, _data.Root), "v", DateTimeOffset.UnixEpoch).Columns.Count;
}
