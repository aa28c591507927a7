namespace OptAIC.Engine.Workflows;

public enum WorkflowProgressKind
{
    RunStarted,
    RunCompleted,
    RunFailed,
    RunCancelled,

    /// <summary>A run of a plan not started because a run it depends on did not succeed, or the plan was cancelled.</summary>
    RunSkipped,
    StepStarted,
    StepRetrying,

    /// <summary>An activity reported progress (<see cref="WorkflowProgressEvent.Fraction"/>).</summary>
    StepProgress,
    StepCompleted,
    StepFailed,
    StepSkipped,
    StepCancelled,
}

/// <summary>A progress notification for displays; <see cref="StepsDone"/> counts finished steps of the run (resumed ones included).</summary>
public sealed record WorkflowProgressEvent
{
    public required WorkflowProgressKind Kind { get; init; }

    public required string RunId { get; init; }

    public required string WorkflowId { get; init; }

    public string? StepId { get; init; }

    public int? Attempt { get; init; }

    public int StepsDone { get; init; }

    public int StepsTotal { get; init; }

    public double? Fraction { get; init; }

    /// <summary>An error, a skip reason or an activity's progress message.</summary>
    public string? Message { get; init; }
}
