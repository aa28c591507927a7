using System.Globalization;
using OptAIC.Engine.Registry;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Writes a registry of the size the Center's speed targets name (1,000 instances x 10 versions) through the real
/// <see cref="RegistryStore"/>: per instance, each version with its artifact, card, training run and stage change,
/// then an inference and a monitoring run (with a drift report of 13 features) per version, and the instance status.
/// </summary>
public static class RegistryGenerator
{
    public static readonly string[] Features = ["ret_1d", "ret_5d", "ret_20d", "ret_60d", "vol_20d", "vol_60d", "vol_ratio", "mom_12_1", "drawdown_252", "ma_gap_50", "volume_z", "range_hl", "ret_ewm_10"];

    /// <param name="first">The number of the first instance written (inst-NNNN), to add instances to a registry.</param>
    public static void Write(string registryRoot, int instances, int versions, int seed = 7, int first = 0)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Parallel.For(first, first + instances, i =>
        {
            var random = new Random(seed + i);
            var time = new FakeTime(start.AddMinutes(i));
            var store = new RegistryStore(registryRoot, time: time);
            var name = $"inst-{i:D4}";
            string? lastMonitor = null;
            for (var v = 1; v <= versions; v++)
            {
                time.Now = start.AddDays(v).AddMinutes(i);
                var trainId = $"{time.Now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-training-{i:x4}{v:x2}";
                var rankIc = 0.02 + (random.NextDouble() * 0.06);
                var record = new VersionRecord
                {
                    Instance = name,
                    Version = v,
                    CreatedAt = time.Now,
                    Definition = "gbm-signal",
                    Category = "signal",
                    Algorithm = "lightgbm",
                    Fingerprint = Fingerprint.Compute([new("seed", v.ToString(CultureInfo.InvariantCulture)), new("instance", name)]),
                    Features = [.. Features],
                    Target = "fwd_ret_5d",
                    TrainingWindow = new TrainingWindow { From = new DateOnly(2001, 1, 2), To = new DateOnly(2011, 12, 8), Rows = 2752 },
                    Hyperparameters = new(StringComparer.Ordinal) { ["learningRate"] = 0.05, ["numberOfLeaves"] = 15L },
                    Metrics = new(StringComparer.Ordinal) { ["rank_ic"] = rankIc, ["ic"] = rankIc * 1.1, ["hit_rate"] = 0.5 + (rankIc / 4), ["turnover"] = 0.003 },
                    Gates = [new GateResult { Metric = "rank_ic", Op = ">", Threshold = -0.05, Value = rankIc, Passed = true }],
                    Artifact = new ArtifactRef { MediaType = "application/vnd.optaic.model+zip" },
                    Lineage = new Lineage { Datasets = new(StringComparer.Ordinal) { ["spx-daily"] = new string((char)('a' + (v % 6)), 64) } },
                    EngineVersion = "0.1.0",
                    TrainerVersion = "Microsoft.ML 5.0.1",
                    TrainingRun = trainId,
                };
                store.RegisterVersion(record, BitConverter.GetBytes(((long)i << 16) + v), $"# Model card: {name} v{v}\n\nGenerated for the benchmark.\n");
                store.WriteRun(new RunRecord
                {
                    RunId = trainId,
                    Instance = name,
                    Kind = RunKind.Training,
                    Status = RunStatus.Succeeded,
                    StartedAt = time.Now,
                    FinishedAt = time.Now.AddSeconds(3),
                    Version = v,
                    Metrics = record.Metrics,
                    Gates = record.Gates,
                });
                store.ChangeStage(name, v, Stage.Production, "optaic", "auto: better rank_ic");
                var inferAt = time.Now.AddSeconds(5);
                store.WriteRun(new RunRecord
                {
                    RunId = $"{inferAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-inference-{i:x4}{v:x2}",
                    Instance = name,
                    Kind = RunKind.Inference,
                    Status = RunStatus.Succeeded,
                    StartedAt = inferAt,
                    FinishedAt = inferAt.AddSeconds(1),
                    Version = v,
                    Details = new(StringComparer.Ordinal) { ["rowsScored"] = 2086L, ["window"] = "2012-01-03..2020-04-17" },
                });
                var monitorAt = time.Now.AddSeconds(8);
                var monitorId = $"{monitorAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-monitoring-{i:x4}{v:x2}";
                var drifted = 0;
                var columns = new List<object?>();
                foreach (var feature in Features)
                {
                    var statistic = random.NextDouble() * 0.3;
                    drifted += statistic > 0.1 ? 1 : 0;
                    columns.Add(new SortedDictionary<string, object?>(StringComparer.Ordinal)
                    {
                        ["column"] = feature,
                        ["method"] = "wasserstein",
                        ["statistic"] = statistic,
                        ["threshold"] = 0.1,
                        ["drifted"] = statistic > 0.1,
                        ["referenceCount"] = 2752L,
                        ["currentCount"] = 1080L,
                        ["kind"] = "numerical",
                    });
                }
                var share = drifted / (double)Features.Length;
                var rolling = -0.1 + (random.NextDouble() * 0.2);
                store.WriteMonitoring(new MonitoringRecord
                {
                    RunId = monitorId,
                    Instance = name,
                    Version = v,
                    CreatedAt = monitorAt,
                    Report = new SortedDictionary<string, object?>(StringComparer.Ordinal)
                    {
                        ["columns"] = columns,
                        ["driftShare"] = share,
                        ["datasetDrift"] = share > 0.5,
                        ["datasetDriftThreshold"] = 0.5,
                        ["performance"] = new SortedDictionary<string, object?>(StringComparer.Ordinal) { ["rollingRankIc"] = rolling, ["decayThreshold"] = -0.05, ["decayed"] = rolling < -0.05, ["window"] = 60L },
                    },
                });
                store.WriteRun(new RunRecord
                {
                    RunId = monitorId,
                    Instance = name,
                    Kind = RunKind.Monitoring,
                    Status = RunStatus.Succeeded,
                    StartedAt = monitorAt,
                    FinishedAt = monitorAt.AddSeconds(1),
                    Version = v,
                    Details = new(StringComparer.Ordinal) { ["driftShare"] = share, ["rollingRankIc"] = rolling, ["alerts"] = 0L },
                });
                lastMonitor = monitorId;
            }
            store.SetInstanceStatus(new InstanceStatus
            {
                Instance = name,
                Health = Health.Healthy,
                HealthReason = $"version {versions} registered; last run succeeded",
                UpdatedAt = time.Now,
                Applied = new(StringComparer.Ordinal) { [AppliedActions.Monitor] = new AppliedAction { Fingerprint = "f", At = time.Now, RunId = lastMonitor, Version = versions } },
            });
        });
    }

    private sealed class FakeTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
