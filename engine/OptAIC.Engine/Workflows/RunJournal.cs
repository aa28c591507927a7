using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace OptAIC.Engine.Workflows;

public enum JournalEventType
{
    RunStarted,
    RunResumed,
    ActivityStarted,
    ActivityCompleted,
    ActivityFailed,
    ActivityCancelled,
    ActivitySkipped,
    RunCompleted,
    RunFailed,
    RunCancelled,
}

/// <summary>One line of <c>journal.jsonl</c>. Fields are set per <see cref="Type"/>.</summary>
public sealed record JournalEvent
{
    public required JournalEventType Type { get; init; }

    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    public string? StepId { get; init; }

    public int? Attempt { get; init; }

    public bool? WillRetry { get; init; }

    public string? Error { get; init; }

    /// <summary>Why a step was skipped.</summary>
    public string? Reason { get; init; }

    public JsonObject? Outputs { get; init; }

    /// <summary>On RunStarted: everything needed to run (or resume) the run elsewhere.</summary>
    public WorkflowRunRequest? Request { get; init; }

    public WorkflowDefinition? Workflow { get; init; }
}

/// <summary>
/// The append-only journal of a run, <c>&lt;workRoot&gt;/runs/&lt;runId&gt;/journal.jsonl</c>: one JSON event per line,
/// each flushed to disk before the executor moves on. A last line without its newline is a write torn by a
/// crash: readers ignore it and the next writer cuts it off.
/// </summary>
public static class RunJournal
{
    public const string FileName = "journal.jsonl";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string RunFolder(string workRoot, string runId) => Path.Combine(workRoot, "runs", runId);

    public static string JournalPath(string workRoot, string runId) => Path.Combine(RunFolder(workRoot, runId), FileName);

    /// <summary>The complete events of a journal; an empty list when there is none.</summary>
    public static IReadOnlyList<JournalEvent> Read(string journalPath) => Read(journalPath, out _);

    /// <summary>The summary of a run, or null when it has no journal.</summary>
    public static RunSummary? ReadSummary(string workRoot, string runId)
    {
        var events = Read(JournalPath(workRoot, runId));
        return events.Count == 0 ? null : RunSummary.FromJournal(events);
    }

    /// <summary>
    /// Deletes the run folders under <paramref name="workRoot"/> that <paramref name="keep"/> rejects (given the run's
    /// first request, null for a folder without a readable journal, and its summary); returns how many it deleted.
    /// A folder whose run holds its lock (running now) is left alone.
    /// </summary>
    public static int Prune(string workRoot, Func<WorkflowRunRequest?, RunSummary?, bool> keep)
    {
        var runs = Path.Combine(workRoot, "runs");
        if (!Directory.Exists(runs))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var folder in Directory.EnumerateDirectories(runs).Order(StringComparer.Ordinal).ToList())
        {
            var events = Read(Path.Combine(folder, FileName));
            var request = events.Count > 0 ? events[0].Request : null;
            var summary = events.Count > 0 ? RunSummary.FromJournal(events) : null;
            if (keep(request, summary))
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
                deleted++;
            }
            catch (IOException)
            {
                // In use by a run in progress; the next clean-up takes it.
            }
            catch (UnauthorizedAccessException)
            {
                // Left as it is; it is never reused for another state.
            }
        }

        return deleted;
    }

    internal static List<JournalEvent> Read(string journalPath, out long validLength)
    {
        validLength = 0;
        var events = new List<JournalEvent>();
        if (!File.Exists(journalPath))
        {
            return events;
        }

        byte[] bytes;
        using (var stream = new FileStream(journalPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }

        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0; // A byte order mark from a hand edit.
        for (var line = 1; ; line++)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                return events; // Torn (or no) last line.
            }

            try
            {
                events.Add(JsonSerializer.Deserialize<JournalEvent>(bytes.AsSpan(start, end - start), Json)
                    ?? throw new JsonException("null event"));
            }
            catch (JsonException) when (end == bytes.Length - 1)
            {
                return events; // A garbled last line is also a torn write: its newline reached the disk, its text did not.
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{journalPath}:{line}: corrupt journal line ({ex.Message}); the run cannot be resumed from it.", ex);
            }

            start = end + 1;
            validLength = start;
        }
    }
}

/// <summary>Appends events to a run's journal; holds the run's lock so two executors never write one run.</summary>
internal sealed class JournalWriter : IDisposable
{
    private readonly FileStream _lock;
    private readonly FileStream _stream;
    private readonly List<JournalEvent> _events;
    private readonly Lock _gate = new();

    public JournalWriter(string runFolder)
    {
        Directory.CreateDirectory(runFolder);
        try
        {
            _lock = new FileStream(Path.Combine(runFolder, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"Run folder {runFolder} is in use by another executor; wait for it to finish.", ex);
        }

        try
        {
            var path = Path.Combine(runFolder, RunJournal.FileName);
            _events = RunJournal.Read(path, out var validLength);
            _stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
            _stream.SetLength(validLength); // Cut off a torn last line.
            _stream.Seek(0, SeekOrigin.End);
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    public IReadOnlyList<JournalEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToList();
            }
        }
    }

