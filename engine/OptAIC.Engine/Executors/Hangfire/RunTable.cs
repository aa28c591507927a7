using Npgsql;
using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>One run as the queue's own table holds it (what <c>optaic status --runs</c> lists).</summary>
public sealed record QueuedRun
{
    public required string RunId { get; init; }

    public string? JobId { get; init; }

    public required string Activity { get; init; }

    public required string Instance { get; init; }

    public required string Queue { get; init; }

    /// <summary>queued, running, succeeded, gatefailed, failed or cancelled.</summary>
    public required string State { get; init; }

    public string? Worker { get; init; }

    public string? Stage { get; init; }

    /// <summary>How many times a worker started it (more than one: a worker died or stopped and another took it over).</summary>
    public int Attempts { get; init; }

    /// <summary>Results that came after the first one and were ignored (a run restarted after a worker was lost).</summary>
    public int DuplicateResults { get; init; }

    public DateTimeOffset EnqueuedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public string? Error { get; init; }

    /// <summary>The result as <see cref="RunJson"/> wrote it, once there is one.</summary>
    public string? ResultJson { get; init; }

    public RunResult? Result => ResultJson is null ? null : RunJson.Deserialize<RunResult>(ResultJson, $"the result of run {RunId}");
}

/// <summary>What a worker finds when it starts a job.</summary>
public enum JobStart
{
    /// <summary>The run is this job's and has no result yet: run it.</summary>
    Started,

    /// <summary>The run already has its result (the job was delivered again after it finished): nothing to do.</summary>
    AlreadyDone,

    /// <summary>The run belongs to another job now (a coordinator enqueued it again): nothing to do.</summary>
    Superseded,
}

/// <summary>
/// The queue's own table, <c>optaic.runs</c>, next to Hangfire's in the same database: one row per run id
/// with its job, state, worker and stage, and its result. The first result of a run is kept and later
/// ones are counted and ignored, so a run restarted after a worker was lost can never produce two
/// results (and the coordinator, which registers from the result, never two versions). Changes are
/// announced on the channel <c>optaic_runs</c> (payload: the run id).
/// </summary>
public sealed class RunTable(PostgresEndpoint endpoint)
{
    public const string Channel = "optaic_runs";

    private const string Columns = "run_id, job_id, activity, instance, queue, state, worker, stage, attempts, duplicate_results, enqueued_at, started_at, finished_at, updated_at, error, result";

    public PostgresEndpoint Endpoint { get; } = endpoint;

