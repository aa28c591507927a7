using System.Collections.Concurrent;
using global::Hangfire;
using global::Hangfire.Common;
using global::Hangfire.PostgreSql;
using global::Hangfire.States;
using Npgsql;
using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>The coordinator's side of the queue.</summary>
public sealed record HangfireExecutorOptions
{
    public required PostgresEndpoint Endpoint { get; init; }

    public QueueSettings Settings { get; init; } = new();

    /// <summary>The Hangfire queue runs go to (workers listen to the queues they are given).</summary>
    public string Queue { get; init; } = QueueSettings.DefaultQueue;

    /// <summary>How often the coordinator reads the state of every run it waits for (notifications wake it sooner).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often it checks Hangfire's own job states (a job failed for good, deleted from the dashboard).</summary>
    public TimeSpan JobCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long PostgreSQL may stay unreachable while runs are waited for before they are given up as failed.</summary>
    public TimeSpan OutageLimit { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The coordinator's checkout: with it, runs on the repository's own artifact store get their artifacts
    /// carried between it and the workers' checkouts (<see cref="ArtifactTransport"/>).
    /// </summary>
    public string? RepositoryRoot { get; init; }

    /// <summary>The Project's cap on one artifact in the repository store.</summary>
    public long MaxArtifactBytes { get; init; } = Registry.RepositoryArtifactStore.DefaultMaxBytes;
}

/// <summary>
/// Runs each request as a Hangfire job in PostgreSQL (payload: the request as <see cref="RunJson"/>) and
/// waits for its result, which the worker writes to <see cref="RunTable"/>. The job is keyed by the run id:
/// a coordinator that was killed while waiting, started again on the same plan, attaches to the jobs in
/// flight (or takes the results they left) instead of enqueueing them again. One watch loop serves every
/// waiting run: a notification per change (LISTEN) and one batched read per poll interval, so the load on
/// PostgreSQL does not grow with a query per run. A lost PostgreSQL (a restart) is waited out.
/// </summary>
public sealed class HangfireRunExecutor : IRunExecutor, IAsyncDisposable
{
    private readonly HangfireExecutorOptions _options;
    private readonly PostgreSqlStorage _storage;
    private readonly BackgroundJobClient _client;
    private readonly RunTable _table;
    private readonly ArtifactTransport _transport;
    private readonly ConcurrentDictionary<string, Waiter> _waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _notified = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private readonly Task _listen;

    private HangfireRunExecutor(HangfireExecutorOptions options, PostgreSqlStorage storage, RunTable table)
    {
        _options = options;
        _storage = storage;
        _table = table;
        _client = new BackgroundJobClient(storage);
        _transport = new ArtifactTransport(options.Endpoint);
        _watch = Task.Run(WatchAsync);
        _listen = Task.Run(ListenAsync);
    }

    public RunTable Table => _table;

    public static async Task<HangfireRunExecutor> CreateAsync(HangfireExecutorOptions options, CancellationToken ct = default)
    {
        if (!IsQueueName(options.Queue))
        {
            throw new QueueException($"--queue: '{options.Queue}' is not a queue name (lowercase letters, digits, '_' and '-')");
        }
        var table = new RunTable(options.Endpoint);
        await using (await options.Endpoint.OpenAsync(ct))
        {
        }
        var storage = RunQueueStorage.Create(options.Endpoint, options.Settings);
        await table.EnsureSchemaAsync(ct);
        return new HangfireRunExecutor(options, storage, table);
    }

