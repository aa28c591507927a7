using System.Globalization;
using System.Text;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Writes a synthetic model repository of the size the speed targets name (e.g. 1,000 instances,
/// 100 definitions, 100 feature sets), valid under lint, so benchmarks measure real work.
/// </summary>
public static class RepositoryGenerator
{
    public static void Write(string root, int instances, int definitions, int featureSets, int datasets, long bytesPerDataset = 0)
    {
        var specs = Path.Combine(root, "specs");
        Directory.CreateDirectory(Path.Combine(specs, "data"));
        File.WriteAllText(Path.Combine(specs, "project.yaml"),
            "apiVersion: optaic.io/v1\nkind: Project\nmetadata:\n  name: generated\nspec:\n  dataRoot: specs/data\n");
        for (var d = 0; d < datasets; d++)
        {
            WriteCsv(Path.Combine(specs, "data", $"prices-{d}.csv"), bytesPerDataset);
            Write(specs, $"datasets/prices-{d}.yaml", $$"""
                apiVersion: optaic.io/v1
                kind: Dataset
                metadata:
                  name: prices-{{d}}
                spec:
                  format: csv
                  path: prices-{{d}}.csv
                  timeColumn: date
                  entityColumn: symbol
                  knowledgeLag: 0d
                  columns:
                    - { name: date, type: date }
                    - { name: symbol, type: string }
                    - { name: close, type: double }
                    - { name: volume, type: double }
                """);
        }
        for (var f = 0; f < featureSets; f++)
        {
            var features = new StringBuilder();
            foreach (var window in new[] { 1, 5, 10, 20, 60 })
            {
                features.Append(CultureInfo.InvariantCulture, $"    - {{ name: ret_{window}, expr: \"log_return(close, {window})\" }}\n");
                features.Append(CultureInfo.InvariantCulture, $"    - {{ name: vol_{window}, expr: \"rolling_std(log_return(close, 1), {window + 1})\" }}\n");
            }
            features.Append("    - { name: volume_z, expr: \"rolling_zscore(log(volume), 60)\" }\n");
            features.Append("    - { name: drawdown, expr: \"drawdown(close, 252)\" }\n");
            Write(specs, $"features/features-{f}.yaml", $$"""
                apiVersion: optaic.io/v1
                kind: FeatureSet
                metadata:
                  name: features-{{f}}
                spec:
                  source: prices-{{f % datasets}}
                  features:
                {{features.ToString().TrimEnd()}}
                  targets:
                    - { name: fwd_ret_5d, expr: "forward_return(close, 5)" }
                """);
        }
        for (var m = 0; m < definitions; m++)
        {
            Write(specs, $"definitions/definition-{m}.yaml", $$"""
                apiVersion: optaic.io/v1
                kind: ModelDefinition
                metadata:
                  name: definition-{{m}}
                spec:
                  category: signal
                  docs: { description: Generated signal definition {{m}}. }
                  model:
                    algorithm: lightgbm
                    hyperparameters:
                      type: object
                      additionalProperties: false
                      properties:
                        learningRate: { type: number, exclusiveMinimum: 0, maximum: 1, default: 0.05 }
                        numberOfLeaves: { type: integer, minimum: 2, default: 15 }
                  training:
                    validation: { scheme: purged-kfold, folds: 5 }
                    metrics: [ic, rank_ic, hit_rate, turnover]
                  inference: { transform: tanh-zscore, bounds: [-1, 1] }
                  monitoring:
                    drift: { method: auto }
                  tests:
                    gates:
                      - { metric: rank_ic, op: ">", threshold: -0.1 }
                """);
        }
        for (var i = 0; i < instances; i++)
        {
            Write(specs, $"instances/instance-{i}.yaml", $$"""
                apiVersion: optaic.io/v1
                kind: ModelInstance
                metadata:
                  name: instance-{{i}}
                spec:
                  definition: definition-{{i % definitions}}
                  features: { featureSet: features-{{i % featureSets}} }
                  target: fwd_ret_5d
                  training: { start: "2000-01-01", end: "2011-12-15" }
                  inference: { start: "2012-01-01" }
                  hyperparameters: { learningRate: 0.0{{1 + (i % 9)}} }
                  seed: {{i}}
                """);
        }
    }

    /// <summary>A daily price file of about <paramref name="bytes"/> bytes (at least one row).</summary>
    private static void WriteCsv(string path, long bytes)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
        // A panel: 1,000 symbols a day, so a large file spans decades, not millennia.
        writer.Write("date,symbol,close,volume\n");
        var day = new DateTime(1990, 1, 1);
        long written = 25;
        var random = new Random(7);
        do
        {
            for (var symbol = 0; symbol < 1000 && written < bytes; symbol++)
            {
                var line = string.Create(CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd},S{symbol:D4},{50 + (random.NextDouble() * 100):F4},{random.Next(1000, 100000)}\n");
                writer.Write(line);
                written += line.Length;
            }
            day = day.AddDays(1);
        }
        while (written < bytes);
    }

    private static void Write(string specs, string relative, string content)
    {
        var path = Path.Combine(specs, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content + "\n");
    }
}
