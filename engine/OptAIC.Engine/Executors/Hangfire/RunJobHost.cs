using System.Text.Json;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>
/// What a worker does with a job: claims the run in <see cref="RunTable"/> (a run that already has a result,
/// or that belongs to a newer job, is left alone), runs it through <see cref="RunHost"/> against the worker's
/// checkout, reports its stages, and records its result: the first one for the run wins. A worker asked to
/// stop gives the run back to the queue rather than recording a cancellation.
/// </summary>
public sealed class RunJobHost(string repositoryRoot, RunTable table, string worker, RunActivities activities, Action<string> log)
{
    private readonly Lock _gate = new();
    private readonly ArtifactTransport _transport = new(table.Endpoint);
    private RunWorkspace? _workspace;

    public string Worker { get; } = worker;

    public async Task RunAsync(string runId, string requestJson, string jobId, CancellationToken ct)
    {
        var (start, attempts) = await table.StartAsync(runId, jobId, Worker, ct);
        if (start != JobStart.Started)
        {
            log($"job {jobId}: run {runId} {(start == JobStart.AlreadyDone ? "already has its result" : "belongs to a newer job")}; nothing to do");
            return;
        }
        log($"job {jobId}: run {runId} started{(attempts > 1 ? $" (attempt {attempts}: taken over)" : "")}");
        RunResult result;
        Registry.IArtifactStore? store = null;
        try
        {
            var request = RunJson.Deserialize<RunRequest>(requestJson, $"job {jobId}");
            await using var stages = new StageReporter(table, runId, jobId);
            if (Open(request, out var refused) is { } workspace)
            {
                store = ArtifactTransport.Carries(request) ? workspace.OpenArtifacts(request.ArtifactStore) : null;
                if (store is not null && await _transport.FetchAsync(store, ArtifactTransport.ReadBy(request), ct) is var fetched and > 0)
                {
                    log($"job {jobId}: fetched {fetched} artifact(s) the run reads from the queue");
                }
                result = await RunHost.ExecuteAsync(request, workspace, stages, activities, ct: ct);
            }
            else
            {
                result = refused!;
            }
        }
        catch (Exception e) when (e is JsonException or RunRequestException or NotSupportedException)
        {
            result = new RunResult { RunId = runId, Activity = "?", Instance = "?", Outcome = RunOutcome.Failed, Error = $"the job's request cannot be read: {e.Message}" };
        }
        if (ct.IsCancellationRequested)
        {
            // Stopping (SIGTERM past the drain time): the run goes back to the queue for another worker.
            await table.RequeueAsync(runId, jobId, $"given back by {Worker} (stopping)", CancellationToken.None);
            log($"job {jobId}: run {runId} given back to the queue");
            ct.ThrowIfCancellationRequested();
        }
        var recorded = await CompleteAsync(runId, jobId, result, store);
        log(recorded
            ? $"job {jobId}: run {runId} {RunTable.StateOf(result.Outcome)}{(result.Error is null ? "" : $": {result.Error}")}"
            : $"job {jobId}: run {runId} finished again; its first result stands (this one is ignored)");
    }

    /// <summary>
    /// The run's artifacts are offered (when carried), then its result written, even through a short PostgreSQL
    /// outage; a longer one fails the job, which Hangfire retries.
    /// </summary>
    private async Task<bool> CompleteAsync(string runId, string jobId, RunResult result, Registry.IArtifactStore? store)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                if (store is not null && result.Outcome is RunOutcome.Succeeded or RunOutcome.GateFailed)
                {
                    await _transport.OfferAsync(store, result.Artifacts, CancellationToken.None);
                }
                return await table.CompleteAsync(runId, jobId, result, Worker, CancellationToken.None);
            }
            catch (Exception e) when ((PostgresEndpoint.IsConnectionError(e) || e is QueueException) && DateTimeOffset.UtcNow < deadline)
            {
                log($"job {jobId}: cannot record the result of run {runId} yet ({e.Message}); retrying");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>Opens the checkout before the first job (its caches warm, its specs checked): the specs hash, or why runs will be refused.</summary>
    public string Warm()
    {
        lock (_gate)
        {
            try
            {
                _workspace = RunWorkspace.Open(repositoryRoot);
                return $"specs {_workspace.SpecsHash[..19]}…";
            }
            catch (Exception e) when (e is InvalidSpecsException or SpecSourceException or IOException)
            {
                return $"its specs cannot be read ({e.Message.Split('\n')[0]}); runs will be refused until they can";
            }
        }
    }

    /// <summary>The checkout as a workspace, opened once per specs hash and shared by the runs of this worker (its caches too).</summary>
    private RunWorkspace? Open(RunRequest request, out RunResult? refused)
    {
        refused = null;
        lock (_gate)
        {
            if (_workspace is { } open && open.SpecsHash == request.Specs)
            {
                return open;
            }
            try
            {
                _workspace = RunWorkspace.Open(repositoryRoot);
                return _workspace;
            }
            catch (Exception e) when (e is InvalidSpecsException or SpecSourceException or IOException)
            {
                refused = RunResult.Refused(request, RunOutcome.Failed, $"the worker cannot read the specs at {repositoryRoot}: {e.Message}", RunFailure.Request);
                return null;
            }
        }
    }

    /// <summary>Progress of a run, written to its row at most twice a second (the latest stage only), best effort.</summary>
    private sealed class StageReporter : IProgress<RunProgress>, IAsyncDisposable
    {
        private readonly RunTable _table;
        private readonly string _runId;
        private readonly string _jobId;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private string? _latest;

        public StageReporter(RunTable table, string runId, string jobId)
        {
            _table = table;
            _runId = runId;
            _jobId = jobId;
            _loop = Task.Run(LoopAsync);
        }

        public void Report(RunProgress value) => Volatile.Write(ref _latest, value.ToString());

        private async Task LoopAsync()
        {
            string? written = null;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), _stop.Token);
                    var latest = Volatile.Read(ref _latest);
                    if (latest is not null && latest != written)
                    {
                        await _table.ReportAsync(_runId, _jobId, latest, _stop.Token);
                        written = latest;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception e) when (PostgresEndpoint.IsConnectionError(e) || e is QueueException)
                {
                    // Progress is for display; the result is what must get through.
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
