using System.Diagnostics;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Plan;
using OptAIC.Tests.Plan;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;
using Xunit.Abstractions;

namespace OptAIC.Tests.Apply.Activities;

/// <summary>Every category of the example, trained, scored and monitored on the real data, in dependency order.</summary>
public class JobChainTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_category_trains_scores_within_its_guardrails_and_is_monitored()
    {
        var specs = PlannerTests.ExampleSpecs();
        var outputs = new Dictionary<string, Frame>(StringComparer.Ordinal);
        PredictionSource source = name => outputs[name];
        var watch = Stopwatch.StartNew();

        foreach (var name in Planner.InstanceOrder(specs))
        {
            var trained = TrainActivity.Run(specs, name, TestPaths.RepositoryRoot, source, CancellationToken.None);
            var scored = InferActivity.Run(specs, name, TestPaths.RepositoryRoot, trained.Bundle, 1, source, CancellationToken.None);
            outputs[name] = scored.Output;
            var report = MonitorActivity.Run(specs, name, TestPaths.RepositoryRoot, trained.Bundle, source, CancellationToken.None);

            output.WriteLine($"{name}: passed={trained.Passed} {string.Join(", ", trained.Metrics.Where(m => !m.Key.StartsWith("relevance", StringComparison.Ordinal)).Select(m => $"{m.Key}={m.Value:F3}"))}");
            output.WriteLine($"   scored {scored.RowsScored} rows {scored.From:yyyy-MM-dd}..{scored.To:yyyy-MM-dd} in [{scored.Min:F3}, {scored.Max:F3}]; drift share {report.DriftShare:F2}, alerts {report.Alerts.Count}, rolling rank IC {report.Performance?.RollingRankIc:F3}");

            trained.Gates.ShouldNotBeEmpty();
            scored.RowsScored.ShouldBeGreaterThan(100);
            var category = specs.Definitions[specs.Instances[name].Value.Definition].Value.Category;
            if (category is "signal" or "combining" or "filtering")
            {
                scored.Min.ShouldBeGreaterThanOrEqualTo(-1);
                scored.Max.ShouldBeLessThanOrEqualTo(1);
            }
            scored.Output.Numeric("model_version").ShouldAllBe(v => v == 1);
        }
        output.WriteLine($"whole chain: {watch.Elapsed.TotalSeconds:F1} s");
    }
}
