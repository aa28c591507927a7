using System.Text;
using System.Text.Json;
using OptAIC.Engine.Workflows;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Workflows;

public class ResumeTests
{
    // load -> features -> train -> gate, and monitor beside them; train reads an output of features.
    private static WorkflowDefinition Pipeline() => new WorkflowBuilder("train-spx")
        .Step("load", "Work")
        .Step("features", "Work", s => s.DependsOn("load").Input("value", "features.parquet"))
        .Step("train", "Work", s => s.Input("value", "=features.value"))
        .Step("gate", "Work", s => s.DependsOn("train"))
        .Step("monitor", "Work")
        .Build();

    [Fact]
    public async Task Resuming_a_cancelled_run_runs_only_the_steps_that_did_not_complete()
    {
        using var root = new TempWorkRoot();
        using var cts = new CancellationTokenSource();
        var recorder = new Recorder();
        var hang = true;
        recorder.Registry.Register("Train", async (ctx, ct) =>
        {
            recorder.Invocations.AddOrUpdate(ctx.StepId, 1, (_, n) => n + 1);
            if (hang)
            {
                cts.Cancel();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return new ActivityOutput().Set("model", ctx.GetInput<string>("data") + ".zip");
        });
        var workflow = new WorkflowBuilder("w")
            .Step("features", "Work", s => s.Input("value", "f.parquet"))
            .Step("train", "Train", s => s.Input("data", "=features.value"))
            .Step("gate", "Work", s => s.Input("value", "=train.model"))
            .Build();
        var executor = new WorkflowExecutor(recorder.Registry, new() { MaxDegreeOfParallelism = 1 });
        (await executor.RunAsync(workflow, root.Request("w"), cts.Token)).Status.ShouldBe(RunStatus.Cancelled);

        hang = false;
        var summary = await executor.ResumeAsync(root.Path, "run-1");

        summary.Status.ShouldBe(RunStatus.Succeeded, summary.Error);
        summary.Step("gate").Outputs["value"]!.GetValue<string>().ShouldBe("f.parquet.zip");
        recorder.Count("features").ShouldBe(1);
        recorder.Count("train").ShouldBe(2);
        recorder.Count("gate").ShouldBe(1);
        RunJournal.Read(root.JournalPath()).Count(e => e.Type == JournalEventType.RunResumed).ShouldBe(1);
    }

    [Fact]
    public async Task A_run_abandoned_mid_flight_is_finished_by_a_resume_from_its_journal()
    {
        using var root = new TempWorkRoot();
        using var crashed = new TempWorkRoot();
        var recorder = new Recorder();
        var inTrain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        recorder.Registry.Register("Work", async (ctx, ct) =>
        {
            if (ctx.StepId == "train")
            {
                inTrain.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return new ActivityOutput().Set("value", ctx.GetInputOrDefault("value", ctx.StepId));
        });
        using var cts = new CancellationTokenSource();
        var abandoned = new WorkflowExecutor(recorder.Registry, new() { MaxDegreeOfParallelism = 1 }).RunAsync(Pipeline(), root.Request("train-spx"), cts.Token);
        await inTrain.Task;

        // The disk as a kill -9 would leave it: the journal as it stands while train runs.
        Directory.CreateDirectory(RunJournal.RunFolder(crashed.Path, "run-1"));
        File.Copy(root.JournalPath(), crashed.JournalPath());
        var fresh = new Recorder();
        var summary = await new WorkflowExecutor(fresh.Registry).ResumeAsync(crashed.Path, "run-1");
        await cts.CancelAsync();
        await abandoned;

        summary.Status.ShouldBe(RunStatus.Succeeded, summary.Error);
        fresh.Count("load").ShouldBe(0);
        fresh.Count("features").ShouldBe(0);
        fresh.Count("train").ShouldBe(1);
        fresh.Count("gate").ShouldBe(1);
        summary.Step("train").Outputs["value"]!.GetValue<string>().ShouldBe("features.parquet"); // read from the journal's outputs of features
    }

    [Fact]
    public async Task A_crash_at_any_byte_of_the_journal_is_followed_by_a_resume_that_redoes_no_finished_step()
    {
        using var root = new TempWorkRoot();
        var workflow = Pipeline();
        (await new WorkflowExecutor(new Recorder().Registry).RunAsync(workflow, root.Request("train-spx"))).Status.ShouldBe(RunStatus.Succeeded);
        var journal = File.ReadAllBytes(root.JournalPath());
        var lineEnds = journal.Select((b, i) => (b, i)).Where(x => x.b == '\n').Select(x => x.i + 1).ToList();
        // Every line boundary, and the middle of every line (a torn write).
        var cuts = lineEnds.Concat(lineEnds.Zip(lineEnds.Skip(1), (a, b) => (a + b) / 2)).Prepend(lineEnds[0] / 2);

        foreach (var cut in cuts)
        {
            using var crashed = new TempWorkRoot();
            Directory.CreateDirectory(RunJournal.RunFolder(crashed.Path, "run-1"));
            File.WriteAllBytes(crashed.JournalPath(), journal[..cut]);
            var before = RunJournal.Read(crashed.JournalPath());
            var finished = before.Where(e => e.Type == JournalEventType.ActivityCompleted).Select(e => e.StepId!).ToHashSet();
            var recorder = new Recorder();
            var executor = new WorkflowExecutor(recorder.Registry);

            var summary = before.Count == 0
                ? await executor.RunAsync(workflow, crashed.Request("train-spx")) // crashed before RunStarted reached the disk
                : await executor.ResumeAsync(crashed.Path, "run-1");

            summary.Status.ShouldBe(RunStatus.Succeeded, $"cut at byte {cut}");
            foreach (var step in workflow.Steps)
            {
                recorder.Count(step.Id).ShouldBe(finished.Contains(step.Id) ? 0 : 1, $"step {step.Id}, cut at byte {cut}");
            }

            summary.Step("train").Outputs["value"]!.GetValue<string>().ShouldBe("features.parquet");
            // The torn tail was cut off before appending: every line of the journal now parses.
            var lines = File.ReadAllText(crashed.JournalPath()).Split('\n');
            lines[^1].ShouldBeEmpty();
            RunJournal.Read(crashed.JournalPath()).Count.ShouldBe(lines.Length - 1);
        }
    }

    [Fact]
    public async Task A_torn_last_line_is_ignored_when_reading()
    {
        using var root = new TempWorkRoot();
        await new WorkflowExecutor(new Recorder().Registry).RunAsync(Pipeline(), root.Request("train-spx"));
        var complete = RunJournal.Read(root.JournalPath());
        File.AppendAllText(root.JournalPath(), """{"type":"ActivityStarted","stepId":"ga""");
        RunJournal.Read(root.JournalPath()).Count.ShouldBe(complete.Count);

        // A garbled line whose newline did reach the disk is a torn write too.
        File.AppendAllText(root.JournalPath(), "\0\0\0\n");
        RunJournal.Read(root.JournalPath()).Count.ShouldBe(complete.Count);
        RunJournal.ReadSummary(root.Path, "run-1")!.Status.ShouldBe(RunStatus.Succeeded);
    }

    [Fact]
    public async Task A_corrupt_line_before_the_end_is_reported_with_its_line_number()
    {
        using var root = new TempWorkRoot();
        await new WorkflowExecutor(new Recorder().Registry).RunAsync(Pipeline(), root.Request("train-spx"));
        var lines = File.ReadAllLines(root.JournalPath());
        lines[2] = "{not json";
        File.WriteAllText(root.JournalPath(), string.Join('\n', lines) + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

        var ex = Should.Throw<InvalidDataException>(() => RunJournal.Read(root.JournalPath()));

        ex.Message.ShouldStartWith($"{root.JournalPath()}:3: corrupt journal line");
    }

    [Fact]
    public async Task Running_a_completed_run_again_does_nothing_and_a_changed_workflow_is_refused()
    {
        using var root = new TempWorkRoot();
        var recorder = new Recorder();
        var executor = new WorkflowExecutor(recorder.Registry);
        var first = await executor.RunAsync(Pipeline(), root.Request("train-spx"));

        var again = await executor.RunAsync(Pipeline(), root.Request("train-spx"));

        JsonSerializer.Serialize(again).ShouldBe(JsonSerializer.Serialize(first));
        recorder.Invocations.Values.ShouldAllBe(n => n == 1);
        var changed = new WorkflowBuilder("train-spx").Step("load", "Work", s => s.Input("value", "other")).Build();
        var ex = await Should.ThrowAsync<InvalidOperationException>(() => executor.RunAsync(changed, root.Request("train-spx")));
        ex.Message.ShouldContain("give this run a new id");
    }

    [Fact]
    public async Task The_journal_starts_with_the_request_and_records_every_step()
    {
        using var root = new TempWorkRoot();
        var request = root.Request("train-spx", inputs: new() { ["dataset"] = "spx-daily@v3" });
        await new WorkflowExecutor(new Recorder().Registry).RunAsync(Pipeline(), request);

        var events = RunJournal.Read(root.JournalPath());

        events[0].Type.ShouldBe(JournalEventType.RunStarted);
        events[0].Request!.CommitSha.ShouldBe(request.CommitSha);
        events[0].Request!.Inputs["dataset"]!.GetValue<string>().ShouldBe("spx-daily@v3");
        events[0].Workflow!.Steps.Count.ShouldBe(5);
        events.Count(e => e.Type == JournalEventType.ActivityStarted).ShouldBe(5);
        events.Count(e => e.Type == JournalEventType.ActivityCompleted).ShouldBe(5);
        events[^1].Type.ShouldBe(JournalEventType.RunCompleted);
        await Should.ThrowAsync<InvalidOperationException>(() => new WorkflowExecutor(new Recorder().Registry).ResumeAsync(root.Path, "no-such-run"));
    }
}
