using OptAIC.Engine.Registry;

namespace OptAIC.Tests.Registry;

/// <summary>A temporary folder deleted with everything in it (Git object files are read-only).</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("optaic-registry-").FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open elsewhere is left to the OS temp cleaner.
        }
    }
}

internal static class RegistryTestData
{
    public static readonly DateTimeOffset Created = new(2024, 1, 31, 12, 0, 0, TimeSpan.Zero);

    public static VersionRecord Version(string instance = "spx-alpha", int version = 1, string seed = "42") => new()
    {
        Instance = instance,
        Version = version,
        CreatedAt = Created,
        Definition = "gbm-signal",
        Category = "signal",
        Algorithm = "lightgbm-regression",
        Fingerprint = Fingerprint.Compute(new Dictionary<string, string>
        {
            ["spec"] = "abc",
            ["seed"] = seed,
            ["dataset/spx-daily"] = "v7",
        }),
        Features = ["ret_1d", "vol_20d"],
        Target = "fwd_ret_5d",
        TrainingWindow = new TrainingWindow { From = new DateOnly(2005, 1, 3), To = new DateOnly(2019, 12, 31), Rows = 3750 },
        Hyperparameters = new(StringComparer.Ordinal) { ["learningRate"] = 0.05, ["numLeaves"] = 31L, ["objective"] = "regression", ["flag"] = true },
        Metrics = new(StringComparer.Ordinal) { ["ic"] = 0.031, ["rankIc"] = 0.1, ["hitRate"] = double.NaN },
        Gates = [new GateResult { Metric = "ic", Op = ">=", Threshold = 0.02, Value = 0.031, Passed = true }],
        Artifact = new ArtifactRef { MediaType = "application/zip" },
        Lineage = new Lineage { Datasets = new(StringComparer.Ordinal) { ["spx-daily"] = "v7" }, Parent = version > 1 ? version - 1 : null, Outputs = ["spx-alpha-oos@1"] },
        EngineVersion = "0.1.0",
        TrainerVersion = "Microsoft.ML.LightGbm 5.0.1",
        TrainingRun = "20240131T120000Z-training-abc123",
    };

    /// <summary>A small artifact whose content differs per seed, like a real trained model would.</summary>
    public static byte[] Artifact(string seed = "42") => System.Text.Encoding.UTF8.GetBytes($"model weights for seed {seed}\n");
}
