using System.Diagnostics;
using System.Globalization;
using Npgsql;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Executors;
using OptAIC.Engine.Executors.Hangfire;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Cli;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Executors;

/// <summary>
/// The Hangfire executor for real: a PostgreSQL cluster, `optaic worker` child processes of the built
/// command, and runs of the diagnostic activities (they only take time) through the queue.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed class HangfireExecutorTests(PostgresServer postgres) : IDisposable
{
    private readonly ExampleRepository _repo = ExampleRepository.Create(["spx-alpha"]);
    private readonly List<WorkerProcess> _workers = [];

    [Fact]
    public async Task A_run_goes_through_the_queue_to_a_worker_process_and_its_result_comes_back()
    {
        var database = await postgres.CreateDatabaseAsync();
        var worker = await StartWorkerAsync(database, "w1");
        await using var executor = await ExecutorAsync(database);
        var stages = new List<string>();

        var result = await executor.ExecuteAsync(Request("r-one", DiagnosticActivities.Sleep, 300), new Recorder(stages), CancellationToken.None);

        result.Outcome.ShouldBe(RunOutcome.Succeeded, result.Error);
        result.Summary.ShouldBe($"diagnostic-sleep 300 ms in process {worker.Pid}");
        stages[0].ShouldStartWith("queued as job ");
        var row = (await executor.Table.GetAsync(["r-one"], CancellationToken.None)).Single();
        row.State.ShouldBe("succeeded");
        row.Worker.ShouldBe("w1");
        row.Attempts.ShouldBe(1);
        row.Result!.Summary.ShouldBe(result.Summary);
        Starts("r-one").ShouldBe(1);

        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null, "status", "--runs", "--postgres", database);
        exit.ShouldBe(0, error);
        output.ShouldContain("r-one");
        output.ShouldContain("diagnostic-sleep");
        output.ShouldContain("succeeded");
        output.ShouldContain("w1");
        output.ShouldContain("0 queued, 0 running, 1 succeeded");
    }

    [Fact]
    public async Task A_worker_killed_mid_run_hands_it_to_another_and_exactly_one_result_is_recorded()
    {
        var database = await postgres.CreateDatabaseAsync();
        var first = await StartWorkerAsync(database, "w1");
        var second = await StartWorkerAsync(database, "w2");
        await using var executor = await ExecutorAsync(database);

        var run = executor.ExecuteAsync(Request("r-kill", DiagnosticActivities.Sleep, 4000), null, CancellationToken.None);
        var running = await WaitForStateAsync(executor.Table, "r-kill", "running");
        await WaitForStartsAsync("r-kill", 1); // the activity itself has begun
        var (victim, survivor) = running.Worker == "w1" ? (first, second) : (second, first);
        victim.Kill();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(90));

        result.Outcome.ShouldBe(RunOutcome.Succeeded, result.Error);
        result.Summary.ShouldBe($"diagnostic-sleep 4000 ms in process {survivor.Pid}");
        var row = (await executor.Table.GetAsync(["r-kill"], CancellationToken.None)).Single();
        row.Worker.ShouldBe(survivor.Name);
        row.Attempts.ShouldBe(2);
        Starts("r-kill").ShouldBe(2); // restarted by the survivor
        row.DuplicateResults.ShouldBe(0);

        // Had the killed worker come back and finished too, its result would be counted and ignored.
        (await executor.Table.CompleteAsync("r-kill", row.JobId!, result with { Summary = "late duplicate" }, victim.Name, CancellationToken.None)).ShouldBeFalse();
        var after = (await executor.Table.GetAsync(["r-kill"], CancellationToken.None)).Single();
        after.Result!.Summary.ShouldBe(result.Summary);
        after.DuplicateResults.ShouldBe(1);
    }

    [Fact]
    public async Task A_coordinator_stopped_while_waiting_is_followed_by_one_that_attaches_to_the_job_in_flight()
    {
        var database = await postgres.CreateDatabaseAsync();
        await StartWorkerAsync(database, "w1");
        var request = Request("r-attach", DiagnosticActivities.Sleep, 3000);

        using (var gone = new CancellationTokenSource())
        {
            await using var first = await ExecutorAsync(database);
            var waiting = first.ExecuteAsync(request, null, gone.Token);
            await WaitForStateAsync(first.Table, "r-attach", "running");
            await gone.CancelAsync(); // the coordinator goes away; the job goes on
            (await waiting).Outcome.ShouldBe(RunOutcome.Cancelled);
        }
        await using var second = await ExecutorAsync(database);
        var stages = new List<string>();
        var result = await second.ExecuteAsync(request, new Recorder(stages), CancellationToken.None);
        var third = await second.ExecuteAsync(request, new Recorder(stages), CancellationToken.None);

        result.Outcome.ShouldBe(RunOutcome.Succeeded, result.Error);
        stages[0].ShouldStartWith("attached to job ");
        third.Summary.ShouldBe(result.Summary);
        stages.ShouldContain("result taken from an earlier run of the queue");
        Starts("r-attach").ShouldBe(1);
        (await JobCountAsync(database)).ShouldBe(1);
    }

    [Fact]
    public async Task PostgreSQL_restarted_during_a_run_and_the_run_finishes_when_it_is_back()
    {
        var database = await postgres.CreateDatabaseAsync();
        await StartWorkerAsync(database, "w1");
        await using var executor = await ExecutorAsync(database);

        var run = executor.ExecuteAsync(Request("r-restart", DiagnosticActivities.Sleep, 4000), null, CancellationToken.None);
        await WaitForStateAsync(executor.Table, "r-restart", "running");
        postgres.Restart();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(90));

        result.Outcome.ShouldBe(RunOutcome.Succeeded, result.Error);
        Starts("r-restart").ShouldBe(1);
        (await executor.Table.GetAsync(["r-restart"], CancellationToken.None)).Single().State.ShouldBe("succeeded");
    }

    [Fact]
    public async Task SIGTERM_drains_a_worker_its_run_in_progress_finishes_and_it_exits_143()
    {
        var database = await postgres.CreateDatabaseAsync();
        var worker = await StartWorkerAsync(database, "w1");
        await using var executor = await ExecutorAsync(database);

        var run = executor.ExecuteAsync(Request("r-drain", DiagnosticActivities.Sleep, 2500), null, CancellationToken.None);
        await WaitForStateAsync(executor.Table, "r-drain", "running");
        worker.Terminate();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        var exit = await worker.WaitForExitAsync(TimeSpan.FromSeconds(60));

        result.Outcome.ShouldBe(RunOutcome.Succeeded, result.Error);
        result.Summary.ShouldBe($"diagnostic-sleep 2500 ms in process {worker.Pid}");
        exit.ShouldBe(143);
        worker.Output.ShouldContain("draining");
        worker.Output.ShouldContain("stopped");
    }

    [Fact]
    public void An_unreachable_PostgreSQL_is_one_line_naming_it_and_exit_1()
    {
        var port = FreePort();
        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null,
            "worker", "--postgres", $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=optaic;Database=queue;Timeout=3");

        exit.ShouldBe(1, output + error);
        error.Trim().ShouldStartWith($"optaic worker: cannot reach PostgreSQL at 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/queue: ");
        error.Trim().ShouldEndWith("; start it or pass --postgres (or set OPTAIC_POSTGRES)");
        error.Trim().Split('\n').Length.ShouldBe(1);
    }

    [Fact]
    public async Task Optaic_apply_with_the_hangfire_executor_runs_through_a_worker_and_commits()
    {
        var database = await postgres.CreateDatabaseAsync();
        var worker = await StartWorkerAsync(database, "w1");

        var (exit, output, error) = OptaicProcess.Run(_repo.Path, new Dictionary<string, string> { [PostgresEndpoint.Variable] = database }, "apply", "--executor", "hangfire");

        exit.ShouldBe(0, output + error + worker.Output);
        output.ShouldContain("Committed ");
        worker.Output.ShouldContain("train-spx-alpha-");
        OptaicProcess.Run(_repo.Path, null, "plan", "--detailed-exitcode").Exit.ShouldBe(0);
    }

    [Fact]
    public void Optaic_apply_with_the_hangfire_executor_and_PostgreSQL_unreachable_is_one_line_and_exit_1()
    {
        var port = FreePort();
        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null,
            "apply", "--executor", "hangfire", "--postgres", $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=optaic;Database=queue;Timeout=3");

        exit.ShouldBe(1, output + error);
        error.Trim().ShouldStartWith($"optaic: cannot reach PostgreSQL at 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/queue: ");
        error.Trim().Split('\n').Length.ShouldBe(1);
        Directory.Exists(_repo.File("models")).ShouldBeFalse();
    }

    [Fact]
    public void A_worker_without_a_connection_string_says_where_to_give_one()
    {
        var (exit, _, error) = OptaicProcess.Run(_repo.Path, new Dictionary<string, string> { [PostgresEndpoint.Variable] = "" }, "worker");

        exit.ShouldBe(2);
        error.Trim().ShouldBe("optaic worker: --postgres: no PostgreSQL connection string; pass --postgres \"Host=...;Username=...;Database=...\" or set OPTAIC_POSTGRES");
    }

    private async Task<WorkerProcess> StartWorkerAsync(string database, string name)
    {
        var worker = await WorkerProcess.StartAsync(database, _repo.Path, name);
        _workers.Add(worker);
        return worker;
    }

    private static Task<HangfireRunExecutor> ExecutorAsync(string database) =>
        HangfireRunExecutor.CreateAsync(new HangfireExecutorOptions { Endpoint = PostgresEndpoint.Parse(database) });

    private RunRequest Request(string runId, string activity, int milliseconds)
    {
        var workspace = RunWorkspace.Open(_repo.Path);
        return new RunRequest
        {
            RunId = runId,
            Activity = activity,
            Instance = "spx-alpha",
            Specs = workspace.SpecsHash,
            Datasets = new Dictionary<string, string> { ["spx-daily"] = workspace.DatasetVersion("spx-daily") },
            ArtifactStore = "repository:models",
            Reasons = [DiagnosticActivities.Duration(milliseconds)],
        };
    }

    /// <summary>How many times a worker started the run (the diagnostic activities log each start).</summary>
    private int Starts(string runId)
    {
        var log = _repo.File($".optaic/{DiagnosticActivities.LogFile}");
        return File.Exists(log) ? File.ReadAllLines(log).Count(l => l.StartsWith(runId + " ", StringComparison.Ordinal)) : 0;
    }

    private async Task WaitForStartsAsync(string runId, int starts)
    {
        var clock = Stopwatch.StartNew();
        while (Starts(runId) < starts)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60), $"run {runId} was not started {starts} time(s)");
            await Task.Delay(20);
        }
    }

    private static async Task<QueuedRun> WaitForStateAsync(RunTable table, string runId, string state)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var row = (await table.GetAsync([runId], CancellationToken.None)).SingleOrDefault();
            if (row?.State == state)
            {
                return row;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"run {runId} never became {state}");
    }

    private static async Task<long> JobCountAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM hangfire.job", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
        _repo.Dispose();
    }

    /// <summary>Progress as it arrives, synchronously (Progress&lt;T&gt; would post it later).</summary>
    private sealed class Recorder(List<string> stages) : IProgress<RunProgress>
    {
        public void Report(RunProgress value)
        {
            lock (stages)
            {
                stages.Add(value.Stage);
            }
        }
    }
}
