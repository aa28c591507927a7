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
        var command = new Command("serve", $"Serve the MLOps Center and the production models over HTTP (a bearer token from {WebHostOptions.TokenVariable} when set).")
        {
            host, port,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(async () =>
        {
            var options = new WebHostOptions
            {
                RepositoryRoot = RepositoryLocator.Find(result.GetValue(repoOption)),
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                Token = WebHostOptions.TokenFromEnvironment(),
            };
            await using var web = OptaicWebHost.Create(options);
            await web.StartAsync(ct);
            System.Console.Out.WriteLine($"optaic serve: listening on {web.BoundAddress}{(options.Token is null ? "" : $" (bearer token from {WebHostOptions.TokenVariable})")}; Ctrl-C stops");
            if (options.Token is null && options.Host is not ("127.0.0.1" or "localhost" or "::1"))
            {
                System.Console.Error.WriteLine($"optaic serve: warning: listening on {options.Host} without a token; set {WebHostOptions.TokenVariable} to require one");
            }
            await web.RunAsync(ct);
            return ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic serve                                   # http://127.0.0.1:8080",
            "OPTAIC_SERVE_TOKEN=secret optaic serve --host 0.0.0.0 --port 9000");
    }
}
