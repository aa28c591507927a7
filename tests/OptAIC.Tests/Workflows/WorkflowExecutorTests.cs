using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using OptAIC.Engine.Workflows;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Workflows;

public class WorkflowExecutorTests
{
    private static readonly TimeSpan Tiny = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task A_step_never_starts_before_its_dependencies_complete()
    {
        using var root = new TempWorkRoot();
        var recorder = new Recorder();
        // A diamond with a tail, and delays so that a wrong order would show.
        var workflow = new WorkflowBuilder("diamond")
            .Step("tail", "Work", s => s.DependsOn("join"))
            .Step("join", "Work", s => s.DependsOn("left", "right"))
            .Step("left", "Work", s => s.DependsOn("root").Input("delayMs", 20))
            .Step("right", "Work", s => s.DependsOn("root"))
            .Step("root", "Work", s => s.Input("delayMs", 10))
            .Step("loner", "Work")
            .Build();

        var summary = await new WorkflowExecutor(recorder.Registry, new() { MaxDegreeOfParallelism = 4 }).RunAsync(workflow, root.Request("diamond"));

        summary.Status.ShouldBe(RunStatus.Succeeded, summary.Error);
        foreach (var step in workflow.Steps)
        {
            foreach (var dependency in step.Dependencies())
            {
                recorder.Order[step.Id].Start.ShouldBeGreaterThan(recorder.Order[dependency].End, $"{step.Id} started before {dependency} ended");
            }
        }

        recorder.Invocations.Values.ShouldAllBe(n => n == 1);
    }

    [Fact]
    public async Task No_more_steps_run_at_once_than_the_bound()
    {
        using var root = new TempWorkRoot();
        var running = 0;
        var peak = 0;
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new ActivityRegistry().Register("Hold", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            if (now == 3)
            {
                full.TrySetResult();
            }

            // The first steps wait until the bound is reached, so the test sees real overlap, not luck.
            await Task.WhenAny(full.Task, Task.Delay(TimeSpan.FromSeconds(5), ct));
            await Task.Delay(Tiny, ct);
            Interlocked.Decrement(ref running);
            return new ActivityOutput();
        });
        var builder = new WorkflowBuilder("wide");
        for (var i = 0; i < 10; i++)
        {
            builder.Step($"s{i}", "Hold");
        }

        var summary = await new WorkflowExecutor(registry, new() { MaxDegreeOfParallelism = 3 }).RunAsync(builder.Build(), root.Request("wide"));

