using System.CommandLine;
using OptAIC.Cli.Help;
using OptAIC.Engine.Web;

namespace OptAIC.Cli.Commands;

/// <summary>
/// `optaic serve`: one web host for the MLOps Center (pages and their JSON API) and model serving, live from the
/// registry and reloaded when its commit moves. Read-only: nothing it serves writes the repository.
/// </summary>
public static class ServeCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var host = new Option<string>("--host") { Description = "The address to listen on (0.0.0.0 for every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port", "-p") { Description = "The port to listen on.", DefaultValueFactory = _ => 8080 };
        var watchRemote = new Option<string?>("--watch-remote")
        {
            Description = "Fetch the branch's remote every INTERVAL (default 30s; e.g. 10s, 5m) and fast-forward to it, reloading the models as a pull would.",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "INTERVAL",
        };
        var logRequests = new Option<string?>("--log-requests")
        {
            Description = "Log one line per request to standard output (no input data); 'bodies' also logs inference request and response bodies.",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "summary|bodies",
        };
        var command = new Command("serve", $"Serve the MLOps Center and the production models over HTTP (a bearer token from {WebHostOptions.TokenVariable} when set).")
        {
            host, port, watchRemote, logRequests,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(async () =>
        {
            var options = new WebHostOptions
            {
                RepositoryRoot = RepositoryLocator.Find(result.GetValue(repoOption)),
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                Token = WebHostOptions.TokenFromEnvironment(),
                WatchRemote = result.GetResult(watchRemote) is null ? null : Interval(result.GetValue(watchRemote)),
                LogRequests = result.GetResult(logRequests) is null ? RequestLogging.Off : result.GetValue(logRequests) switch
                {
                    null or "summary" => RequestLogging.Summary,
                    "bodies" => RequestLogging.Bodies,
                    var other => throw new WebHostException($"--log-requests {other}: give summary (the default: no input data) or bodies"),
                },
            };
            await using var web = OptaicWebHost.Create(options);
            await web.StartAsync(ct);
            var following = options.WatchRemote is { } every ? $"; following the remote every {every.TotalSeconds:0.###} s" : "";
            System.Console.Out.WriteLine($"optaic serve: listening on {web.BoundAddress}{(options.Token is null ? "" : $" (bearer token from {WebHostOptions.TokenVariable})")}{following}; Ctrl-C stops");
            if (options.Token is null && options.Host is not ("127.0.0.1" or "localhost" or "::1"))
            {
                System.Console.Error.WriteLine($"optaic serve: warning: listening on {options.Host} without a token; set {WebHostOptions.TokenVariable} to require one");
            }
            await web.RunAsync(ct);
            return ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic serve                                   # http://127.0.0.1:8080",
            "OPTAIC_SERVE_TOKEN=secret optaic serve --host 0.0.0.0 --port 9000",
            "optaic serve --watch-remote 1m --log-requests   # a deployment clone that follows origin");
    }

    /// <summary>An interval as 30, 30s, 500ms, 5m or 1h (default 30 s); at least 1 s.</summary>
    internal static TimeSpan Interval(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return TimeSpan.FromSeconds(30);
        }
        var trimmed = text.Trim();
        var (number, unit) = trimmed.EndsWith("ms", StringComparison.Ordinal) ? (trimmed[..^2], 0.001)
            : trimmed.EndsWith('s') ? (trimmed[..^1], 1.0)
            : trimmed.EndsWith('m') ? (trimmed[..^1], 60.0)
            : trimmed.EndsWith('h') ? (trimmed[..^1], 3600.0)
            : (trimmed, 1.0);
        if (!double.TryParse(number, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || value * unit < 1 || value * unit > 86400)
        {
            throw new WebHostException($"--watch-remote {text}: give an interval from 1s to 24h, such as 30s, 5m or 1h");
        }
        return TimeSpan.FromSeconds(value * unit);
    }
}
