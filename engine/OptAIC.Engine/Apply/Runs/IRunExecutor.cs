namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// The executor seam: runs one request somewhere (this process, a child process, a worker) and returns its
/// result as data. Never throws for a failed run: the result says Failed (or Cancelled) and why.
/// </summary>
public interface IRunExecutor
{
    Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// The default: each run in this process, through <see cref="RunHost"/>: against a workspace already open
/// (apply's own: the specs and caches are shared), or a repository checkout opened for each run.
/// </summary>
public sealed class InProcessRunExecutor : IRunExecutor
{
    private readonly RunWorkspace? _workspace;
    private readonly string? _repositoryRoot;

    public InProcessRunExecutor(string repositoryRoot) => _repositoryRoot = repositoryRoot;

    public InProcessRunExecutor(RunWorkspace workspace) => _workspace = workspace;

    public Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken) =>
        _workspace is { } workspace
            ? RunHost.ExecuteAsync(request, workspace, progress, ct: cancellationToken)
            : RunHost.ExecuteAsync(request, _repositoryRoot!, progress, cancellationToken);
}
