using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>An instance removed from the specs: its versions are archived (the coordinator does it in the registry).</summary>
public sealed class ArchiveActivity : IRunActivity
{
    public string Name => RunActivityNames.Archive;

    public Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken)
    {
        var now = context.Time.GetUtcNow();
        return Task.FromResult(new RunResult
        {
            RunId = context.Request.RunId,
            Activity = context.Request.Activity,
            Instance = context.Request.Instance,
            Outcome = RunOutcome.Succeeded,
            Summary = "archived with its versions",
            Records = new RunRecords { Archive = true },
            Phases = [new RunPhase("archive", now, now)],
        });
    }
}
