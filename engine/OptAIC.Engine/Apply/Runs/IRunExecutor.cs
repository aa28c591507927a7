namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// The executor seam: runs one request somewhere (this process, a child process, a worker) and returns its
/// result as data. Never throws for a failed run: the result says Failed (or Cancelled) and why.
/// </summary>
public interface IRunExecutor
{
    Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>The default: each run in this process, through <see cref="RunHost"/>, against the given repository.</summary>
public sealed class InProcessRunExecutor(string repositoryRoot) : IRunExecutor
{
    public Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken) =>
        RunHost.ExecuteAsync(request, repositoryRoot, progress, cancellationToken);
}