    public void Append(JournalEvent journalEvent)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(journalEvent, RunJournal.Json);
        lock (_gate)
        {
            // One write per line, newline last, so a crash leaves at worst one line without its newline.
            var buffer = new byte[line.Length + 1];
            line.CopyTo(buffer, 0);
            buffer[^1] = (byte)'\n';
            if (Diagnostics.Failpoints.IsArmed(Diagnostics.Failpoint.InsideJournalAppend))
            {
                // A torn append: half the line reaches the disk, then the process dies.
                _stream.Write(buffer, 0, buffer.Length / 2);
                _stream.Flush(flushToDisk: true);
                Diagnostics.Failpoints.Kill();
            }

            _stream.Write(buffer);
            _stream.Flush(flushToDisk: true);
            _events.Add(journalEvent);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _lock.Dispose();
    }
}

public enum RunStatus
{
    /// <summary>Never started (a run of a plan whose upstream run failed).</summary>
    NotRun,

    /// <summary>Started and not finished: running now, or interrupted by a crash (resume it).</summary>
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public enum StepStatus
{
    NotRun,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Skipped,
}

public sealed record StepSummary
{
    public required string StepId { get; init; }

    public required string ActivityType { get; init; }

    public StepStatus Status { get; init; }

    /// <summary>Attempts in the latest execution of the step.</summary>
    public int Attempts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public TimeSpan? Duration => EndedAt - StartedAt;

    public string? Error { get; init; }

    public string? SkipReason { get; init; }

    public IReadOnlyDictionary<string, JsonNode?> Outputs { get; init; } = new Dictionary<string, JsonNode?>();
}

/// <summary>The state of a run as its journal tells it.</summary>
public sealed record RunSummary
{
    public required string RunId { get; init; }

    public required string WorkflowId { get; init; }

    public string CommitSha { get; init; } = "";

    public RunStatus Status { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public TimeSpan? Duration => EndedAt - StartedAt;

    public string? Error { get; init; }

    public IReadOnlyList<StepSummary> Steps { get; init; } = [];

    /// <summary>Steps that never started (after a cancellation, or skipped because a dependency failed).</summary>
    public IReadOnlyList<string> StepsNotRun => Steps.Where(s => s.Status is StepStatus.NotRun or StepStatus.Skipped).Select(s => s.StepId).ToList();

    public StepSummary Step(string stepId) => Steps.Single(s => s.StepId == stepId);

    public static RunSummary FromJournal(IReadOnlyList<JournalEvent> events)
    {
        var first = events.Count > 0 && events[0] is { Type: JournalEventType.RunStarted, Request: not null, Workflow: not null } e
            ? e
            : throw new InvalidDataException("A run journal must begin with a RunStarted event carrying the request and workflow.");
        var run = new RunSummary
        {
            RunId = first.Request!.RunId,
            WorkflowId = first.Workflow!.Id,
            CommitSha = first.Request.CommitSha,
            Status = RunStatus.Running,
            StartedAt = first.Time,
        };
        var steps = first.Workflow.Steps.ToDictionary(s => s.Id, s => new StepSummary { StepId = s.Id, ActivityType = s.ActivityType });
        foreach (var ev in events.Skip(1))
        {
            var step = ev.StepId is { } id ? steps[id] : null;
            switch (ev.Type)
            {
                case JournalEventType.RunResumed:
                    run = run with { Status = RunStatus.Running, EndedAt = null, Error = null };
                    foreach (var s in steps.Values.Where(s => s.Status != StepStatus.Succeeded).ToList())
                    {
                        steps[s.StepId] = new StepSummary { StepId = s.StepId, ActivityType = s.ActivityType };
                    }

                    break;
                case JournalEventType.ActivityStarted:
                    steps[step!.StepId] = step with
                    {
                        Status = StepStatus.Running,
                        Attempts = ev.Attempt ?? step.Attempts + 1,
                        StartedAt = ev.Attempt == 1 ? ev.Time : step.StartedAt ?? ev.Time,
                        EndedAt = null,
                    };
                    break;
                case JournalEventType.ActivityCompleted:
                    steps[step!.StepId] = step with { Status = StepStatus.Succeeded, EndedAt = ev.Time, Error = null, Outputs = Copy(ev.Outputs) };
                    break;
                case JournalEventType.ActivityFailed:
                    steps[step!.StepId] = ev.WillRetry == true
                        ? step with { Error = ev.Error }
                        : step with { Status = StepStatus.Failed, EndedAt = ev.Time, Error = ev.Error };
                    break;
                case JournalEventType.ActivityCancelled:
                    steps[step!.StepId] = step with { Status = StepStatus.Cancelled, EndedAt = ev.Time, Error = ev.Error };
                    break;
                case JournalEventType.ActivitySkipped:
                    steps[step!.StepId] = step with { Status = StepStatus.Skipped, SkipReason = ev.Reason };
                    break;
                case JournalEventType.RunCompleted:
                    run = run with { Status = RunStatus.Succeeded, EndedAt = ev.Time };
                    break;
                case JournalEventType.RunFailed:
                    run = run with { Status = RunStatus.Failed, EndedAt = ev.Time, Error = ev.Error };
                    break;
                case JournalEventType.RunCancelled:
                    run = run with { Status = RunStatus.Cancelled, EndedAt = ev.Time, Error = ev.Error };
                    break;
                default:
                    throw new InvalidDataException($"Unexpected journal event {ev.Type} after the start of run {run.RunId}.");
            }
        }

        return run with { Steps = first.Workflow.Steps.Select(s => steps[s.Id]).ToList() };
    }

    private static Dictionary<string, JsonNode?> Copy(JsonObject? outputs) =>
        outputs?.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal) ?? new Dictionary<string, JsonNode?>();
}
