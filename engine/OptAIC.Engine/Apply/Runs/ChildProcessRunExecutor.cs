using System.Diagnostics;
using System.Reflection;

namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// Runs each request in its own <c>optaic run-activity</c> process, given only the serialised request: the child
/// opens the repository checkout itself, checks it against the request, runs the activity and writes its
/// result as JSON; nothing passes through memory. What a remote worker does, on this machine. A child that
/// dies without a result is a failed run naming its exit code and last words; cancelling kills it.
/// </summary>
public sealed class ChildProcessRunExecutor : IRunExecutor
{
    /// <summary>Lines a child writes on stdout to say what it is doing (the rest of stdout is ignored).</summary>
    public const string ProgressPrefix = "optaic-progress: ";

    private readonly string _repositoryRoot;
    private readonly string _fileName;
    private readonly IReadOnlyList<string> _leadingArguments;

    /// <param name="repositoryRoot">The checkout the children read (passed as <c>--repo</c>).</param>
    /// <param name="fileName">The program to start: the <c>optaic</c> executable, or <c>dotnet</c>.</param>
    /// <param name="leadingArguments">Arguments before <c>run-activity</c> (the path of <c>optaic.dll</c> when the program is <c>dotnet</c>).</param>
    public ChildProcessRunExecutor(string repositoryRoot, string fileName, IReadOnlyList<string>? leadingArguments = null)
    {
        _repositoryRoot = repositoryRoot;
        _fileName = fileName;
        _leadingArguments = leadingArguments ?? [];
    }

    /// <summary>Children of the same optaic as this process (its executable, or <c>dotnet optaic.dll</c>).</summary>
    public static ChildProcessRunExecutor OfThisProcess(string repositoryRoot)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        var entry = Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && !string.IsNullOrEmpty(entry)
            ? new ChildProcessRunExecutor(repositoryRoot, process, [entry])
            : new ChildProcessRunExecutor(repositoryRoot, process);
    }

    public async Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(SpecBindingsFolder(), "tmp", "child-runs");
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, $"{request.RunId}-{Guid.NewGuid():N}");
        var requestPath = stem + ".request.json";
        var resultPath = stem + ".result.json";
        await File.WriteAllTextAsync(requestPath, RunJson.Serialize(request), cancellationToken);
        try
        {
            var start = new ProcessStartInfo(_fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = _repositoryRoot,
            };
            foreach (var argument in _leadingArguments.Concat(["run-activity", requestPath, "--result", resultPath, "--repo", _repositoryRoot]))
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment["NO_COLOR"] = "1";
            using var child = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {_fileName}");
            var lastWords = new Queue<string>();
            child.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                {
                    lock (lastWords)
                    {
                        lastWords.Enqueue(line);
                        while (lastWords.Count > 5)
                        {
                            lastWords.Dequeue();
                        }
                    }
                }
            };
            child.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith(ProgressPrefix, StringComparison.Ordinal))
                {
                    progress?.Report(new RunProgress(request.RunId, line[ProgressPrefix.Length..], null, null));
                }
            };
            child.BeginErrorReadLine();
            child.BeginOutputReadLine();
            try
            {
                await child.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync(CancellationToken.None);
                return RunResult.Refused(request, RunOutcome.Cancelled, "cancelled");
            }
            child.WaitForExit(); // drains the redirected output

            if (!File.Exists(resultPath))
            {
                string said;
                lock (lastWords)
                {
                    said = lastWords.Count == 0 ? "nothing on stderr" : string.Join(" / ", lastWords);
                }
                return RunResult.Refused(request, RunOutcome.Failed, $"the run's process exited with code {child.ExitCode} and no result ({said})");
            }
            var result = RunJson.Deserialize<RunResult>(await File.ReadAllTextAsync(resultPath, CancellationToken.None), resultPath);
            return result.RunId == request.RunId
                ? result
                : RunResult.Refused(request, RunOutcome.Failed, $"the run's process answered run {result.RunId}, not {request.RunId}", RunFailure.Request);
        }
        finally
        {
            File.Delete(requestPath);
            File.Delete(resultPath);
        }
    }

    private string SpecBindingsFolder() => Plan.SpecBindings.WorkFolder(_repositoryRoot);
}
