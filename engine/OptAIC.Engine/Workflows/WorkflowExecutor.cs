using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Polly;
using Polly.Retry;

namespace OptAIC.Engine.Workflows;

/// <summary>
/// Everything a run needs besides its workflow, as plain JSON-serialisable data, so that a run can be handed
/// to another machine. <see cref="Inputs"/> are what steps read as <c>=inputs.name</c> (dataset versions,
/// spec hashes, instance names); the run's folder is <c>&lt;WorkRoot&gt;/runs/&lt;RunId&gt;/</c>.
/// </summary>
public sealed record WorkflowRunRequest
{
    public required string RunId { get; init; }

    public required string WorkflowId { get; init; }

    public required string CommitSha { get; init; }

    public required string WorkRoot { get; init; }

    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();
}

/// <summary>Runs workflows. The in-process <see cref="WorkflowExecutor"/> is the default; others may hand runs to workers.</summary>
public interface IWorkflowExecutor
{
    /// <summary>
    /// Runs <paramref name="workflow"/>. If the run's journal already exists (an earlier attempt crashed or was
    /// cancelled) the run is resumed; if it completed, its summary is returned and nothing runs. Cancellation
    /// does not throw: the summary says Cancelled and which steps did not run.
    /// </summary>
    Task<RunSummary> RunAsync(WorkflowDefinition workflow, WorkflowRunRequest request, CancellationToken cancellationToken = default);

    /// <summary>Resumes a run from its journal alone: steps that completed are not run again.</summary>
    Task<RunSummary> ResumeAsync(string workRoot, string runId, CancellationToken cancellationToken = default);
}

public sealed class WorkflowExecutorOptions
{
    /// <summary>Steps of one run executing at once.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    public IProgress<WorkflowProgressEvent>? Progress { get; init; }

    public Action<WorkflowLogEntry>? Log { get; init; }
}

/// <summary>The in-process executor: steps in DAG order, in parallel within a bound, each attempt journaled.</summary>
public sealed class WorkflowExecutor(ActivityRegistry registry, WorkflowExecutorOptions? options = null) : IWorkflowExecutor
{
    private static readonly Regex RunIdPattern = new(@"^[A-Za-z0-9_-][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant);
    private readonly ActivityRegistry _registry = registry;
    private readonly WorkflowExecutorOptions _options = options ?? new WorkflowExecutorOptions();

    public Task<RunSummary> RunAsync(WorkflowDefinition workflow, WorkflowRunRequest request, CancellationToken cancellationToken = default)
    {
        if (!RunIdPattern.IsMatch(request.RunId))
        {
            throw new ArgumentException($"Run id '{request.RunId}' is not a valid folder name: use letters, digits, '.', '-' and '_'.", nameof(request));
        }

        if (request.WorkflowId != workflow.Id)
        {
            throw new ArgumentException($"Run '{request.RunId}' asks for workflow '{request.WorkflowId}' but was given '{workflow.Id}'.", nameof(request));
        }

        return ExecuteAsync(workflow.Validate(_registry), request, cancellationToken);
    }

    public Task<RunSummary> ResumeAsync(string workRoot, string runId, CancellationToken cancellationToken = default)
    {
        var events = RunJournal.Read(RunJournal.JournalPath(workRoot, runId));
        if (events is not [{ Type: JournalEventType.RunStarted, Request: { } request, Workflow: { } workflow }, ..])
        {
            throw new InvalidOperationException($"Run '{runId}' has no journal under {workRoot}; there is nothing to resume.");
        }

        return RunAsync(workflow, request with { WorkRoot = workRoot }, cancellationToken);
    }

    private async Task<RunSummary> ExecuteAsync(WorkflowDefinition workflow, WorkflowRunRequest request, CancellationToken ct)
    {
        using var journal = new JournalWriter(RunJournal.RunFolder(request.WorkRoot, request.RunId));
        var run = new Execution(this, workflow, request, journal);
        if (journal.Events.Count == 0)
        {
            journal.Append(new JournalEvent { Type = JournalEventType.RunStarted, Request = request, Workflow = workflow });
        }
        else
        {
            var previous = run.CheckSameRun();
            if (previous.Status == RunStatus.Succeeded)
            {
                return previous;
            }

            foreach (var step in previous.Steps.Where(s => s.Status == StepStatus.Succeeded))
            {
                run.Outputs[step.StepId] = step.Outputs;
            }

            journal.Append(new JournalEvent { Type = JournalEventType.RunResumed });
        }

        run.Report(WorkflowProgressKind.RunStarted);
        var nodes = workflow.Steps.Select(s => (s.Id, s.Dependencies())).ToList();
        var notRun = await Dag.RunAsync(
            nodes, run.Outputs.Keys.ToHashSet(), Math.Max(1, _options.MaxDegreeOfParallelism), run.RunStepAsync, run.Skip, ct);
        return run.Finish(ct.IsCancellationRequested, notRun);
    }

    private static ResiliencePipeline<ActivityOutput> BuildPipeline(StepDefinition step, Action<Exception> onRetry, CancellationToken ct)
    {
        var builder = new ResiliencePipelineBuilder<ActivityOutput>();
        if (step.Retry is { MaxAttempts: > 1 } retry)
        {
            builder.AddRetry(new RetryStrategyOptions<ActivityOutput>
            {
                MaxRetryAttempts = retry.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                UseJitter = retry.Jitter,
                // Bad inputs fail the same way every time; cancellation of the run is not a failure.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && ex is not ActivityInputException
                    && !(ex is OperationCanceledException && ct.IsCancellationRequested)),
                OnRetry = args =>
                {
                    onRetry(args.Outcome.Exception!);
                    return ValueTask.CompletedTask;
                },
            });
        }

        if (step.Timeout is { } timeout)
        {
            builder.AddTimeout(timeout); // Inside the retry: the timeout applies to each attempt.
        }

        return builder.Build();
    }

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    /// <summary>The state of one execution of a run.</summary>
    private sealed class Execution(WorkflowExecutor executor, WorkflowDefinition workflow, WorkflowRunRequest request, JournalWriter journal)
    {
        private readonly Dictionary<string, StepDefinition> _steps = workflow.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        private readonly string _runFolder = RunJournal.RunFolder(request.WorkRoot, request.RunId);
        private readonly HashSet<string> _skipped = new(StringComparer.Ordinal); // Only touched by the DAG loop.
        private int _stepsDone;

