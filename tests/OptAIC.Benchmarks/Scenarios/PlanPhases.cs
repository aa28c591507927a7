using System.Diagnostics;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>Where a plan's time goes on 1,000 instances: open (specs and lint), data versions, registry snapshot, planning.</summary>
public static class PlanPhases
{
    public static void Run()
    {
        var root = Path.Combine(Path.GetTempPath(), $"optaic-plan-phases-{Guid.NewGuid():N}");
        try
        {
            RepositoryGenerator.Write(root, instances: 1000, definitions: 100, featureSets: 100, datasets: 10);
            PlanScenario.Seed(root);
            for (var round = 0; round < 3; round++)
            {
                var watch = Stopwatch.StartNew();
                var session = ReconcileSession.Open(root);
                var open = watch.Elapsed.TotalMilliseconds;
                var context = session.PlanningContext();
                var versions = watch.Elapsed.TotalMilliseconds;
                var snapshot = session.Snapshot();
                var read = watch.Elapsed.TotalMilliseconds;
                var plan = Planner.Plan(session.Specs, snapshot, context);
                var total = watch.Elapsed.TotalMilliseconds;
                Console.WriteLine($"round {round}: open+lint {open:F0} ms, data versions {versions - open:F0} ms, registry snapshot {read - versions:F0} ms, planning {total - read:F0} ms; total {total:F0} ms; {plan.Actions.Count} actions");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
