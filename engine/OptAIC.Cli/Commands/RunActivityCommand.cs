using System.CommandLine;
using OptAIC.Cli.Help;
using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Cli.Commands;

/// <summary>
/// `optaic run-activity REQUEST.json [--result FILE]`: runs one serialised <see cref="RunRequest"/> against the
/// repository checkout and writes its <see cref="RunResult"/> as JSON (to the file, written whole or not at all,
/// else to stdout). What `apply --executor process` starts for each run, and what a worker of another machine
/// runs. It checks that the checkout holds the specs and data the request names and refuses otherwise; it
/// writes artifacts to the store the request names, never the registry. Exit 0 when the run succeeded, 1 when
/// it failed, failed its gates or was refused (the result says why), 2 when the request cannot be read.
/// </summary>
public static class RunActivityCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var requestFile = new Argument<string>("request") { Description = "A run request as JSON (written by the coordinator)." };
        var resultFile = new Option<string?>("--result") { Description = "Where to write the result as JSON (default: stdout)." };
        var command = new Command("run-activity", "Run one serialised run request (train, import, infer, monitor, promote, archive) and write its result as JSON.")
        {
            requestFile, resultFile,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(async () =>
        {
            var path = result.GetValue(requestFile)!;
            string json;
            try
            {
                json = await File.ReadAllTextAsync(path, ct);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new UsageException($"{path}: no such request file");
            }
            RunRequest request;
            try
            {
                request = RunJson.Deserialize<RunRequest>(json, path);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new UsageException($"{path}: not a run request ({e.Message})");
            }
            var root = RepositoryLocator.Find(result.GetValue(repoOption));
            var progress = new StdoutProgress();
            var outcome = await RunHost.ExecuteAsync(request, root, progress, ct);
            var text = RunJson.Serialize(outcome);
            if (result.GetValue(resultFile) is { } target)
            {
                var temporary = target + ".tmp";
                await File.WriteAllTextAsync(temporary, text, CancellationToken.None);
                File.Move(temporary, target, overwrite: true);
            }
            else
            {
                System.Console.Out.WriteLine(text);
            }
            return outcome.Outcome == RunOutcome.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return Examples.For(command, "optaic run-activity request.json --result result.json", "optaic run-activity request.json --repo /srv/models-checkout");
    }

    private sealed class StdoutProgress : IProgress<RunProgress>
    {
        public void Report(RunProgress value)
        {
            lock (this)
            {
                System.Console.Out.WriteLine(ChildProcessRunExecutor.ProgressPrefix + value.Stage);
            }
        }
    }
}
