using System.Collections.Concurrent;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Workflows;

namespace OptAIC.Engine.Apply;

/// <summary>Turns the workflow layer's run events into apply events, as they happen.</summary>
internal sealed class LiveProgress(ConcurrentDictionary<string, ActionOutcome> outcomes, Dictionary<string, PlannedAction> byRun, int total, IProgress<ApplyEvent>? target)
    : IProgress<WorkflowProgressEvent>
{
    private readonly object _gate = new();
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>How an action ended: what the writer recorded for a run that succeeded, else what the workflow says.</summary>
    public static ActionOutcome OutcomeOf(ConcurrentDictionary<string, ActionOutcome> outcomes, PlannedAction action, RunSummary summary) =>
        outcomes.TryGetValue(action.Id, out var recorded) && summary.Status == Workflows.RunStatus.Succeeded
            ? recorded
            : summary.Status switch
            {
                Workflows.RunStatus.Succeeded => new ActionOutcome(action, ActionStatus.Succeeded, "done"),
                Workflows.RunStatus.NotRun => new ActionOutcome(action, ActionStatus.NotRun, "not run: an action it depends on failed"),
                Workflows.RunStatus.Cancelled => new ActionOutcome(action, ActionStatus.NotRun, "cancelled"),
                _ => new ActionOutcome(action, ActionStatus.Failed, summary.Error ?? summary.Steps.Select(s => s.Error).FirstOrDefault(e => e is not null) ?? "failed"),
            };

    public void Report(WorkflowProgressEvent value)
    {
        if (target is null || !byRun.TryGetValue(value.RunId, out var action))
        {
            return;
        }
        lock (_gate)
        {
            switch (value.Kind)
            {
                case WorkflowProgressKind.RunStarted:
                    target.Report(new ApplyEvent(ApplyEventKind.Started, action, "started", _reported.Count, total));
                    break;
                case WorkflowProgressKind.RunCompleted or WorkflowProgressKind.RunFailed or WorkflowProgressKind.RunSkipped or WorkflowProgressKind.RunCancelled:
                    if (!_reported.Add(value.RunId))
                    {
                        return;
                    }
                    var status = value.Kind switch
                    {
                        WorkflowProgressKind.RunCompleted => Workflows.RunStatus.Succeeded,
                        WorkflowProgressKind.RunFailed => Workflows.RunStatus.Failed,
                        WorkflowProgressKind.RunCancelled => Workflows.RunStatus.Cancelled,
                        _ => Workflows.RunStatus.NotRun,
                    };
                    var outcome = outcomes.TryGetValue(action.Id, out var recorded) && status == Workflows.RunStatus.Succeeded
                        ? recorded
                        : new ActionOutcome(action, status switch
                        {
                            Workflows.RunStatus.Succeeded => ActionStatus.Succeeded,
                            Workflows.RunStatus.Failed => ActionStatus.Failed,
                            _ => ActionStatus.NotRun,
                        }, value.Message ?? (status == Workflows.RunStatus.NotRun ? "not run: an action it depends on failed" : status.ToString().ToLowerInvariant()));
                    target.Report(new ApplyEvent(outcome.Failed ? ApplyEventKind.Failed : ApplyEventKind.Succeeded, action, outcome.Summary, _reported.Count, total));
                    break;
                case WorkflowProgressKind.StepProgress when value.Message is { } stage:
                    target.Report(new ApplyEvent(ApplyEventKind.Started, action, stage, _reported.Count, total));
                    break;
                case WorkflowProgressKind.StepStarted when value.StepId == "register":
                    target.Report(new ApplyEvent(ApplyEventKind.Started, action, "registering the version", _reported.Count, total));
                    break;
                case WorkflowProgressKind.StepRetrying:
                    target.Report(new ApplyEvent(ApplyEventKind.Started, action, $"retrying ({value.Message})", _reported.Count, total));
                    break;
            }
        }
    }
}
