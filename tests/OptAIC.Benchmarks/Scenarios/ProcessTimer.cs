using System.Diagnostics;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>Wall time of whole processes (start-up included), as a user at a shell sees it.</summary>
public static class ProcessTimer
{
    public static (double MedianSeconds, double MinSeconds, int ExitCode) Time(string executable, string arguments, string workingDirectory, int runs, Action? dropCache = null)
    {
        var times = new List<double>();
        var exit = 0;
        for (var i = 0; i < runs + 1; i++)
        {
            dropCache?.Invoke();
            var info = new ProcessStartInfo(executable, arguments)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.Environment["NO_COLOR"] = "1";
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            watch.Stop();
            exit = process.ExitCode;
            if (i > 0 || runs == 0)
            {
                times.Add(watch.Elapsed.TotalSeconds); // the first run warms the disk cache, unless it is the one measured
            }
        }
        times.Sort();
        return (times[times.Count / 2], times[0], exit);
    }

    /// <summary>The optaic executable: OPTAIC_BIN, else the ReadyToRun build published next to the benchmarks.</summary>
    public static string Optaic()
    {
        if (Environment.GetEnvironmentVariable("OPTAIC_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }
        throw new InvalidOperationException(
            "set OPTAIC_BIN to the optaic executable, e.g. after: dotnet publish engine/OptAIC.Cli -c Release -r linux-x64 -p:PublishReadyToRun=true -o .optaic/bin");
    }
}
