using global::Hangfire;
using global::Hangfire.PostgreSql;
using global::Hangfire.PostgreSql.Factories;
using Npgsql;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>How the queue behaves; the coordinator and its workers should agree on it.</summary>
public sealed record QueueSettings
{
    /// <summary>Hangfire's schema in the database (its dashboard reads the same one).</summary>
    public string HangfireSchema { get; init; } = "hangfire";

    /// <summary>
    /// How long a fetched job stays invisible to other workers without a keep-alive: a worker that dies
    /// (killed, its machine gone) has its job handed to another one after this long. Live workers renew it
    /// (Hangfire.PostgreSql's sliding invisibility timeout), so a training may run much longer than this.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The fallback poll of an idle worker; new jobs wake it at once through LISTEN/NOTIFY.</summary>
    public TimeSpan QueuePollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The queue a coordinator enqueues into, when it names none.</summary>
    public const string DefaultQueue = "default";
}

/// <summary>Hangfire's job storage in PostgreSQL, created once per process (its schema is installed on first use).</summary>
public static class RunQueueStorage
{
    private static int _configured;

    public static PostgreSqlStorage Create(PostgresEndpoint endpoint, QueueSettings settings)
    {
        ConfigureOnce();
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = settings.HangfireSchema,
            InvisibilityTimeout = settings.InvisibilityTimeout,
            UseSlidingInvisibilityTimeout = true,
            QueuePollInterval = settings.QueuePollInterval,
            EnableLongPolling = true,
            PrepareSchemaIfNecessary = true,
            // Reachability is checked before (one clear line); no silent degraded mode after that.
            StartupConnectionMaxRetries = 0,
            AllowDegradedModeWithoutStorage = false,
        };
        // Two workers starting at once would both install the schema; one PostgreSQL advisory lock makes it one at a time.
        try
        {
            using var gate = new NpgsqlConnection(endpoint.ConnectionString);
            gate.Open();
            Execute(gate, $"SELECT pg_advisory_lock({InstallLock})");
            try
            {
                return new PostgreSqlStorage(new NpgsqlConnectionFactory(endpoint.ConnectionString, options), options);
            }
            finally
            {
                Execute(gate, $"SELECT pg_advisory_unlock({InstallLock})");
            }
        }
        catch (Exception e) when (PostgresEndpoint.IsConnectionError(e))
        {
            throw endpoint.Unreachable(e);
        }
    }

    /// <summary>The advisory lock key that serializes schema installs (Hangfire's and the run table's).</summary>
    internal const long InstallLock = 7306541;

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Hangfire's process-wide settings: the 1.8 payload format (shorter, the current one).</summary>
    private static void ConfigureOnce()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 0)
        {
            GlobalConfiguration.Configuration
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
        }
    }
}
