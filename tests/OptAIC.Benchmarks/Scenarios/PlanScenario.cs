using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Issue target: `optaic plan` with nothing to do on 1,000 instances whose datasets total 2 GB, under
/// 1.5 s for the whole process (content versions come from the cache for files that did not change).
/// The registry is seeded through the engine's own API so it matches the specs exactly.
/// </summary>
public static class PlanScenario
{
    public static void Run()
    {
        var optaic = ProcessTimer.Optaic();
        var root = Path.Combine(Path.GetTempPath(), $"optaic-plan-bench-{Guid.NewGuid():N}");
        try
        {
            RepositoryGenerator.Write(root, instances: 1000, definitions: 100, featureSets: 100, datasets: 10, bytesPerDataset: 200L * 1024 * 1024);
            var dataBytes = Directory.GetFiles(Path.Combine(root, "specs", "data")).Sum(f => new FileInfo(f).Length);
            Seed(root);

            var (cold, _, coldExit) = ProcessTimer.Time(optaic, "plan --detailed-exitcode", root, runs: 0, dropCache: () => File.Delete(Path.Combine(root, ".optaic", "cache", "content-versions.json")));
            var (warm, warmMin, warmExit) = ProcessTimer.Time(optaic, "plan --detailed-exitcode", root, runs: 7);
            var baselineHash = System.Diagnostics.Stopwatch.StartNew();
            foreach (var file in Directory.GetFiles(Path.Combine(root, "specs", "data")))
            {
                OptAIC.Engine.Data.ContentVersionCache.HashFile(file);
            }
            baselineHash.Stop();

            Console.WriteLine($"plan, generated repository: 1,000 instances, 100 definitions, 100 feature sets, datasets {dataBytes / 1e9:F2} GB");
            Console.WriteLine($"  optaic plan, nothing to do, warm cache (median of 7): {warm:F3} s (min {warmMin:F3} s, exit {warmExit})   target < 1.500 s");
            Console.WriteLine($"  optaic plan, cold cache (hashes every dataset):       {cold:F3} s (exit {coldExit})");
            Console.WriteLine($"  baseline: sha256 of the datasets alone:               {baselineHash.Elapsed.TotalSeconds:F3} s");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Registers one version per instance and records what was applied, as a complete apply would.</summary>
    internal static void Seed(string root)
    {
        var session = ReconcileSession.Open(root);
        session.EnsureValid();
        var context = session.PlanningContext();
        var store = session.Registry;
        var specs = session.Specs;
        foreach (var name in Planner.InstanceOrder(specs))
        {
            var instance = specs.Instances[name];
            var definition = specs.Definitions[instance.Value.Definition].Value;
            var snapshot = RegistryReader.ReadSome(store, [name]);
            var desired = DesiredFingerprints.For(specs, instance, definition, snapshot, context);
            store.RegisterVersion(new VersionRecord
            {
                Instance = name,
                Version = 1,
                CreatedAt = DateTimeOffset.UtcNow,
                Fingerprint = new Fingerprint { Value = desired.Train.Value, Parts = new(desired.Train.Parts.ToDictionary(), StringComparer.Ordinal) },
                Artifact = new ArtifactRef { MediaType = "application/zip" },
                EngineVersion = ReconcileSession.EngineVersion,
                TrainerVersion = ReconcileSession.TrainerVersion,
            }, [1, 2, 3], "card");
            store.ChangeStage(name, 1, Stage.Production, "bench", "seeded");
            var status = new InstanceStatus { Instance = name, Health = Health.Healthy };
            status.Applied[AppliedActions.Train] = Applied(desired.Train);
            store.SetInstanceStatus(status);
            desired = DesiredFingerprints.For(specs, instance, definition, RegistryReader.ReadSome(store, [name]), context);
            status.Applied[AppliedActions.Infer] = Applied(desired.Infer);
            store.SetInstanceStatus(status);
            desired = DesiredFingerprints.For(specs, instance, definition, RegistryReader.ReadSome(store, [name]), context);
            status.Applied[AppliedActions.Monitor] = Applied(desired.Monitor);
            store.SetInstanceStatus(status);
        }
    }

    private static AppliedAction Applied(FingerprintParts parts) => new()
    {
        Fingerprint = parts.Value,
        Parts = new SortedDictionary<string, string>(parts.Parts.ToDictionary(), StringComparer.Ordinal),
        At = DateTimeOffset.UtcNow,
        Version = 1,
    };
}
