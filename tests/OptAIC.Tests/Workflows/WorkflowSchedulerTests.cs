using OptAIC.Engine.Workflows;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Workflows;

public class WorkflowSchedulerTests
{
    private static WorkflowDefinition Training(string activity = "Work") =>
        new WorkflowBuilder("train").Step("train", activity, s => s.Input("value", "=inputs.instance")).Build();

    private static ScheduledRun Run(TempWorkRoot root, string instance, string activity = "Work", params string[] after) =>
        new(Training(activity), root.Request("train", $"train-{instance}", new() { ["instance"] = instance })) { After = after };

    [Fact]
    public async Task Runs_start_after_the_runs_they_read_and_a_failed_upstream_run_stops_its_dependents_only()
    {
        using var root = new TempWorkRoot();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var registry = new ActivityRegistry().Register("Work", async (ctx, ct) =>
        {
            var instance = ctx.GetInput<string>("value");
            order.Enqueue($"start {instance}");
            await Task.Delay(instance.StartsWith("signal", StringComparison.Ordinal) ? 20 : 1, ct);
            order.Enqueue($"end {instance}");
            return new ActivityOutput();
        }).Register("Fail", (_, _) => throw new InvalidOperationException("no data"));
        var plan = new[]
        {
            Run(root, "ensemble", "Work", "train-signal-a", "train-signal-b"),
            Run(root, "signal-a"),
            Run(root, "signal-b"),
            Run(root, "signal-c", "Fail"),
            Run(root, "filter", "Work", "train-signal-c"),
            Run(root, "regime"),
        };
        var scheduler = new WorkflowScheduler(new WorkflowExecutor(registry), maxParallelRuns: 2);

        var summaries = await scheduler.RunAllAsync(plan);

        summaries.Select(s => (s.RunId, s.Status)).ShouldBe(
        [
            ("train-ensemble", RunStatus.Succeeded),
            ("train-signal-a", RunStatus.Succeeded),
            ("train-signal-b", RunStatus.Succeeded),
            ("train-signal-c", RunStatus.Failed),
            ("train-filter", RunStatus.NotRun),
            ("train-regime", RunStatus.Succeeded),
        ]);
        summaries[4].Error.ShouldBe("run 'train-signal-c' did not succeed");
        var log = order.ToList();
        log.IndexOf("start ensemble").ShouldBeGreaterThan(log.IndexOf("end signal-a"));
        log.IndexOf("start ensemble").ShouldBeGreaterThan(log.IndexOf("end signal-b"));
        log.ShouldNotContain("start filter");
        RunJournal.ReadSummary(root.Path, "train-filter").ShouldBeNull();
    }

    [Fact]
    public async Task Running_a_plan_again_after_a_failure_reruns_only_what_did_not_succeed()
    {
        using var root = new TempWorkRoot();
        var recorder = new Recorder();
        var plan = new[] { Run(root, "a"), Run(root, "b", "Fail"), Run(root, "c", "Work", "train-b") };
        (await new WorkflowScheduler(new WorkflowExecutor(recorder.Registry)).RunAllAsync(plan))
            .Select(s => s.Status).ShouldBe([RunStatus.Succeeded, RunStatus.Failed, RunStatus.NotRun]);

        // The cause is fixed: "Fail" now works; the same run ids resume.
        var fixedRecorder = new Recorder();
        fixedRecorder.Registry.Register("Fail", fixedRecorder.Registry.Create("Work").ExecuteAsync);
        var summaries = await new WorkflowScheduler(new WorkflowExecutor(fixedRecorder.Registry)).RunAllAsync(plan);

        summaries.ShouldAllBe(s => s.Status == RunStatus.Succeeded);
        fixedRecorder.Invocations.Values.Sum().ShouldBe(2); // b and c; a was done
    }

    [Fact]
    public async Task An_invalid_plan_is_refused_with_every_problem()
    {
        using var root = new TempWorkRoot();
        var plan = new[] { Run(root, "a", "Work", "train-b"), Run(root, "b", "Work", "train-a"), Run(root, "c", "Work", "train-x") };

        var ex = await Should.ThrowAsync<WorkflowDefinitionException>(() => new WorkflowScheduler(new WorkflowExecutor(new Recorder().Registry)).RunAllAsync(plan));

        ex.Problems.ShouldBe(
        [
            "run 'train-c' depends on 'train-x', which does not exist",
            "dependency cycle: train-a -> train-b -> train-a (each run depends on the next)",
        ]);
    }

    [Fact]
    public async Task A_cancelled_plan_reports_the_runs_it_never_started()
    {
        using var root = new TempWorkRoot();
        using var cts = new CancellationTokenSource();
        var registry = new ActivityRegistry().Register("Work", async (_, ct) =>
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            return new ActivityOutput();
        });
        var plan = new[] { Run(root, "a"), Run(root, "b", "Work", "train-a") };

        var summaries = await new WorkflowScheduler(new WorkflowExecutor(registry)).RunAllAsync(plan, cts.Token);

        summaries.Select(s => s.Status).ShouldBe([RunStatus.Cancelled, RunStatus.NotRun]);
        summaries[1].Error.ShouldBe("cancelled before it started");
    }
}
