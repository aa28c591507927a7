using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace OptAIC.Tests.Executors;

/// <summary>
/// A real PostgreSQL for the distributed tests: the server named by <c>OPTAIC_TEST_POSTGRES</c> (a connection
/// string of a role that may create databases), else a cluster of its own, made with Debian's initdb in a temp
/// folder and started by pg_ctl on a free loopback port (as the postgres user when the tests run as root),
/// stopped and removed when the tests end. Each test gets a database of its own. Without the PostgreSQL
/// binaries the tests fail and say how to install them; they are never skipped.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string Variable = "OPTAIC_TEST_POSTGRES";

    private string? _root;
    private string? _bin;
    private string _admin = "";

    public bool OwnCluster => _root is not null;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            _admin = given;
            Port = new NpgsqlConnectionStringBuilder(given).Port;
            return;
        }
        _bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin): run 'apt-get install -y postgresql' (.ci/run does), or set OPTAIC_TEST_POSTGRES to a server's connection string");
        _root = Path.Combine(Path.GetTempPath(), $"optaic-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
        if (IsRoot)
        {
            Run("chown", "postgres", _root); // initdb and postgres refuse to run as root
        }
        Port = FreePort();
        Pg("initdb", "-D", Data, "-U", "optaic", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions");
        Pg("pg_ctl", "-D", Data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start");
        _admin = $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=optaic;Database=postgres;Pooling=false";
        await using var check = new NpgsqlConnection(_admin);
        await check.OpenAsync();
    }

    /// <summary>A fresh database: its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(_admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(_admin) { Database = name, Pooling = true };
        return builder.ConnectionString;
    }

    /// <summary>pg_ctl restart (fast: every connection is cut), back on the same port.</summary>
    public void Restart()
    {
        if (_root is null)
        {
            throw new InvalidOperationException($"this test restarts PostgreSQL: it needs a cluster of its own (unset {Variable})");
        }
        Pg("pg_ctl", "-D", Data, "-w", "-t", "60", "-m", "fast", "restart");
    }

    public Task DisposeAsync()
    {
        if (_root is not null)
        {
            try
            {
                Pg("pg_ctl", "-D", Data, "-w", "-t", "60", "-m", "fast", "stop");
            }
            finally
            {
                try
                {
                    Directory.Delete(_root, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
        return Task.CompletedTask;
    }

    private string Data => Path.Combine(_root!, "data");

    private static bool IsRoot => Environment.UserName == "root";

    private void Pg(string tool, params string[] arguments)
    {
        var binary = Path.Combine(_bin!, tool);
        if (IsRoot)
        {
            Run("runuser", ["-u", "postgres", "--", binary, .. arguments]);
        }
        else
        {
            Run(binary, arguments);
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {output.Result}{error.Result}");
        }
    }

    private static string? FindBinaries()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return Path.GetDirectoryName(new FileInfo(Path.Combine(dir, "pg_ctl")).ResolveLinkTarget(true)?.FullName ?? Path.Combine(dir, "pg_ctl"));
            }
        }
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
