using System.Globalization;
using global::Hangfire;
using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Engine.Executors.Hangfire;

public sealed record WorkerOptions
{
    public required PostgresEndpoint Endpoint { get; init; }

    public QueueSettings Settings { get; init; } = new();

    /// <summary>The repository checkout the runs read (specs, data, the artifact store when it lives there).</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Runs at once in this process.</summary>
    public int Concurrency { get; init; } = 1;

    public IReadOnlyList<string> Queues { get; init; } = [QueueSettings.DefaultQueue];

    /// <summary>On SIGTERM, how long runs in progress may take to finish before they are given back to the queue.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>This worker's name in the run table and the dashboard (default: host:pid).</summary>
    public string? Name { get; init; }

    public RunActivities Activities { get; init; } = RunActivities.Default;
}

/// <summary>
/// <c>optaic worker</c>: a Hangfire server over the queue in PostgreSQL whose jobs are runs. It takes as many
/// runs at once as its concurrency, keeps each fetched job alive (a sliding invisibility timeout) so that only
/// a dead worker's jobs are handed to another, and on cancellation (SIGTERM) drains: it takes no new run and
/// lets the ones in progress finish within the drain timeout.
/// </summary>
public static class RunWorker
{
    public static async Task RunAsync(WorkerOptions options, Action<string> log, CancellationToken ct)
    {
        if (options.Concurrency < 1)
        {
            throw new QueueException($"--concurrency: {options.Concurrency} is not a positive number of runs");
        }
        if (options.Queues.Count == 0)
        {
            throw new QueueException("--queues: no queue to listen to");
        }
        if (options.Queues.FirstOrDefault(q => !HangfireRunExecutor.IsQueueName(q)) is { } badQueue)
        {
            throw new QueueException($"--queues: '{badQueue}' is not a queue name (lowercase letters, digits, '_' and '-')");
        }
        if (!Directory.Exists(options.RepositoryRoot))
        {
            throw new QueueException($"--repo: {options.RepositoryRoot} is not a folder");
        }
        await using (await options.Endpoint.OpenAsync(ct))
        {
        }
        var storage = RunQueueStorage.Create(options.Endpoint, options.Settings);
        var table = new RunTable(options.Endpoint);
        await table.EnsureSchemaAsync(ct);
        var name = options.Name ?? $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}";
        var host = new RunJobHost(Path.GetFullPath(options.RepositoryRoot), table, name, options.Activities, log);
        var checkout = host.Warm();
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = name,
            WorkerCount = options.Concurrency,
            Queues = [.. options.Queues],
            Activator = new RunJobActivator(host),
            // After SendStop no job is fetched; a job's token is cancelled StopTimeout later (the drain), and
            // the server's own processes are abandoned ShutdownTimeout later.
            StopTimeout = options.DrainTimeout,
            ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(30),
            SchedulePollingInterval = TimeSpan.FromSeconds(2),
            HeartbeatInterval = TimeSpan.FromSeconds(10),
            ServerTimeout = TimeSpan.FromMinutes(1),
            ServerCheckInterval = TimeSpan.FromSeconds(30),
        }, storage);
        log($"worker {name}: {options.Concurrency} run(s) at once from queue(s) {string.Join(", ", options.Queues)} at {options.Endpoint.Display}, checkout {options.RepositoryRoot} ({checkout}); SIGTERM drains");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
        }
        log($"worker {name}: draining (no new runs; runs in progress have {options.DrainTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s to finish)");
        server.SendStop();
        await server.WaitForShutdownAsync(CancellationToken.None);
        log($"worker {name}: stopped");
    }
}
