using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using OptAIC.Engine.Executors;
using OptAIC.Tests.Cli;

namespace OptAIC.Tests.Executors;

/// <summary>`optaic worker` as a child process of the test: its output lines, SIGKILL, SIGTERM, and its exit.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private WorkerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public string Output => string.Join('\n', _lines);

    public static async Task<WorkerProcess> StartAsync(string postgres, string repository, string name, int concurrency = 1, int invisibilitySeconds = 6, params string[] more)
    {
        var info = new ProcessStartInfo(OptaicProcess.Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repository,
        };
        foreach (var argument in new[]
        {
            "worker", "--postgres", postgres, "--repo", repository, "--name", name,
            "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
            "--invisibility-timeout", invisibilitySeconds.ToString(CultureInfo.InvariantCulture),
        }.Concat(more))
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment[DiagnosticActivities.Variable] = "1";
        info.Environment["NO_COLOR"] = "1";
        var worker = new WorkerProcess(Process.Start(info)!, name);
        await worker.WaitForAsync("SIGTERM drains", TimeSpan.FromSeconds(60));
        return worker;
    }

    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited && !_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                await Task.Delay(200); // the last lines may still be on their way
                if (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                {
                    throw new InvalidOperationException($"worker {Name} exited {_process.ExitCode} before '{text}':\n{Output}");
                }
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"worker {Name}: no '{text}' within {timeout}:\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: no cleanup, as a machine lost would be.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Terminate() => Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(limit.Token);
        _process.WaitForExit(); // the output to its end
        return _process.ExitCode;
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
