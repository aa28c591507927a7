using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Features;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// Runs one request in this process: what the in-process executor, the <c>optaic run-activity</c> child
/// process and a remote worker all call. It first checks that the workspace holds what the request names
/// (specs, dataset content versions) and refuses with a Failed result naming the difference; then it runs
/// the activity with the request's retries and timeout. It never throws for a failed run.
/// </summary>
public static class RunHost
{
    /// <summary>Opens the repository checkout at <paramref name="repositoryRoot"/> and runs the request there.</summary>
    public static async Task<RunResult> ExecuteAsync(RunRequest request, string repositoryRoot, IProgress<RunProgress>? progress = null, CancellationToken ct = default)
    {
        RunWorkspace workspace;
        try
        {
            workspace = RunWorkspace.Open(repositoryRoot);
        }
        catch (Exception e) when (e is InvalidSpecsException or SpecSourceException or IOException)
        {
            return RunResult.Refused(request, RunOutcome.Failed, $"the worker cannot read the specs at {repositoryRoot}: {e.Message}", RunFailure.Request);
        }
        return await ExecuteAsync(request, workspace, progress, ct: ct);
    }

    public static async Task<RunResult> ExecuteAsync(
        RunRequest request, RunWorkspace workspace, IProgress<RunProgress>? progress = null, RunActivities? activities = null, TimeProvider? time = null, CancellationToken ct = default)
    {
        var activity = (activities ?? RunActivities.Default).Find(request.Activity);
        if (activity is null)
        {
            return RunResult.Refused(request, RunOutcome.Failed,
                $"no activity '{request.Activity}' (known: {string.Join(", ", (activities ?? RunActivities.Default).Names.Order(StringComparer.Ordinal))})", RunFailure.Request);
        }
        IArtifactStore artifacts;
        try
        {
            if (workspace.Mismatch(request) is { } mismatch)
            {
                return RunResult.Refused(request, RunOutcome.Failed, $"refused: {mismatch}", RunFailure.Request);
            }
            artifacts = workspace.OpenArtifacts(request.ArtifactStore);
        }
        catch (Exception e) when (IsUserError(e))
        {
            return RunResult.Refused(request, RunOutcome.Failed, $"refused: {e.Message}", RunFailure.Request);
        }

        var context = new RunContext(request, workspace, artifacts, progress, time ?? TimeProvider.System);
        for (var attempt = 1; ; attempt++)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (request.Policy.Timeout is { } timeout && timeout > TimeSpan.Zero)
            {
                limit.CancelAfter(timeout);
            }
            try
            {
                return await activity.ExecuteAsync(context, limit.Token);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return RunResult.Refused(request, RunOutcome.Cancelled, "cancelled");
            }
            catch (Exception e) when (IsEnvironmental(e))
            {
                // A write the machine refuses is not a failure of the model, and retrying it would not help.
                var failure = e as RegistryWriteException ?? RegistryWriteException.For(workspace.RegistryPath, e);
                return RunResult.Refused(request, RunOutcome.Failed, failure.Message, RunFailure.Environment);
            }
            catch (RunRequestException e)
            {
                return RunResult.Refused(request, RunOutcome.Failed, e.Message, RunFailure.Request);
            }
            catch (Exception e) when (attempt <= request.Policy.Retries)
            {
                context.Report($"retrying after attempt {attempt}: {Describe(e)}");
            }
            catch (OperationCanceledException) when (request.Policy.Timeout is { } limitPerAttempt)
            {
                return RunResult.Refused(request, RunOutcome.Failed, $"timed out after {limitPerAttempt} ({attempt} attempt(s))");
            }
            catch (Exception e)
            {
                return RunResult.Refused(request, RunOutcome.Failed, Describe(e));
            }
        }
    }

    /// <summary>Errors that say what to fix in specs or data carry their message alone; others their type too.</summary>
    private static string Describe(Exception e) => IsUserError(e) ? e.Message : $"{e.GetType().Name}: {e.Message}";

    private static bool IsEnvironmental(Exception e) =>
        e is RegistryWriteException || (RegistryWriteException.IsEnvironmental(e) && e is not FileNotFoundException and not DirectoryNotFoundException);

    private static bool IsUserError(Exception e) =>
        e is JobException or RunRequestException or DatasetException or FeatureException or RegistryException or ArgumentException or IOException;
}
