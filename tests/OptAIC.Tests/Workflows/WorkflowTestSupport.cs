using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using OptAIC.Engine.Workflows;

namespace OptAIC.Tests.Workflows;

/// <summary>A temporary work root, deleted afterwards.</summary>
internal sealed class TempWorkRoot : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("optaic-wf-").FullName;

    public WorkflowRunRequest Request(string workflowId, string runId = "run-1", Dictionary<string, JsonNode?>? inputs = null) => new()
    {
        RunId = runId,
        WorkflowId = workflowId,
        CommitSha = "0123456789abcdef0123456789abcdef01234567",
        WorkRoot = Path,
        Inputs = inputs ?? [],
    };

    public string JournalPath(string runId = "run-1") => RunJournal.JournalPath(Path, runId);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A run abandoned by a test may still hold a file for a moment; the OS temp cleaner gets it.
        }
    }
}

/// <summary>
/// Activities that record what happened: "Work" counts invocations per step, records start and end order,
/// and outputs <c>value</c> = its input <c>value</c> (default: the step id) and <c>sum</c> of numeric input <c>add</c>.
/// </summary>
internal sealed class Recorder
{
    private int _sequence;

    public ConcurrentDictionary<string, int> Invocations { get; } = new();

    public ConcurrentDictionary<string, (int Start, int End)> Order { get; } = new();

    public ActivityRegistry Registry { get; } = new();

    public Recorder()
    {
        Registry.Register("Work", async (ctx, ct) =>
        {
            Invocations.AddOrUpdate(ctx.StepId, 1, (_, n) => n + 1);
            var start = Interlocked.Increment(ref _sequence);
            await Task.Delay(ctx.GetInputOrDefault("delayMs", 0), ct);
            Order[ctx.StepId] = (start, Interlocked.Increment(ref _sequence));
            return new ActivityOutput()
                .Set("value", ctx.GetInputOrDefault<JsonNode>("value", ctx.StepId))
                .Set("sum", ctx.GetInputOrDefault("add", 0.0) + 1);
        });
        Registry.Register("Fail", (ctx, _) =>
        {
            Invocations.AddOrUpdate(ctx.StepId, 1, (_, n) => n + 1);
            throw new InvalidOperationException($"{ctx.StepId} broke");
        });
    }

    public int Count(string stepId) => Invocations.GetValueOrDefault(stepId);
}
