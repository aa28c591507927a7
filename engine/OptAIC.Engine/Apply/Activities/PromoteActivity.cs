using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// A pinned promotion or rollback: the version the spec pins goes to production. The activity only states the
/// change (the request names the version, checked in the artifact store); the coordinator makes it in the
/// registry and says whether it was a promotion or a rollback.
/// </summary>
public sealed class PromoteActivity : IRunActivity
{
    public string Name => RunActivityNames.Promote;

    public Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var model = request.Model ?? throw new RunRequestException($"{request.Instance}: promotion is planned but no version is pinned");
        var started = context.Time.GetUtcNow();
        // The pinned version must still be stored intact before production points at it.
        if (context.Artifacts.Check(new ArtifactRef { Uri = model.Uri, Sha256 = model.Sha256 }, verifyHash: true) != ArtifactState.Present)
        {
            throw new RunRequestException($"{request.Instance}: version {model.Version}'s artifact {model.Uri} is missing or altered; it cannot go to production");
        }
        return Task.FromResult(new RunResult
        {
            RunId = request.RunId,
            Activity = request.Activity,
            Instance = request.Instance,
            Outcome = RunOutcome.Succeeded,
            Records = new RunRecords { Stage = new StageChange { Version = model.Version, To = Stage.Production, At = started } },
            Phases = [new RunPhase("promote", started, context.Time.GetUtcNow())],
        });
    }
}