    public static string StateOf(RunOutcome outcome) => outcome.ToString().ToLowerInvariant();

    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        await using var connection = await Endpoint.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({RunQueueStorage.InstallLock})", null, ct, transaction);
        await ExecuteAsync(connection, """
            CREATE SCHEMA IF NOT EXISTS optaic;
            CREATE TABLE IF NOT EXISTS optaic.runs (
                run_id text PRIMARY KEY,
                job_id text,
                activity text NOT NULL,
                instance text NOT NULL,
                queue text NOT NULL,
                state text NOT NULL,
                worker text,
                stage text,
                attempts integer NOT NULL DEFAULT 0,
                duplicate_results integer NOT NULL DEFAULT 0,
                enqueued_at timestamptz NOT NULL DEFAULT now(),
                started_at timestamptz,
                finished_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now(),
                error text,
                result text
            );
            CREATE INDEX IF NOT EXISTS runs_by_update ON optaic.runs (updated_at DESC);
            CREATE TABLE IF NOT EXISTS optaic.artifacts (
                sha256 text PRIMARY KEY,
                uri text NOT NULL,
                media_type text NOT NULL,
                bytes bigint NOT NULL,
                content bytea NOT NULL,
                added_at timestamptz NOT NULL DEFAULT now()
            );
            """, null, ct, transaction);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Makes sure the run has a live job: returns the finished result of an earlier run of the same id
    /// (succeeded or failed a gate: it is not run again), attaches to a job still queued or running, or
    /// calls <paramref name="enqueue"/> for a new job (none yet, or the last one failed, was cancelled or
    /// is gone). Serialized per run id, so two coordinators never enqueue the same run twice.
    /// </summary>
    public async Task<(string JobId, RunResult? Finished, bool Attached)> ClaimAsync(
        RunRequest request, string queue, Func<string?, bool> jobIsLive, Func<string> enqueue, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // The row exists (committed) before a job can: a worker that fetches the job at once finds it.
        await ExecuteAsync(connection, """
            INSERT INTO optaic.runs (run_id, activity, instance, queue, state) VALUES (@run, @activity, @instance, @queue, 'queued')
            ON CONFLICT (run_id) DO NOTHING
            """, p =>
        {
            p.AddWithValue("run", request.RunId);
            p.AddWithValue("activity", request.Activity);
            p.AddWithValue("instance", request.Instance);
            p.AddWithValue("queue", queue);
        }, ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var row = (await QueryAsync(connection, $"SELECT {Columns} FROM optaic.runs WHERE run_id = @run FOR UPDATE",
            p => p.AddWithValue("run", request.RunId), ct, transaction)).Single();
        if (row.ResultJson is not null && row.State is "succeeded" or "gatefailed")
        {
            await transaction.CommitAsync(ct);
            return (row.JobId!, row.Result, true);
        }
        if (row.ResultJson is null && row.JobId is not null && jobIsLive(row.JobId))
        {
            await transaction.CommitAsync(ct);
            return (row.JobId, null, true);
        }
        var jobId = enqueue();
        await ExecuteAsync(connection, """
            UPDATE optaic.runs SET job_id = @job, activity = @activity, instance = @instance, queue = @queue, state = 'queued',
                worker = NULL, stage = NULL, error = NULL, result = NULL, enqueued_at = now(), started_at = NULL, finished_at = NULL, updated_at = now()
            WHERE run_id = @run
            """, p =>
        {
            p.AddWithValue("run", request.RunId);
            p.AddWithValue("job", jobId);
            p.AddWithValue("activity", request.Activity);
            p.AddWithValue("instance", request.Instance);
            p.AddWithValue("queue", queue);
        }, ct, transaction);
        await transaction.CommitAsync(ct);
        return (jobId, null, false);
    }

    /// <summary>
    /// A worker starts the run of <paramref name="jobId"/>. The row is locked first, so a job fetched the
    /// moment it was created waits for its coordinator's claim to commit (and then sees its own job id).
    /// </summary>
    public async Task<(JobStart Start, int Attempts)> StartAsync(string runId, string jobId, string worker, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var rows = await QueryAsync(connection, $"SELECT {Columns} FROM optaic.runs WHERE run_id = @run FOR UPDATE", p => p.AddWithValue("run", runId), ct, transaction);
        if (rows.Count != 1 || rows[0].JobId != jobId)
        {
            await transaction.CommitAsync(ct);
            return (JobStart.Superseded, 0);
        }
        if (rows[0].ResultJson is not null)
        {
            await transaction.CommitAsync(ct);
            return (JobStart.AlreadyDone, rows[0].Attempts);
        }
        await ExecuteAsync(connection, """
            UPDATE optaic.runs SET state = 'running', worker = @worker, stage = 'started', attempts = attempts + 1, started_at = now(), updated_at = now()
            WHERE run_id = @run
            """, p =>
        {
            p.AddWithValue("run", runId);
            p.AddWithValue("worker", worker);
        }, ct, transaction);
        await NotifyAsync(connection, runId, ct, transaction);
        await transaction.CommitAsync(ct);
        return (JobStart.Started, rows[0].Attempts + 1);
    }

    /// <summary>Where the run is now (a stage line); best effort, for live displays.</summary>
    public async Task ReportAsync(string runId, string jobId, string stage, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, "UPDATE optaic.runs SET stage = @stage, updated_at = now() WHERE run_id = @run AND job_id = @job AND result IS NULL", p =>
        {
            p.AddWithValue("run", runId);
            p.AddWithValue("job", jobId);
            p.AddWithValue("stage", stage);
        }, ct);
        await NotifyAsync(connection, runId, ct);
    }