        public ConcurrentDictionary<string, IReadOnlyDictionary<string, JsonNode?>> Outputs { get; } = new(StringComparer.Ordinal);

        /// <summary>A journal from an earlier execution must be of this very run; returns its summary.</summary>
        public RunSummary CheckSameRun()
        {
            var started = journal.Events[0];
            string Key(WorkflowDefinition w, WorkflowRunRequest r) => JsonSerializer.Serialize(new { w, r = r with { WorkRoot = "" } }, RunJournal.Json);
            if (started.Workflow is null || started.Request is null || Key(started.Workflow, started.Request) != Key(workflow, request))
            {
                throw new InvalidOperationException(
                    $"Run '{request.RunId}' was started with a different workflow or request (see {Path.Combine(_runFolder, RunJournal.FileName)}); give this run a new id.");
            }

            var summary = RunSummary.FromJournal(journal.Events);
            _stepsDone = summary.Steps.Count(s => s.Status == StepStatus.Succeeded);
            return summary;
        }

        public async Task<bool> RunStepAsync(string stepId, CancellationToken ct)
        {
            var step = _steps[stepId];
            var attempt = 0;
            var pipeline = BuildPipeline(step, ex =>
            {
                journal.Append(new JournalEvent { Type = JournalEventType.ActivityFailed, StepId = stepId, Attempt = attempt, Error = Describe(ex), WillRetry = true });
                Report(WorkflowProgressKind.StepRetrying, stepId, attempt, message: Describe(ex));
            }, ct);
            try
            {
                var output = await pipeline.ExecuteAsync(
                    async token =>
                    {
                        attempt++;
                        journal.Append(new JournalEvent { Type = JournalEventType.ActivityStarted, StepId = stepId, Attempt = attempt });
                        Report(WorkflowProgressKind.StepStarted, stepId, attempt);
                        var context = new ActivityContext(
                            request, _runFolder, step, attempt, ResolveInputs(step), executor._options.Log,
                            (fraction, message) => Report(WorkflowProgressKind.StepProgress, stepId, attempt, fraction, message));
                        var activity = executor._registry.Create(step.ActivityType);
                        try
                        {
                            return await activity.ExecuteAsync(context, token)
                                ?? throw new InvalidOperationException($"Activity {step.ActivityType} returned no output object.");
                        }
                        finally
                        {
                            await ((activity as IAsyncDisposable)?.DisposeAsync() ?? ValueTask.CompletedTask);
                            (activity as IDisposable)?.Dispose();
                        }
                    },
                    ct);
                var outputs = output.ToJson();
                journal.Append(new JournalEvent { Type = JournalEventType.ActivityCompleted, StepId = stepId, Attempt = attempt, Outputs = outputs });
                Outputs[stepId] = output.Values;
                Report(WorkflowProgressKind.StepCompleted, stepId, attempt, done: true);
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                journal.Append(new JournalEvent { Type = JournalEventType.ActivityCancelled, StepId = stepId, Attempt = attempt, Error = "cancelled" });
                Report(WorkflowProgressKind.StepCancelled, stepId, attempt);
                return false;
            }
            catch (Exception ex)
            {
                journal.Append(new JournalEvent { Type = JournalEventType.ActivityFailed, StepId = stepId, Attempt = attempt, Error = Describe(ex), WillRetry = false });
                Report(WorkflowProgressKind.StepFailed, stepId, attempt, message: Describe(ex), done: true);
                return step.ContinueOnError;
            }
        }

