using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply;

/// <summary>Work whose result would be byte-identical is not done again, and what apply reports is what it recorded.</summary>
public class NoWastedWorkTests
{
    private static readonly string[] Linear = ["spx-linear"];

    [Fact]
    public async Task Rows_appended_after_a_fixed_training_window_rescore_but_register_no_new_version()
    {
        using var repo = ExampleRepository.Create(Linear);
        (await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync()).Succeeded.ShouldBeTrue();

        File.AppendAllText(repo.File("specs/data/sp500-2000.csv"), "\n2020-04-20,2845.620117,2868.979980,2820.429932,2823.159912,2823.159912,5220160000");
        var plan = ReconcileSession.Open(repo.Path).Plan();

        plan.Actions.ShouldNotContain(a => a.Kind == ActionKind.Train, "the window ends in 2011: its rows did not change");
        plan.Actions.ShouldContain(a => a.Kind == ActionKind.Infer && a.Reasons.Contains("dataset spx-daily: content changed"));
        (await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync()).Succeeded.ShouldBeTrue();
        ReconcileSession.Open(repo.Path).Registry.GetVersionNumbers("spx-linear").ShouldBe([1]);

        // A row inside the window does retrain.
        repo.Edit("specs/data/sp500-2000.csv", "2011-12-01,", "2011-12-01,1");
        ReconcileSession.Open(repo.Path).Plan().Actions.ShouldContain(a => a.Kind == ActionKind.Train && a.Reasons.Contains("dataset spx-daily: content changed"));
    }

    [Fact]
    public async Task A_new_version_that_stays_in_staging_does_not_rescore_or_remonitor_with_the_unchanged_production_version()
    {
        using var repo = ExampleRepository.Create(Linear);
        (await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync()).Succeeded.ShouldBeTrue();
        var before = ReconcileSession.Open(repo.Path).Registry.GetInstanceStatus("spx-linear")!;
        // Promotion by pull request from now on, and a change that trains a new version.
        repo.Edit("specs/instances/spx-linear.yaml", "  seed: 7", "  seed: 8\n  promotion: { policy: manual }");

        var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        result.Succeeded.ShouldBeTrue();
        result.Outcomes.Single(o => o.Action.Kind == ActionKind.Train).Summary.ShouldContain("-> staging");
        result.Outcomes.Single(o => o.Action.Kind == ActionKind.Infer).Summary.ShouldStartWith("unchanged: version 1 still serves");
        result.Outcomes.Single(o => o.Action.Kind == ActionKind.Monitor).Summary.ShouldStartWith("unchanged");
        var session = ReconcileSession.Open(repo.Path);
        var after = session.Registry.GetInstanceStatus("spx-linear")!;
        after.Applied[AppliedActions.Infer].RunId.ShouldBe(before.Applied[AppliedActions.Infer].RunId, "no new inference run");
        after.Applied[AppliedActions.Infer].Output.ShouldBe(before.Applied[AppliedActions.Infer].Output);
        session.Registry.GetRuns("spx-linear").Count(r => r.Kind == RunKind.Inference).ShouldBe(1);
        session.Plan().Actions.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_alert_count_apply_reports_is_the_monitoring_records_and_runs_record_real_times()
    {
        using var repo = ExampleRepository.Create(Linear);
        var stages = new StageClock();

        var result = await new Applier(ReconcileSession.Open(repo.Path), new ApplyOptions { Progress = stages }).ApplyAsync();

        var registry = ReconcileSession.Open(repo.Path).Registry;
        var monitoring = registry.GetMonitoringRecords("spx-linear").Single();
        result.Outcomes.Single(o => o.Action.Kind == ActionKind.Monitor).Summary.ShouldEndWith($", {monitoring.Alerts.Count} alert(s)");
        var run = registry.GetRuns("spx-linear").Single(r => r.Kind == RunKind.Monitoring);
        Convert.ToInt32(run.Details["alerts"], System.Globalization.CultureInfo.InvariantCulture).ShouldBe(monitoring.Alerts.Count);
        // The training run's time covers the training, not only the registration after it: it starts before the fit is reported.
        var training = registry.GetRuns("spx-linear").Single(r => r.Kind == RunKind.Training);
        stages.Training.ShouldNotBeNull();
        training.StartedAt.ShouldBeLessThanOrEqualTo(stages.Training!.Value);
        training.FinishedAt!.Value.ShouldBeGreaterThan(stages.Training!.Value);
    }

    /// <summary>When the live display was told that training began.</summary>
    private sealed class StageClock : IProgress<ApplyEvent>
    {
        public DateTimeOffset? Training { get; private set; }

        public void Report(ApplyEvent value)
        {
            if (Training is null && value.Action.Kind == ActionKind.Train && value.Message.StartsWith("training ", StringComparison.Ordinal))
            {
                Training = DateTimeOffset.UtcNow;
            }
        }
    }
}
