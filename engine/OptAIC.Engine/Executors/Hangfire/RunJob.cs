using global::Hangfire;
using global::Hangfire.Server;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>
/// The Hangfire job of one run: its arguments are the run id (shown in the dashboard) and the request as
/// JSON. Created by the worker's activator with the worker's <see cref="RunJobHost"/>. Errors of the queue
/// itself (PostgreSQL lost while writing the result) are retried by Hangfire; a failed run is not an
/// error: it is a result.
/// </summary>
public sealed class RunJob(RunJobHost host)
{
    [AutomaticRetry(Attempts = 5, DelaysInSeconds = new[] { 2, 5, 15, 30, 60 }, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("run {0}")]
    public Task RunAsync(string runId, string request, PerformContext? context, CancellationToken cancellationToken) =>
        host.RunAsync(runId, request, context?.BackgroundJob.Id ?? throw new InvalidOperationException("a run job needs Hangfire's perform context"), cancellationToken);
}

/// <summary>Hangfire's activator of a worker: every <see cref="RunJob"/> gets the worker's host.</summary>
internal sealed class RunJobActivator(RunJobHost host) : JobActivator
{
    public override object ActivateJob(Type jobType) =>
        jobType == typeof(RunJob) ? new RunJob(host) : base.ActivateJob(jobType);
}
