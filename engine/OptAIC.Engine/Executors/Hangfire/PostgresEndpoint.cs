using System.Net.Sockets;
using Npgsql;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>
/// The PostgreSQL database that holds the queue: a connection string from <c>--postgres</c> or from the
/// <c>OPTAIC_POSTGRES</c> environment variable (a password stays out of specs and command lines that way).
/// </summary>
public sealed class PostgresEndpoint
{
    public const string Variable = "OPTAIC_POSTGRES";

    private PostgresEndpoint(string connectionString, NpgsqlConnectionStringBuilder parsed)
    {
        ConnectionString = connectionString;
        Host = parsed.Host ?? "localhost";
        Port = parsed.Port;
        Database = parsed.Database ?? parsed.Username ?? "postgres";
    }

    public string ConnectionString { get; }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    /// <summary><c>host:port/database</c>: what messages name (never the password).</summary>
    public string Display => $"{Host}:{Port}/{Database}";

    /// <summary>The option's value, else the environment variable; an error naming both when neither is set.</summary>
    public static PostgresEndpoint Resolve(string? option, string optionName = "--postgres")
    {
        var value = string.IsNullOrWhiteSpace(option) ? Environment.GetEnvironmentVariable(Variable) : option;
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new QueueException($"{optionName}: no PostgreSQL connection string; pass {optionName} \"Host=...;Username=...;Database=...\" or set {Variable}");
        }
        return Parse(value, optionName);
    }

    public static PostgresEndpoint Parse(string connectionString, string optionName = "--postgres")
    {
        try
        {
            return new PostgresEndpoint(connectionString, new NpgsqlConnectionStringBuilder(connectionString));
        }
        catch (ArgumentException e)
        {
            throw new QueueException($"{optionName}: not a PostgreSQL connection string ({e.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Opens one connection, or throws the one-line "cannot reach PostgreSQL" error.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (Exception e) when (IsConnectionError(e))
        {
            await connection.DisposeAsync();
            throw Unreachable(e);
        }
    }

    public QueueException Unreachable(Exception e) =>
        new($"cannot reach PostgreSQL at {Display}: {Describe(e)}; start it or pass --postgres (or set {Variable})", e, unreachable: true);

    /// <summary>Errors of the connection (refused, reset, timed out, the server shutting down), as opposed to errors in a statement.</summary>
    public static bool IsConnectionError(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) // operator intervention: admin shutdown, cannot connect now
            || pg.SqlState == "28P01" || pg.SqlState == "28000" || pg.SqlState == "3D000", // password, authorization, no such database
        NpgsqlException => true,
        SocketException or TimeoutException or IOException => true,
        InvalidOperationException when e.InnerException is not null => IsConnectionError(e.InnerException),
        _ => false,
    };

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not PostgresException)
        {
            inner = inner.InnerException;
        }
        return inner.Message.Split('\n')[0].TrimEnd('.');
    }
}