    public static bool IsQueueName(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');

    public async Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        while (true)
        {
            try
            {
                var store = Store(request);
                if (store is not null)
                {
                    await _transport.OfferAsync(store, ArtifactTransport.ReadBy(request), cancellationToken);
                }
                var (jobId, finished, attached) = await _table.ClaimAsync(request, _options.Queue, IsLive, () => Enqueue(request), cancellationToken);
                if (finished is not null)
                {
                    progress?.Report(new RunProgress(request.RunId, "result taken from an earlier run of the queue"));
                }
                else
                {
                    progress?.Report(new RunProgress(request.RunId, attached ? $"attached to job {jobId} in the queue" : $"queued as job {jobId}"));
                }
                var result = finished ?? await WaitAsync(request, jobId, progress, cancellationToken);
                if (store is not null && result.Outcome is RunOutcome.Succeeded or RunOutcome.GateFailed)
                {
                    await _transport.FetchAsync(store, result.Artifacts, cancellationToken);
                }
                return result;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return RunResult.Refused(request, RunOutcome.Cancelled, "cancelled while waiting; the job goes on in the queue and the next apply attaches to it");
            }
            catch (Exception e) when (PostgresEndpoint.IsConnectionError(e) || e is QueueException)
            {
                if (DateTimeOffset.UtcNow - started > _options.OutageLimit)
                {
                    return RunResult.Refused(request, RunOutcome.Failed, $"the queue was unreachable for {_options.OutageLimit}: {e.Message}", RunFailure.Environment);
                }
                progress?.Report(new RunProgress(request.RunId, $"waiting for PostgreSQL at {_options.Endpoint.Display}"));
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return RunResult.Refused(request, RunOutcome.Cancelled, "cancelled while waiting for PostgreSQL");
                }
            }
        }
    }

    /// <summary>The coordinator's store for a run whose artifacts are carried (the repository's own), else null.</summary>
    private Registry.IArtifactStore? Store(RunRequest request) =>
        _options.RepositoryRoot is { } root && ArtifactTransport.Carries(request)
            ? ArtifactStoreAddress.Open(request.ArtifactStore, root, _options.MaxArtifactBytes)
            : null;

    private string Enqueue(RunRequest request)
    {
        var method = typeof(RunJob).GetMethod(nameof(RunJob.RunAsync))!;
        var job = new Job(typeof(RunJob), method, [request.RunId, RunJson.Serialize(request), null, CancellationToken.None], _options.Queue);
        return _client.Create(job, new EnqueuedState(_options.Queue));
    }

    /// <summary>Whether Hangfire still has the job on its way (enqueued, processing, scheduled for a retry).</summary>
    private bool IsLive(string? jobId)
    {
        if (jobId is null)
        {
            return false;
        }
        using var connection = _storage.GetConnection();
        var state = connection.GetStateData(jobId)?.Name;
        return state is "Enqueued" or "Processing" or "Scheduled" or "Awaiting"; // Hangfire's state names
    }

    private async Task<RunResult> WaitAsync(RunRequest request, string jobId, IProgress<RunProgress>? progress, CancellationToken ct)
    {
        var waiter = new Waiter(request, jobId, progress);
        _waiting[request.RunId] = waiter;
        _notified.Enqueue(request.RunId);
        _wake.Release();
        try
        {
            return await waiter.Result.Task.WaitAsync(ct);
        }
        finally
        {
            _waiting.TryRemove(new KeyValuePair<string, Waiter>(request.RunId, waiter));
        }
    }

