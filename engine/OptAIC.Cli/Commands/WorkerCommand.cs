using System.CommandLine;
using System.Globalization;
using OptAIC.Cli.Help;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Executors;
using OptAIC.Engine.Executors.Hangfire;

namespace OptAIC.Cli.Commands;

/// <summary>
/// `optaic worker`: takes runs from the queue in PostgreSQL (Hangfire) and runs them against this machine's
/// checkout of the repository, until SIGTERM or Ctrl-C, which drain it: exit 143 after SIGTERM, 130 after
/// Ctrl-C, 1 when PostgreSQL cannot be reached, 2 for a bad option.
/// </summary>
public static class WorkerCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var postgres = new Option<string?>("--postgres") { Description = $"The queue's PostgreSQL connection string (default: the {PostgresEndpoint.Variable} environment variable)." };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Runs at once in this worker.", DefaultValueFactory = _ => 1 };
        var queues = new Option<string[]>("--queues") { Description = "The queues to take runs from.", DefaultValueFactory = _ => [QueueSettings.DefaultQueue], AllowMultipleArgumentsPerToken = true };
        var drain = new Option<int>("--drain-timeout") { Description = "On SIGTERM, seconds the runs in progress have to finish before they go back to the queue.", DefaultValueFactory = _ => 600 };
        var invisibility = new Option<int>("--invisibility-timeout") { Description = "Seconds after which a run of a worker that stopped answering (killed, its machine lost) goes to another worker.", DefaultValueFactory = _ => (int)new QueueSettings().InvisibilityTimeout.TotalSeconds };
        var name = new Option<string?>("--name") { Description = "This worker's name in 'status --runs' and the dashboard (default: host:pid)." };
        var command = new Command("worker", "Take runs from the queue in PostgreSQL and run them here, until SIGTERM (which drains).")
        {
            postgres, concurrency, queues, drain, invisibility, name,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(async () =>
        {
            var seconds = result.GetValue(invisibility);
            if (seconds < 5)
            {
                throw new UsageException($"--invisibility-timeout: {seconds.ToString(CultureInfo.InvariantCulture)} s is too short (at least 5: live workers renew it every fifth of it)");
            }
            if (result.GetValue(drain) < 0)
            {
                throw new UsageException("--drain-timeout: must be 0 or more seconds");
            }
            try
            {
                var options = new WorkerOptions
                {
                    Endpoint = PostgresEndpoint.Resolve(result.GetValue(postgres)),
                    Settings = new QueueSettings { InvisibilityTimeout = TimeSpan.FromSeconds(seconds) },
                    RepositoryRoot = RepositoryLocator.Find(result.GetValue(repoOption)),
                    Concurrency = result.GetValue(concurrency),
                    Queues = result.GetValue(queues) ?? [QueueSettings.DefaultQueue],
                    DrainTimeout = TimeSpan.FromSeconds(result.GetValue(drain)),
                    Name = result.GetValue(name),
                    Activities = DiagnosticActivities.RegisterIfEnabled(RunActivities.Default),
                };
                await RunWorker.RunAsync(options, line => System.Console.Out.WriteLine($"optaic worker: {line}"), ct);
            }
            catch (QueueException e)
            {
                System.Console.Error.WriteLine($"optaic worker: {e.Message}");
                return e.Unreachable ? ExitCodes.Failed : ExitCodes.UsageOrChanges;
            }
            return ct.IsCancellationRequested ? ExitCodes.Cancelled : ExitCodes.Ok;
        }));
        return Examples.For(command,
            "OPTAIC_POSTGRES='Host=db;Username=optaic;Password=...;Database=optaic' optaic worker --concurrency 2",
            "optaic worker --postgres 'Host=127.0.0.1;Port=5432;Username=optaic;Database=optaic' --queues default gpu --repo /srv/models");
    }
}
