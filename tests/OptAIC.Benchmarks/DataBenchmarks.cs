using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using OptAIC.Engine.Data;
using Parquet;
using Parquet.Schema;
using ParquetSharp;

namespace OptAIC.Benchmarks;

/// <summary>
/// Parquet to training-ready data: 1,000,000 rows x 20 columns (a UTC timestamp and 19 doubles,
/// 4 row groups, Snappy, written by Arrow C++ through ParquetSharp). The baseline reads the same
/// columns with bare Parquet.Net into arrays; the engine loads a sorted <see cref="Frame"/> with KnownAt.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 15)]
[MemoryDiagnoser]
public class DataParquetReadBenchmarks
{
    private const int Rows = 1_000_000;
    private const int Doubles = 19;
    private const int RowGroups = 4;

    private string _root = "";
    private string _path = "";
    private DatasetDescriptor _dataset = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "optaic-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _path = Path.Combine(_root, "features.parquet");
        var columns = new ParquetSharp.Column[Doubles + 1];
        columns[0] = new Column<DateTime>("time", LogicalType.Timestamp(true, ParquetSharp.TimeUnit.Micros));
        for (var c = 1; c <= Doubles; c++)
        {
            columns[c] = new Column<double>($"f{c}");
        }
        var random = new Random(42);
        var start = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using (var file = new ParquetFileWriter(_path, columns, new WriterPropertiesBuilder().Compression(Compression.Snappy).Build()))
        {
            const int PerGroup = Rows / RowGroups;
            for (var g = 0; g < RowGroups; g++)
            {
                using var group = file.AppendRowGroup();
                using (var w = group.NextColumn().LogicalWriter<DateTime>())
                {
                    w.WriteBatch([.. Enumerable.Range(g * PerGroup, PerGroup).Select(i => start.AddMinutes(i))]);
                }
                for (var c = 1; c <= Doubles; c++)
                {
                    using var w = group.NextColumn().LogicalWriter<double>();
                    w.WriteBatch([.. Enumerable.Range(0, PerGroup).Select(_ => random.NextDouble())]);
                }
            }
            file.Close();
        }
        _dataset = new DatasetDescriptor
        {
            Name = "features",
            Format = DatasetFormat.Parquet,
            Path = "features.parquet",
            TimeColumn = "time",
            KnowledgeLag = TimeSpan.FromDays(1),
            Columns = [.. Enumerable.Range(1, Doubles).Select(c => new DatasetColumn($"f{c}", Engine.Data.ColumnType.Double))],
        };
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    /// <summary>The dataset (for <see cref="DataProfileBenchmarks"/>), once set up.</summary>
    internal DatasetDescriptor Dataset => _dataset;

    internal string Root => _root;

    [Benchmark(Baseline = true, Description = "bare Parquet.Net into arrays")]
    public async Task<int> BareParquetNet()
    {
        await using var reader = await ParquetReader.CreateAsync(_path);
        var fields = reader.Schema.DataFields;
        var rows = checked((int)reader.Metadata!.NumRows);
        var time = new DateTime[rows];
        var values = new double[Doubles][];
        for (var c = 0; c < Doubles; c++)
        {
            values[c] = new double[rows];
        }
        var offset = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var group = reader.OpenRowGroupReader(g);
            var n = checked((int)group.RowCount);
            await group.ReadAsync(fields[0], time.AsMemory(offset, n));
            for (var c = 0; c < Doubles; c++)
            {
                await group.ReadAsync(fields[c + 1], values[c].AsMemory(offset, n));
            }
            offset += n;
        }
        return time.Length + values.Length;
    }

    [Benchmark(Description = "DatasetReader.Read to a sorted Frame")]
    public int EngineFrame()
    {
        var frame = DatasetReader.Read(_dataset, _root);
        var time = frame.Time;
        for (var i = 1; i < time.Length; i++)
        {
            if (time[i] < time[i - 1])
            {
                throw new InvalidOperationException("frame not sorted");
            }
        }
        return frame.RowCount + frame.ColumnNames.Count;
    }
}

/// <summary>The content version of an unchanged 100 MB dataset file (cache hit) against hashing its bytes.</summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class DataContentVersionBenchmarks
{
    private const int Size = 100 * 1024 * 1024;

    private string _root = "";
    private string _path = "";
    private DatasetDescriptor _dataset = null!;
    private ContentVersionCache _cache = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "optaic-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _path = Path.Combine(_root, "big.bin");
        var bytes = new byte[Size];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(_path, bytes);
        _dataset = new DatasetDescriptor { Name = "big", Path = "big.bin", TimeColumn = "time" };
        _cache = new ContentVersionCache(Path.Combine(_root, ".optaic", "cache", "content-versions.json"));
        _cache.VersionOf(_dataset, _root); // warm: the file is hashed once
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true, Description = "SHA-256 of the file")]
    public byte[] HashFile()
    {
        using var stream = File.OpenRead(_path);
        return SHA256.HashData(stream);
    }

    [Benchmark(Description = "VersionOf, unchanged file (cache hit)")]
    public string VersionOfCached() => _cache.VersionOf(_dataset, _root);

    [Benchmark(Description = "VersionOf, cold cache (hash + save)")]
    public string VersionOfCold() =>
        new ContentVersionCache(Path.Combine(_root, "cold-" + Guid.NewGuid().ToString("N") + ".json")).VersionOf(_dataset, _root);
}
