using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using OptAIC.Engine.Registry;

namespace OptAIC.Benchmarks;

/// <summary>
/// <c>optaic status</c> on a registry of 1,000 instances: per instance it reads instance.yaml, stages.yaml and
/// the latest version record. Baseline: File.ReadAllText of the same files (and the same directory listing
/// that finds the latest version), so the ratio is the cost of parsing and binding the records.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class RegistryBenchmarks
{
    private const int Instances = 1000;
    private const int VersionsPerInstance = 3;

    private string _root = "";
    private RegistryStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("optaic-registry-bench-").FullName;
        _store = new RegistryStore(Path.Combine(_root, "models"));
        var created = new DateTimeOffset(2024, 1, 31, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Instances; i++)
        {
            var instance = $"signal-{i:D4}";
            for (var v = 1; v <= VersionsPerInstance; v++)
            {
                _store.RegisterVersion(Record(instance, v, created), Encoding.UTF8.GetBytes($"{instance} v{v}"), "card\n");
                _store.ChangeStage(instance, v, Stage.Production, "bot", "policy auto");
            }

            _store.SetInstanceStatus(new InstanceStatus
            {
                Instance = instance,
                Health = Health.Healthy,
                HealthReason = "version 3 registered; last run succeeded",
                UpdatedAt = created,
                Applied = new(StringComparer.Ordinal)
                {
                    [AppliedActions.Train] = new AppliedAction { Fingerprint = new string('a', 64), At = created, RunId = "r-train", Version = 3 },
                    [AppliedActions.Infer] = new AppliedAction { Fingerprint = new string('b', 64), At = created, RunId = "r-infer", Version = 3 },
                    [AppliedActions.Monitor] = new AppliedAction { Fingerprint = new string('c', 64), At = created, RunId = "r-monitor", Version = 3 },
                },
            });
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true)]
    public long ReadAllText_same_files()
    {
        long chars = 0;
        foreach (var directory in Directory.EnumerateDirectories(Path.Combine(_root, "models")))
        {
            if (Path.GetFileName(directory) == RepositoryArtifactStore.FolderName)
            {
                continue;
            }

            var latest = Directory.EnumerateFiles(Path.Combine(directory, "versions"), "*.yaml").Max(StringComparer.Ordinal)!;
            chars += File.ReadAllText(Path.Combine(directory, "instance.yaml")).Length
                + File.ReadAllText(Path.Combine(directory, "stages.yaml")).Length
                + File.ReadAllText(latest).Length;
        }

        return chars;
    }

    [Benchmark]
    public int RegistryStore_GetSummaries() => _store.GetSummaries().Count;

    private static VersionRecord Record(string instance, int version, DateTimeOffset created) => new()
    {
        Instance = instance,
        Version = version,
        CreatedAt = created,
        Definition = "gbm-signal",
        Category = "signal",
        Algorithm = "lightgbm-regression",
        Fingerprint = Fingerprint.Compute(new Dictionary<string, string>
        {
            ["spec/instance"] = new string('1', 64),
            ["spec/definition"] = new string('2', 64),
            ["feature/ret_1d"] = new string('3', 64),
            ["feature/vol_20d"] = new string('4', 64),
            ["dataset/spx-daily"] = "v7",
            ["seed"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["engine"] = "0.1.0",
            ["trainer"] = "Microsoft.ML.LightGbm 5.0.1",
        }),
        Features = ["ret_1d", "ret_5d", "vol_20d", "rsi_14", "zscore_60d"],
        Target = "fwd_ret_5d",
        TrainingWindow = new TrainingWindow { From = new DateOnly(2005, 1, 3), To = new DateOnly(2019, 12, 31), Rows = 3750 },
        Hyperparameters = new(StringComparer.Ordinal) { ["learningRate"] = 0.05, ["numLeaves"] = 31L, ["minDataInLeaf"] = 20L, ["featureFraction"] = 0.8 },
        Metrics = new(StringComparer.Ordinal) { ["ic"] = 0.031, ["rankIc"] = 0.042, ["icir"] = 0.51, ["hitRate"] = 0.527, ["turnover"] = 0.18 },
        Gates = [new GateResult { Metric = "ic", Op = ">=", Threshold = 0.02, Value = 0.031, Passed = true }],
        Artifact = new ArtifactRef { MediaType = "application/zip" },
        Lineage = new Lineage { Datasets = new(StringComparer.Ordinal) { ["spx-daily"] = "v7" }, Parent = version > 1 ? version - 1 : null },
        EngineVersion = "0.1.0",
        TrainerVersion = "Microsoft.ML.LightGbm 5.0.1",
        TrainingRun = $"20240131T120000Z-training-{version:D6}",
    };
}