    /// <summary>The job gave its run back (its worker is stopping): queued again for the next worker.</summary>
    public async Task RequeueAsync(string runId, string jobId, string why, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, "UPDATE optaic.runs SET state = 'queued', stage = @stage, updated_at = now() WHERE run_id = @run AND job_id = @job AND result IS NULL", p =>
        {
            p.AddWithValue("run", runId);
            p.AddWithValue("job", jobId);
            p.AddWithValue("stage", why);
        }, ct);
        await NotifyAsync(connection, runId, ct);
    }

    /// <summary>
    /// Records the run's result when it is the first for this job; returns false (and counts it) when the
    /// run already has one, which is then left as it is. A coordinator that fails a run whose job is gone
    /// passes <paramref name="countDuplicate"/> false: a result already there is simply the run's.
    /// </summary>
    public async Task<bool> CompleteAsync(string runId, string jobId, RunResult result, string? worker, CancellationToken ct, bool countDuplicate = true)
    {
        await using var connection = await OpenAsync(ct);
        var recorded = await ExecuteAsync(connection, """
            UPDATE optaic.runs SET result = @result, state = @state, error = @error, stage = NULL, worker = COALESCE(@worker, worker), finished_at = now(), updated_at = now()
            WHERE run_id = @run AND job_id = @job AND result IS NULL
            """, p =>
        {
            p.AddWithValue("run", runId);
            p.AddWithValue("job", jobId);
            p.AddWithValue("result", RunJson.Serialize(result));
            p.AddWithValue("state", StateOf(result.Outcome));
            p.AddWithValue("error", (object?)result.Error ?? DBNull.Value);
            p.AddWithValue("worker", (object?)worker ?? DBNull.Value);
        }, ct) == 1;
        if (!recorded && countDuplicate)
        {
            await ExecuteAsync(connection, "UPDATE optaic.runs SET duplicate_results = duplicate_results + 1 WHERE run_id = @run",
                p => p.AddWithValue("run", runId), ct);
        }
        await NotifyAsync(connection, runId, ct);
        return recorded;
    }

    public async Task<IReadOnlyList<QueuedRun>> GetAsync(IReadOnlyCollection<string> runIds, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(connection, $"SELECT {Columns} FROM optaic.runs WHERE run_id = ANY(@runs)", p => p.AddWithValue("runs", runIds.ToArray()), ct);
    }

    /// <summary>The most recently changed runs, newest first.</summary>
    public async Task<IReadOnlyList<QueuedRun>> ListAsync(int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(connection, $"SELECT {Columns} FROM optaic.runs ORDER BY updated_at DESC, run_id LIMIT @limit", p => p.AddWithValue("limit", limit), ct);
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => Endpoint.OpenAsync(ct);

    private static async Task NotifyAsync(NpgsqlConnection connection, string runId, CancellationToken ct, NpgsqlTransaction? transaction = null) =>
        await ExecuteAsync(connection, $"SELECT pg_notify('{Channel}', @run)", p => p.AddWithValue("run", runId), ct, transaction);

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection>? parameters, CancellationToken ct, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        parameters?.Invoke(command.Parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<QueuedRun>> QueryAsync(NpgsqlConnection connection, string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken ct, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        parameters(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<QueuedRun>();
        while (await reader.ReadAsync(ct))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetDateTime(i), TimeSpan.Zero);
            rows.Add(new QueuedRun
            {
                RunId = reader.GetString(0),
                JobId = Text(1),
                Activity = reader.GetString(2),
                Instance = reader.GetString(3),
                Queue = reader.GetString(4),
                State = reader.GetString(5),
                Worker = Text(6),
                Stage = Text(7),
                Attempts = reader.GetInt32(8),
                DuplicateResults = reader.GetInt32(9),
                EnqueuedAt = Time(10)!.Value,
                StartedAt = Time(11),
                FinishedAt = Time(12),
                UpdatedAt = Time(13)!.Value,
                Error = Text(14),
                ResultJson = Text(15),
            });
        }
        return rows;
    }
}
