using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Executors.Hangfire;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic apply --executor hangfire`: the queue's executor for this apply, or the one-line reason it cannot be had.</summary>
public sealed class HangfireApply : IAsyncDisposable
{
    /// <summary>Runs in flight at once when --parallel is not given: as many as the workers can take, not this machine's cores.</summary>
    public const int DefaultParallel = 256;

    private HangfireApply(HangfireRunExecutor? executor, QueueException? error)
    {
        Executor = executor;
        Error = error;
    }

    public HangfireRunExecutor? Executor { get; }

    public QueueException? Error { get; }

    public int? Parallel => Executor is null ? null : DefaultParallel;

    public static async Task<HangfireApply> ExecutorAsync(string? postgres, string queue, ReconcileSession session, CancellationToken ct)
    {
        try
        {
            var executor = await HangfireRunExecutor.CreateAsync(new HangfireExecutorOptions
            {
                Endpoint = PostgresEndpoint.Resolve(postgres),
                Queue = queue,
                RepositoryRoot = session.RepositoryRoot,
                MaxArtifactBytes = session.Specs.ProjectSettings.ArtifactStore?.MaxArtifactBytes ?? RepositoryArtifactStore.DefaultMaxBytes,
            }, ct);
            return new HangfireApply(executor, null);
        }
        catch (QueueException e)
        {
            return new HangfireApply(null, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Executor is not null)
        {
            await Executor.DisposeAsync();
        }
    }
}