    /// <summary>Reads the runs that changed (notified) or all of them (each poll interval), and hands results to their waiters.</summary>
    private async Task WatchAsync()
    {
        var nextPoll = DateTimeOffset.MinValue;
        var nextJobCheck = DateTimeOffset.UtcNow + _options.JobCheckInterval;
        DateTimeOffset? outageSince = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var now = DateTimeOffset.UtcNow;
                var ids = new HashSet<string>(StringComparer.Ordinal);
                while (_notified.TryDequeue(out var id))
                {
                    ids.Add(id);
                }
                if (now >= nextPoll)
                {
                    ids.UnionWith(_waiting.Keys);
                    nextPoll = now + _options.PollInterval;
                }
                ids.IntersectWith(_waiting.Keys);
                if (ids.Count > 0)
                {
                    foreach (var row in await _table.GetAsync(ids, _stop.Token))
                    {
                        if (_waiting.TryGetValue(row.RunId, out var waiter))
                        {
                            waiter.Update(row);
                        }
                    }
                }
                if (now >= nextJobCheck && !_waiting.IsEmpty)
                {
                    await CheckJobsAsync(_stop.Token);
                    nextJobCheck = now + _options.JobCheckInterval;
                }
                if (outageSince is not null)
                {
                    foreach (var waiter in _waiting.Values)
                    {
                        waiter.Report($"PostgreSQL at {_options.Endpoint.Display} is back");
                    }
                    outageSince = null;
                }
                var delay = nextPoll - DateTimeOffset.UtcNow;
                if (_notified.IsEmpty && delay > TimeSpan.Zero)
                {
                    await _wake.WaitAsync(delay, _stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (PostgresEndpoint.IsConnectionError(e) || e is QueueException)
            {
                var now = DateTimeOffset.UtcNow;
                outageSince ??= now;
                foreach (var waiter in _waiting.Values)
                {
                    if (now - outageSince > _options.OutageLimit)
                    {
                        waiter.Finish(RunResult.Refused(waiter.Request, RunOutcome.Failed,
                            $"PostgreSQL at {_options.Endpoint.Display} was unreachable for {_options.OutageLimit}; the job may still finish: run apply again to attach to it", RunFailure.Environment));
                    }
                    else
                    {
                        waiter.Report($"waiting for PostgreSQL at {_options.Endpoint.Display} (unreachable for {(now - outageSince.Value).TotalSeconds:0} s)");
                    }
                }
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One query for Hangfire's states of the jobs waited for: a job that failed for good or was deleted fails its run.</summary>
    private async Task CheckJobsAsync(CancellationToken ct)
    {
        var waiters = _waiting.Values.ToList();
        var ids = waiters.Select(w => long.Parse(w.JobId, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var states = new Dictionary<long, string?>();
        await using (var connection = await _options.Endpoint.OpenAsync(ct))
        await using (var command = new NpgsqlCommand($"SELECT id, statename FROM \"{_options.Settings.HangfireSchema}\".job WHERE id = ANY(@ids)", connection))
        {
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                states[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }
        foreach (var waiter in waiters)
        {
            var id = long.Parse(waiter.JobId, System.Globalization.CultureInfo.InvariantCulture);
            var state = states.GetValueOrDefault(id);
            if (state is "Failed" or "Deleted" or "Succeeded" || !states.ContainsKey(id))
            {
                // A result may have landed since the last read: the table decides (the first result wins).
                var failed = RunResult.Refused(waiter.Request, RunOutcome.Failed,
                    state is null ? $"Hangfire job {waiter.JobId} is gone from the queue" : $"Hangfire job {waiter.JobId} is {state} without a result (see the dashboard)");
                await _table.CompleteAsync(waiter.Request.RunId, waiter.JobId, failed, null, ct, countDuplicate: false);
                _notified.Enqueue(waiter.Request.RunId);
            }
        }
    }

    /// <summary>LISTEN on the run table's channel: each notification names a run to read now. Reconnects after an outage.</summary>
    private async Task ListenAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_options.Endpoint.ConnectionString);
                await connection.OpenAsync(_stop.Token);
                connection.Notification += (_, e) =>
                {
                    _notified.Enqueue(e.Payload);
                    _wake.Release();
                };
                await using (var command = new NpgsqlCommand($"LISTEN {RunTable.Channel}", connection))
                {
                    await command.ExecuteNonQueryAsync(_stop.Token);
                }
                // Anything that changed while not listening is read at once.
                foreach (var id in _waiting.Keys)
                {
                    _notified.Enqueue(id);
                }
                _wake.Release();
                while (!_stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(_stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (PostgresEndpoint.IsConnectionError(e))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_watch, _listen).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class Waiter(RunRequest request, string jobId, IProgress<RunProgress>? progress)
    {
        private string? _lastStage;

        public RunRequest Request { get; } = request;

        public string JobId { get; private set; } = jobId;

        public TaskCompletionSource<RunResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Update(QueuedRun row)
        {
            if (row.JobId is { } job && job != JobId)
            {
                JobId = job; // another coordinator enqueued the run again: its job's result is the run's
            }
            if (row.Result is { } result)
            {
                Finish(result);
                return;
            }
            var stage = row.State == "running" ? $"{row.Stage ?? "running"} on {row.Worker}" : row.Stage is null ? row.State : $"{row.State}: {row.Stage}";
            Report(stage);
        }

        public void Report(string stage)
        {
            if (stage != _lastStage)
            {
                _lastStage = stage;
                progress?.Report(new RunProgress(Request.RunId, stage));
            }
        }

        public void Finish(RunResult result) => Result.TrySetResult(result);
    }
}
