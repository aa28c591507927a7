using System.Diagnostics;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Specs;
using YamlDotNet.RepresentationModel;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Issue target: `optaic lint` on 1,000 instances, 100 definitions, 100 feature sets under 1.0 s for
/// the whole process; the example under 0.3 s. Printed beside: parsing the same files with
/// YamlDotNet alone (the floor), and the engine's in-process lint.
/// </summary>
public static class LintScenario
{
    public static void Run(string repositoryRoot)
    {
        var optaic = ProcessTimer.Optaic();
        var temp = Path.Combine(Path.GetTempPath(), $"optaic-lint-bench-{Guid.NewGuid():N}");
        try
        {
            RepositoryGenerator.Write(temp, instances: 1000, definitions: 100, featureSets: 100, datasets: 10);
            var files = Directory.GetFiles(Path.Combine(temp, "specs"), "*.yaml", SearchOption.AllDirectories);

            var yamlOnly = Median(5, () =>
            {
                foreach (var file in files)
                {
                    var stream = new YamlStream();
                    stream.Load(new StringReader(File.ReadAllText(file)));
                }
            });
            var inProcess = Median(5, () => Linter.Run(new DirectorySpecSource(temp, ["specs"])));
            var report = Linter.Run(new DirectorySpecSource(temp, ["specs"]));
            var (generated, generatedMin, exitGenerated) = ProcessTimer.Time(optaic, "lint", temp, runs: 7);
            var (example, exampleMin, exitExample) = ProcessTimer.Time(optaic, "lint", repositoryRoot, runs: 7);

            Console.WriteLine($"lint, generated repository: {files.Length} files, {report.DocumentCount} documents, {report.Findings.Count} findings");
            Console.WriteLine($"  optaic lint, whole process (median of 7): {generated:F3} s (min {generatedMin:F3} s, exit {exitGenerated})   target < 1.000 s");
            Console.WriteLine($"  engine lint in process (median of 5):     {inProcess:F3} s");
            Console.WriteLine($"  YamlDotNet parse only (median of 5):      {yamlOnly:F3} s   ratio engine/parse: {inProcess / yamlOnly:F2}x");
            Console.WriteLine($"lint, example repository: optaic lint, whole process (median of 7): {example:F3} s (min {exampleMin:F3} s, exit {exitExample})   target < 0.300 s");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static double Median(int runs, Action action)
    {
        action();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
