using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply;

public sealed record ApplyOptions
{
    /// <summary>Make one commit of the registry when done (false: leave the records in the working tree).</summary>
    public bool Commit { get; init; } = true;

    /// <summary>How long to wait for another apply on the same repository to finish.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Independent runs at once; default: the Project spec's concurrency, else the number of cores.</summary>
    public int? MaxParallelRuns { get; init; }

    /// <summary>A plan saved by `plan --out`: applied only if the registry and specs have not moved since.</summary>
    public ActionPlan? SavedPlan { get; init; }

    public IProgress<ApplyEvent>? Progress { get; init; }

    /// <summary>Who applies, for stage histories ("optaic-bot", a user name).</summary>
    public string Actor { get; init; } = "optaic";

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where runs execute (a child process each, a pool of workers); null: in this process, sharing apply's specs and caches.</summary>
    public IRunExecutor? Executor { get; init; }
}

public enum ApplyEventKind
{
    Started,
    Succeeded,
    Failed,
}

public sealed record ApplyEvent(ApplyEventKind Kind, PlannedAction Action, string Message, int Done, int Total);

/// <summary>How an action ended.</summary>
public enum ActionStatus
{
    Succeeded,

    /// <summary>The version failed its definition's gates: nothing registered; the same inputs are not retried.</summary>
    GateFailed,

    /// <summary>The run failed (the run record says why).</summary>
    Failed,

    /// <summary>Not run: an action it depends on failed, or apply was cancelled first.</summary>
    NotRun,
}

public static class ActionStatuses
{
    /// <summary>The status as the output and <c>--format json</c> spell it.</summary>
    public static string Name(ActionStatus status) => status switch
    {
        ActionStatus.Succeeded => "succeeded",
        ActionStatus.GateFailed => "gate-failed",
        ActionStatus.Failed => "failed",
        _ => "not-run",
    };
}

/// <summary>What one action did: succeeded, failed a gate, failed (the run record says why), or did not run because something before it failed.</summary>
public sealed record ActionOutcome(PlannedAction Action, ActionStatus Status, string Summary)
{
    public bool Failed => Status is ActionStatus.Failed or ActionStatus.NotRun;
}

public sealed record ApplyResult(ActionPlan Plan, IReadOnlyList<ActionOutcome> Outcomes, string? CommitSha, IReadOnlyList<string> ChangedPaths)
{
    public bool Succeeded => Outcomes.All(o => !o.Failed);

    /// <summary>What recovery did before the plan (a torn commit completed, journals of another state removed, ...).</summary>
    public IReadOnlyList<RecoveryStep> Recovered { get; init; } = [];
}
