using System.Diagnostics;
using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Executors.Hangfire;
using OptAIC.Engine.Plan;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Executors;

/// <summary>
/// The example applied through the queue: two `optaic worker` processes on a clone of the repository of their
/// own (so the artifacts travel through PostgreSQL), the coordinator registering and committing as with the
/// in-process executor.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed partial class ExampleThroughWorkersTests(PostgresServer postgres) : IDisposable
{
    private static readonly string[] AllInstances = ["spx-alpha", "spx-linear", "spx-ensemble", "spx-regime", "spx-filtered", "spx-relevance"];
    private readonly List<IDisposable> _owned = [];

    [Fact]
    public async Task The_example_applied_through_two_workers_records_what_the_in_process_apply_records()
    {
        var inProcess = Own(ExampleRepository.Create(AllInstances));
        var queued = Own(ExampleRepository.Create(AllInstances));
        var database = await postgres.CreateDatabaseAsync();
        var w1 = Own(await WorkerProcess.StartAsync(database, Clone(queued.Path), "w1"));
        var w2 = Own(await WorkerProcess.StartAsync(database, Clone(queued.Path), "w2"));

        var expected = await new Applier(ReconcileSession.Open(inProcess.Path)).ApplyAsync();
        ApplyResult actual;
        await using (var executor = await Executor(database, queued.Path))
        {
            actual = await new Applier(ReconcileSession.Open(queued.Path), new ApplyOptions { Executor = executor, MaxParallelRuns = 8 }).ApplyAsync();
        }

        expected.Succeeded.ShouldBeTrue(RegistryRecords.Describe(expected));
        actual.Succeeded.ShouldBeTrue(RegistryRecords.Describe(actual) + "\n" + w1.Output + "\n" + w2.Output);
        actual.CommitSha.ShouldNotBeNull();
        actual.Outcomes.Select(o => (o.Action.Id, o.Status, o.Summary)).ShouldBe(expected.Outcomes.Select(o => (o.Action.Id, o.Status, o.Summary)));
        var want = RegistryRecords.Masked(Path.Combine(inProcess.Path, "models"));
        var got = RegistryRecords.Masked(Path.Combine(queued.Path, "models"));
        got.Keys.Order(StringComparer.Ordinal).ShouldBe(want.Keys.Order(StringComparer.Ordinal));
        want.Count.ShouldBeGreaterThan(40);
        foreach (var (path, text) in want)
        {
            got[path].ShouldBe(text, $"{path} differs");
        }
        // Every artifact came to the coordinator's checkout through the queue (the workers' clones are their own).
        (await CountAsync(database, "SELECT count(*) FROM optaic.artifacts")).ShouldBeGreaterThanOrEqualTo(actual.Plan.Actions.Count(a => a.Kind == ActionKind.Train));
        ReconcileSession.Open(queued.Path).Plan().Actions.ShouldBeEmpty();
        await using var table = await Executor(database, null);
        var runs = await table.Table.ListAsync(100, CancellationToken.None);
        runs.Count.ShouldBe(actual.Plan.Actions.Count);
        runs.Select(r => r.Worker!).Distinct().Order(StringComparer.Ordinal).ToArray().ShouldBe(["w1", "w2"]); // both workers took runs
    }

    [Fact]
    public async Task A_worker_killed_mid_training_still_leaves_exactly_one_version_per_instance()
    {
        var repo = Own(ExampleRepository.Create(["spx-alpha", "spx-linear"]));
        var database = await postgres.CreateDatabaseAsync();
        var checkout = Clone(repo.Path);
        var w1 = Own(await WorkerProcess.StartAsync(database, checkout, "w1"));
        var w2 = Own(await WorkerProcess.StartAsync(database, checkout, "w2"));
        await using var executor = await Executor(database, repo.Path);

        var apply = new Applier(ReconcileSession.Open(repo.Path), new ApplyOptions { Executor = executor, MaxParallelRuns = 8 }).ApplyAsync();
        var training = await WaitForAsync(async () => (await executor.Table.ListAsync(50, CancellationToken.None))
            .FirstOrDefault(r => r.Activity == "train" && r.State == "running"));
        var victim = training.Worker == "w1" ? w1 : w2;
        victim.Kill();
        var applied = await apply.WaitAsync(TimeSpan.FromMinutes(5));

        applied.Succeeded.ShouldBeTrue(RegistryRecords.Describe(applied) + "\n" + w1.Output + "\n" + w2.Output);
        foreach (var instance in new[] { "spx-alpha", "spx-linear" })
        {
            Directory.GetFiles(Path.Combine(repo.Path, "models", instance, "versions")).Select(Path.GetFileName).ShouldBe(["0001.yaml"], $"{instance} has one version");
        }
        var row = (await executor.Table.GetAsync([training.RunId], CancellationToken.None)).Single();
        row.Attempts.ShouldBe(2, "the killed worker's training was started again by the other");
        row.Worker.ShouldNotBe(training.Worker);
        ReconcileSession.Open(repo.Path).Plan().Actions.ShouldBeEmpty();
    }

    private static async Task<long> CountAsync(string database, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static Task<HangfireRunExecutor> Executor(string database, string? repository) =>
        HangfireRunExecutor.CreateAsync(new HangfireExecutorOptions { Endpoint = PostgresEndpoint.Parse(database), RepositoryRoot = repository });

    /// <summary>The workers' checkout: a clone, as on another machine (it shares nothing with the coordinator's folder).</summary>
    private string Clone(string source)
    {
        var folder = Own(new TempFolder("optaic-worker-checkout"));
        var target = Path.Combine(folder.Path, "repo");
        Repository.Clone(source, target);
        return target;
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (await probe() is { } found)
            {
                return found;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the awaited state never came");
    }


    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }
    }
}