        public void Skip(string stepId, string dependency)
        {
            var reason = _skipped.Contains(dependency) ? $"dependency '{dependency}' was skipped" : $"dependency '{dependency}' failed";
            _skipped.Add(stepId);
            journal.Append(new JournalEvent { Type = JournalEventType.ActivitySkipped, StepId = stepId, Reason = reason });
            Report(WorkflowProgressKind.StepSkipped, stepId, message: reason, done: true);
        }

        public RunSummary Finish(bool cancelled, IReadOnlyList<string> notRun)
        {
            var steps = RunSummary.FromJournal(journal.Events).Steps;
            var failed = steps.Where(s => s.Status is StepStatus.Failed or StepStatus.Skipped && !_steps[s.StepId].ContinueOnError).ToList();
            var ended = cancelled && (notRun.Count > 0 || steps.Any(s => s.Status == StepStatus.Cancelled))
                ? new JournalEvent { Type = JournalEventType.RunCancelled, Error = $"cancelled; not run: {string.Join(", ", steps.Where(s => s.Status != StepStatus.Succeeded).Select(s => s.StepId))}" }
                : failed.Count > 0
                    ? new JournalEvent { Type = JournalEventType.RunFailed, Error = string.Join("; ", failed.Select(s => $"{s.StepId}: {s.Error ?? s.SkipReason}")) }
                    : new JournalEvent { Type = JournalEventType.RunCompleted };
            journal.Append(ended);
            Report(ended.Type switch
            {
                JournalEventType.RunCancelled => WorkflowProgressKind.RunCancelled,
                JournalEventType.RunFailed => WorkflowProgressKind.RunFailed,
                _ => WorkflowProgressKind.RunCompleted,
            }, message: ended.Error);
            return RunSummary.FromJournal(journal.Events);
        }

        public void Report(WorkflowProgressKind kind, string? stepId = null, int? attempt = null, double? fraction = null, string? message = null, bool done = false)
        {
            var stepsDone = done ? Interlocked.Increment(ref _stepsDone) : Volatile.Read(ref _stepsDone);
            executor._options.Progress?.Report(new WorkflowProgressEvent
            {
                Kind = kind,
                RunId = request.RunId,
                WorkflowId = workflow.Id,
                StepId = stepId,
                Attempt = attempt,
                StepsDone = stepsDone,
                StepsTotal = _steps.Count,
                Fraction = fraction,
                Message = message,
            });
        }

        private Dictionary<string, JsonNode?> ResolveInputs(StepDefinition step) =>
            step.Inputs.ToDictionary(p => p.Key, p => InputReference.Resolve(p.Value, r => Lookup(step, p.Key, r)), StringComparer.Ordinal);

        private JsonNode? Lookup(StepDefinition step, string input, InputReference reference)
        {
            ActivityInputException Error(string what) => new($"Step '{step.Id}' input '{input}': '{reference.Text}' {what}.");
            IReadOnlyDictionary<string, JsonNode?> source = reference.Source == InputReference.RunInputs
                ? request.Inputs
                : Outputs.TryGetValue(reference.Source, out var outputs) ? outputs : throw Error($"refers to step '{reference.Source}', which did not complete");
            if (reference.Path.Count == 0)
            {
                return new JsonObject(source.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            }

            if (!source.TryGetValue(reference.Path[0], out var node))
            {
                throw Error($"names '{reference.Path[0]}', which is not among [{string.Join(", ", source.Keys)}]");
            }

            foreach (var segment in reference.Path.Skip(1))
            {
                node = node is JsonObject obj && obj.TryGetPropertyValue(segment, out var child)
                    ? child
                    : throw Error($"has no '{segment}' in {node?.ToJsonString() ?? "null"}");
            }

            return node;
        }
    }
}
