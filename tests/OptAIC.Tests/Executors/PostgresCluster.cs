using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OptAIC.Tests.Executors;

/// <summary>
/// A real PostgreSQL: the server named by <c>OPTAIC_TEST_POSTGRES</c> (a connection string of a role that may
/// create databases), else a cluster of its own, made with Debian's initdb in a temp folder and started by
/// pg_ctl on a free loopback port (as the postgres user when run as root), stopped and removed on Dispose.
/// Without the PostgreSQL binaries it throws and says how to install them. Shared by the tests and the
/// benchmarks (linked into OptAIC.Benchmarks).
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    public const string Variable = "OPTAIC_TEST_POSTGRES";

    private readonly string? _root;
    private readonly string? _bin;
    private readonly string _admin;

    private PostgresCluster(string? root, string? bin, string admin, int port)
    {
        _root = root;
        _bin = bin;
        _admin = admin;
        Port = port;
    }

    public bool OwnCluster => _root is not null;

    public int Port { get; }

    public static PostgresCluster Start()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return new PostgresCluster(null, null, given, new NpgsqlConnectionStringBuilder(given).Port);
        }
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin): run 'apt-get install -y postgresql' (.ci/run does), or set OPTAIC_TEST_POSTGRES to a server's connection string");
        var root = Path.Combine(Path.GetTempPath(), $"optaic-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var port = FreePort();
        var cluster = new PostgresCluster(root, bin, $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=optaic;Database=postgres;Pooling=false", port);
        try
        {
            if (IsRoot)
            {
                Run("chown", "postgres", root); // initdb and postgres refuse to run as root
            }
            cluster.Pg("initdb", "-D", cluster.Data, "-U", "optaic", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions");
            cluster.Pg("pg_ctl", "-D", cluster.Data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o",
                $"-p {port.ToString(CultureInfo.InvariantCulture)} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "start");
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
        return cluster;
    }

    /// <summary>A fresh database: its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"t_{Guid.NewGuid():N}";
        using (var connection = new NpgsqlConnection(_admin))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>pg_ctl restart (fast: every connection is cut), back on the same port.</summary>
    public void Restart()
    {
        if (_root is null)
        {
            throw new InvalidOperationException($"restarting PostgreSQL needs a cluster of its own (unset {Variable})");
        }
        Pg("pg_ctl", "-D", Data, "-w", "-t", "60", "-m", "fast", "restart");
    }

    public void Dispose()
    {
        if (_root is null)
        {
            return;
        }
        try
        {
            if (File.Exists(Path.Combine(Data, "postmaster.pid")))
            {
                Pg("pg_ctl", "-D", Data, "-w", "-t", "60", "-m", "fast", "stop");
            }
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