        summary.Status.ShouldBe(RunStatus.Succeeded, summary.Error);
        full.Task.IsCompleted.ShouldBeTrue();
        peak.ShouldBe(3);
    }

    [Fact]
    public async Task Independent_steps_that_block_synchronously_still_run_side_by_side()
    {
        using var root = new TempWorkRoot();
        using var bothStarted = new CountdownEvent(2);
        var registry = new ActivityRegistry().Register("Cpu", (_, ct) =>
        {
            // Synchronous work, as a trainer that does not yield: each waits to see the other running.
            bothStarted.Signal();
            var sawOther = bothStarted.Wait(TimeSpan.FromSeconds(10), ct);
            return Task.FromResult(new ActivityOutput().Set("sawOther", sawOther));
        });
        var workflow = new WorkflowBuilder("w").Step("a", "Cpu").Step("b", "Cpu").Build();

        var summary = await new WorkflowExecutor(registry, new() { MaxDegreeOfParallelism = 2 }).RunAsync(workflow, root.Request("w"));

        summary.Steps.ShouldAllBe(s => s.Outputs["sawOther"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Inputs_resolve_literals_run_inputs_and_upstream_outputs_including_nested_ones()
    {
        using var root = new TempWorkRoot();
        JsonObject? seen = null;
        var registry = new Recorder().Registry.Register("Combine", (ctx, _) =>
        {
            seen = new JsonObject(ctx.Inputs.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            return Task.FromResult(new ActivityOutput().Set("weights", ctx.GetInput<double[]>("weights")));
        });
        var workflow = new WorkflowBuilder("combine")
            .Step("alpha", "Work", s => s.Input("value", new { ic = 0.04, path = "a.parquet" }))
            .Step("beta", "Work", s => s.Input("add", "=inputs.offset"))
            .Step("mix", "Combine", s => s
                .Input("signals", new[] { "=alpha.value.path", "=beta.value" })
                .Input("ic", "=alpha.value.ic")
                .Input("beta", "=beta")
                .Input("instance", "=inputs.instance")
                .Input("weights", new[] { 0.5, 0.5 })
                .Input("escaped", "==x"))
            .Build();
        var request = root.Request("combine", inputs: new() { ["offset"] = 2.0, ["instance"] = "spx-ensemble" });

        var summary = await new WorkflowExecutor(registry).RunAsync(workflow, request);

        summary.Status.ShouldBe(RunStatus.Succeeded, summary.Error);
        seen!["signals"]!.ToJsonString().ShouldBe("""["a.parquet","beta"]""");
        seen["ic"]!.GetValue<double>().ShouldBe(0.04);
        seen["beta"]!["sum"]!.GetValue<double>().ShouldBe(3.0); // offset 2 + 1
        seen["instance"]!.GetValue<string>().ShouldBe("spx-ensemble");
        seen["escaped"]!.GetValue<string>().ShouldBe("=x");
        summary.Step("mix").Outputs["weights"]!.ToJsonString().ShouldBe("[0.5,0.5]");
    }

    [Fact]
    public async Task A_reference_to_a_missing_output_fails_the_step_naming_what_exists()
    {
        using var root = new TempWorkRoot();
        var recorder = new Recorder();
        var workflow = new WorkflowBuilder("w")
            .Step("a", "Work")
            .Step("b", "Work", s => s.Input("model", "=a.modelPath").Retry(3, Tiny))
            .Build();

        var summary = await new WorkflowExecutor(recorder.Registry).RunAsync(workflow, root.Request("w"));

        summary.Status.ShouldBe(RunStatus.Failed);
        summary.Step("b").Error.ShouldBe("ActivityInputException: Step 'b' input 'model': '=a.modelPath' names 'modelPath', which is not among [value, sum].");
        summary.Step("b").Attempts.ShouldBe(1); // Input errors are not retried.
        recorder.Count("b").ShouldBe(0);
    }

    [Fact]
    public async Task A_flaky_step_succeeds_on_the_third_attempt_and_the_journal_records_each_attempt()
    {
        using var root = new TempWorkRoot();
        var calls = 0;
        var registry = new ActivityRegistry().Register("Flaky", (ctx, _) =>
        {
            Interlocked.Increment(ref calls);
            return ctx.Attempt < 3
                ? throw new IOException($"share unavailable (attempt {ctx.Attempt})")
                : Task.FromResult(new ActivityOutput().Set("attempt", ctx.Attempt));
        });
        var workflow = new WorkflowBuilder("w").Step("load", "Flaky", s => s.Retry(5, Tiny, TimeSpan.FromMilliseconds(4))).Build();

        var summary = await new WorkflowExecutor(registry).RunAsync(workflow, root.Request("w"));

        summary.Status.ShouldBe(RunStatus.Succeeded, summary.Error);
        summary.Step("load").Attempts.ShouldBe(3);
        summary.Step("load").Outputs["attempt"]!.GetValue<int>().ShouldBe(3);
        calls.ShouldBe(3);
        var events = RunJournal.Read(root.JournalPath()).Where(e => e.StepId == "load")
            .Select(e => $"{e.Type}:{e.Attempt}:{e.WillRetry}:{e.Error}").ToList();
        events.ShouldBe(
        [
            "ActivityStarted:1::",
            "ActivityFailed:1:True:IOException: share unavailable (attempt 1)",
            "ActivityStarted:2::",
            "ActivityFailed:2:True:IOException: share unavailable (attempt 2)",
            "ActivityStarted:3::",
            "ActivityCompleted:3::",
        ]);
    }

    [Fact]
    public async Task A_step_that_keeps_failing_fails_after_its_last_attempt()
    {
        using var root = new TempWorkRoot();
        var recorder = new Recorder();
        var workflow = new WorkflowBuilder("w").Step("a", "Fail", s => s.Retry(2, Tiny)).Build();

        var summary = await new WorkflowExecutor(recorder.Registry).RunAsync(workflow, root.Request("w"));

        summary.Status.ShouldBe(RunStatus.Failed);
        summary.Error.ShouldBe("a: InvalidOperationException: a broke");
        recorder.Count("a").ShouldBe(2);
        var last = RunJournal.Read(root.JournalPath()).Last(e => e.Type == JournalEventType.ActivityFailed);
        (last.Attempt, last.WillRetry).ShouldBe((2, false));
    }

    [Fact]
    public async Task A_timeout_ends_a_hung_attempt_and_the_retry_can_succeed()
    {
        using var root = new TempWorkRoot();
        var registry = new ActivityRegistry().Register("Hang", async (ctx, ct) =>
        {
            if (ctx.Attempt == 1 || ctx.StepId == "always")
            {
                await Task.Delay(Timeout.Infinite, ct);
            }

            return new ActivityOutput();
        });
        var workflow = new WorkflowBuilder("w")
            .Step("once", "Hang", s => s.Timeout(TimeSpan.FromMilliseconds(50)).Retry(2, Tiny))
            .Step("always", "Hang", s => s.Timeout(TimeSpan.FromMilliseconds(50)))
            .Build();

        var summary = await new WorkflowExecutor(registry).RunAsync(workflow, root.Request("w"));

        summary.Step("once").Status.ShouldBe(StepStatus.Succeeded);
        summary.Step("once").Attempts.ShouldBe(2);
        summary.Step("always").Status.ShouldBe(StepStatus.Failed);
        summary.Step("always").Error.ShouldStartWith("TimeoutRejectedException:");
        summary.Status.ShouldBe(RunStatus.Failed);
    }

    [Fact]
    public async Task A_failure_skips_its_dependents_with_a_reason_while_independent_branches_finish()
    {
        using var root = new TempWorkRoot();
        var recorder = new Recorder();
        var workflow = new WorkflowBuilder("w")
            .Step("train", "Fail")
            .Step("gate", "Work", s => s.DependsOn("train"))
            .Step("register", "Work", s => s.DependsOn("gate"))
            .Step("monitor", "Work", s => s.Input("delayMs", 20))
            .Step("alert", "Fail", s => s.ContinueOnError())
            .Step("report", "Work", s => s.DependsOn("alert"))
            .Build();

        var summary = await new WorkflowExecutor(recorder.Registry).RunAsync(workflow, root.Request("w"));

        summary.Status.ShouldBe(RunStatus.Failed);
        summary.Step("train").Status.ShouldBe(StepStatus.Failed);
        summary.Step("gate").Status.ShouldBe(StepStatus.Skipped);
        summary.Step("gate").SkipReason.ShouldBe("dependency 'train' failed");
        summary.Step("register").SkipReason.ShouldBe("dependency 'gate' was skipped");
        summary.Step("monitor").Status.ShouldBe(StepStatus.Succeeded);
        summary.Step("alert").Status.ShouldBe(StepStatus.Failed);
        summary.Step("report").Status.ShouldBe(StepStatus.Succeeded); // alert may fail without consequence
        summary.Error.ShouldBe("train: InvalidOperationException: train broke; gate: dependency 'train' failed; register: dependency 'gate' was skipped");
        recorder.Count("gate").ShouldBe(0);
    }

    [Fact]
    public async Task Cancellation_stops_running_steps_starts_no_new_ones_and_is_journaled()
    {
        using var root = new TempWorkRoot();
        using var cts = new CancellationTokenSource();
        var recorder = new Recorder();
        recorder.Registry.Register("Block", async (ctx, ct) =>
        {
            cts.Cancel();
            await Task.Delay(Timeout.Infinite, ct);
            return new ActivityOutput();
        });
        var workflow = new WorkflowBuilder("w")
            .Step("a", "Work")
            .Step("b", "Block", s => s.DependsOn("a").Retry(3, Tiny))
            .Step("c", "Work", s => s.DependsOn("b"))
            .Build();

        var summary = await new WorkflowExecutor(recorder.Registry).RunAsync(workflow, root.Request("w"), cts.Token);

        summary.Status.ShouldBe(RunStatus.Cancelled);
        summary.Step("a").Status.ShouldBe(StepStatus.Succeeded);
        summary.Step("b").Status.ShouldBe(StepStatus.Cancelled);
        summary.Step("b").Attempts.ShouldBe(1); // Cancellation is not retried.
        summary.StepsNotRun.ShouldBe(["c"]);
        RunJournal.Read(root.JournalPath())[^1].Type.ShouldBe(JournalEventType.RunCancelled);
        recorder.Count("c").ShouldBe(0);
    }

    [Fact]
    public async Task Progress_reports_each_step_with_counts()
    {
        using var root = new TempWorkRoot();
        var events = new ConcurrentQueue<WorkflowProgressEvent>();
        var registry = new Recorder().Registry.Register("Report", (ctx, _) =>
        {
            ctx.ReportProgress(0.5, "half");
            return Task.FromResult(new ActivityOutput());
        });
        var workflow = new WorkflowBuilder("w").Step("a", "Work").Step("b", "Report", s => s.DependsOn("a")).Build();
        var options = new WorkflowExecutorOptions { Progress = new SyncProgress(events.Enqueue) };

        await new WorkflowExecutor(registry, options).RunAsync(workflow, root.Request("w"));

        events.Select(e => $"{e.Kind}:{e.StepId}:{e.StepsDone}/{e.StepsTotal}").ShouldBe(
        [
            "RunStarted::0/2", "StepStarted:a:0/2", "StepCompleted:a:1/2", "StepStarted:b:1/2", "StepProgress:b:1/2",
            "StepCompleted:b:2/2", "RunCompleted::2/2",
        ]);
        events.Single(e => e.Kind == WorkflowProgressKind.StepProgress).Fraction.ShouldBe(0.5);
    }

    [Fact]
    public async Task Unknown_activity_types_are_rejected_before_anything_runs()
    {
        using var root = new TempWorkRoot();
        var workflow = new WorkflowBuilder("w").Step("a", "Train").Build();

        var ex = await Should.ThrowAsync<WorkflowDefinitionException>(() => new WorkflowExecutor(new Recorder().Registry).RunAsync(workflow, root.Request("w")));

        ex.Problems.Single().ShouldStartWith("step 'a': unknown activity type 'Train' (registered: Fail, Work)");
        File.Exists(root.JournalPath()).ShouldBeFalse();
    }

    [Fact]
    public async Task A_run_folder_in_use_by_another_execution_is_refused()
    {
        using var root = new TempWorkRoot();
        var release = new TaskCompletionSource<ActivityOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new ActivityRegistry().Register("Wait", (_, _) =>
        {
            started.TrySetResult();
            return release.Task;
        });
        var workflow = new WorkflowBuilder("w").Step("a", "Wait").Build();
        var executor = new WorkflowExecutor(registry);
        var first = executor.RunAsync(workflow, root.Request("w"));
        await started.Task;

        var ex = await Should.ThrowAsync<InvalidOperationException>(() => executor.RunAsync(workflow, root.Request("w")));
        release.SetResult(new ActivityOutput());

        ex.Message.ShouldContain("in use by another executor");
        (await first).Status.ShouldBe(RunStatus.Succeeded);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>Reports on the calling thread, unlike <see cref="Progress{T}"/>, so the order is the order of events.</summary>
    private sealed class SyncProgress(Action<WorkflowProgressEvent> report) : IProgress<WorkflowProgressEvent>
    {
        public void Report(WorkflowProgressEvent value) => report(value);
    }
}
