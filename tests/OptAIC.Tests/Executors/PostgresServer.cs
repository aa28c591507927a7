using Xunit;

namespace OptAIC.Tests.Executors;

/// <summary>
/// The distributed tests' PostgreSQL (<see cref="PostgresCluster"/>), one per test run, stopped at its end;
/// each test gets a database of its own. Without PostgreSQL the tests fail saying how to install it: they are
/// never skipped.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly PostgresCluster _cluster = PostgresCluster.Start();

    public bool OwnCluster => _cluster.OwnCluster;

    public Task<string> CreateDatabaseAsync() => Task.FromResult(_cluster.CreateDatabase());

    public void Restart() => _cluster.Restart();

    public void Dispose() => _cluster.Dispose();
}

[CollectionDefinition(Name)]
public sealed class PostgresGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
