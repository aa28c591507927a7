using System.Collections.Concurrent;

namespace OptAIC.Engine.Workflows;

/// <summary>A run of a plan; <see cref="After"/> names the runs (by run id) that must succeed before it starts.</summary>
public sealed record ScheduledRun(WorkflowDefinition Workflow, WorkflowRunRequest Request)
{
    public IReadOnlyList<string> After { get; init; } = [];
}

/// <summary>
/// Runs a whole plan: many workflow runs, each after the runs it depends on (a combiner's training after the
/// signals it reads), independent ones in parallel. A run whose upstream run did not succeed is not started.
/// Running the same plan again after a crash resumes the unfinished runs and skips the finished ones.
/// </summary>
public sealed class WorkflowScheduler(IWorkflowExecutor executor, int maxParallelRuns = 2, IProgress<WorkflowProgressEvent>? progress = null)
{
    /// <summary>Summaries in the order of <paramref name="runs"/>; throws <see cref="WorkflowDefinitionException"/> if the plan's dependencies are invalid.</summary>
    public async Task<IReadOnlyList<RunSummary>> RunAllAsync(IReadOnlyList<ScheduledRun> runs, CancellationToken cancellationToken = default)
    {
        var nodes = runs.Select(r => (r.Request.RunId, r.After)).ToList();
        var problems = Dag.FindProblems(nodes, "run");
        if (problems.Count > 0)
        {
            throw new WorkflowDefinitionException("The plan of runs", problems);
        }

        var byId = runs.ToDictionary(r => r.Request.RunId, StringComparer.Ordinal);
        var results = new ConcurrentDictionary<string, RunSummary>(StringComparer.Ordinal);
        var notRun = await Dag.RunAsync(
            nodes,
            new HashSet<string>(),
            Math.Max(1, maxParallelRuns),
            async (id, ct) =>
            {
                var run = byId[id];
                try
                {
                    results[id] = await executor.RunAsync(run.Workflow, run.Request, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A run that cannot start (invalid workflow, run folder in use) fails alone; independent runs go on.
                    results[id] = NotRun(run, RunStatus.Failed, $"{ex.GetType().Name}: {ex.Message}");
                }

                return results[id].Status == RunStatus.Succeeded;
            },
            (id, upstream) => results[id] = NotRun(byId[id], RunStatus.NotRun, $"run '{upstream}' did not succeed"),
            cancellationToken);
        foreach (var id in notRun)
        {
            results[id] = NotRun(byId[id], RunStatus.NotRun, "cancelled before it started");
        }

        return runs.Select(r => results[r.Request.RunId]).ToList();
    }

    private RunSummary NotRun(ScheduledRun run, RunStatus status, string reason)
    {
        progress?.Report(new WorkflowProgressEvent
        {
            Kind = status == RunStatus.Failed ? WorkflowProgressKind.RunFailed : WorkflowProgressKind.RunSkipped,
            RunId = run.Request.RunId,
            WorkflowId = run.Workflow.Id,
            StepsTotal = run.Workflow.Steps.Count,
            Message = reason,
        });
        return new RunSummary
        {
            RunId = run.Request.RunId,
            WorkflowId = run.Workflow.Id,
            CommitSha = run.Request.CommitSha,
            Status = status,
            Error = reason,
            Steps = run.Workflow.Steps.Select(s => new StepSummary { StepId = s.Id, ActivityType = s.ActivityType }).ToList(),
        };
    }
}
