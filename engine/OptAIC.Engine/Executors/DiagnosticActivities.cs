using System.Diagnostics;
using System.Globalization;
using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Engine.Executors;

/// <summary>
/// Two activities that only take time, for tests and benchmarks of executors (the queue's own cost, a worker
/// killed mid-run): <c>diagnostic-sleep</c> waits N ms (a request's reason <c>ms=N</c>); <c>diagnostic-spin</c>
/// does a fixed amount of CPU work on one core (a reason <c>work=N</c>: N million steps of a xorshift
/// generator), so that it takes longer when it gets less of a core, as a training does. Each start appends "run-id pid" to
/// <c>.optaic/diagnostic-runs.log</c> in the checkout, so a test counts how often a run was started.
/// Registered only where a process sets <c>OPTAIC_DIAGNOSTIC_ACTIVITIES=1</c> (a worker under test).
/// </summary>
public static class DiagnosticActivities
{
    public const string Variable = "OPTAIC_DIAGNOSTIC_ACTIVITIES";
    public const string Sleep = "diagnostic-sleep";
    public const string Spin = "diagnostic-spin";
    public const string LogFile = "diagnostic-runs.log";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    public static RunActivities RegisterIfEnabled(RunActivities activities) => Enabled ? Register(activities) : activities;

    public static RunActivities Register(RunActivities activities) =>
        activities.Register(new TimedActivity(Sleep, spin: false)).Register(new TimedActivity(Spin, spin: true));

    /// <summary>The reason that gives a diagnostic-sleep run its duration.</summary>
    public static string Duration(int milliseconds) => $"ms={milliseconds.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The reason that gives a diagnostic-spin run its work, in millions of steps.</summary>
    public static string Work(int millions) => $"work={millions.ToString(CultureInfo.InvariantCulture)}";

    private static int Reason(RunRequest request, string key) => request.Reasons
        .Select(r => r.StartsWith(key + "=", StringComparison.Ordinal) && int.TryParse(r.AsSpan(key.Length + 1), CultureInfo.InvariantCulture, out var n) ? n : (int?)null)
        .FirstOrDefault(n => n is not null) ?? 0;

    private sealed class TimedActivity(string name, bool spin) : IRunActivity
    {
        public string Name => name;

        public async Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken)
        {
            var request = context.Request;
            Directory.CreateDirectory(context.Workspace.WorkFolder);
            await File.AppendAllTextAsync(Path.Combine(context.Workspace.WorkFolder, LogFile),
                $"{request.RunId} {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}\n", cancellationToken);
            var started = context.Time.GetUtcNow();
            string done;
            if (spin)
            {
                var millions = Reason(request, "work");
                var x = 88172645463325252UL;
                for (var m = 0; m < millions; m++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (var i = 0; i < 1_000_000; i++)
                    {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                    }
                    if (m % 50 == 49)
                    {
                        context.Report(name, m + 1, millions);
                    }
                }
                done = $"{millions.ToString(CultureInfo.InvariantCulture)} million steps ({(x & 1).ToString(CultureInfo.InvariantCulture)})";
            }
            else
            {
                var milliseconds = Reason(request, "ms");
                var clock = Stopwatch.StartNew();
                var step = 0;
                while (clock.ElapsedMilliseconds < milliseconds)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, milliseconds - clock.ElapsedMilliseconds)), cancellationToken);
                    if (clock.ElapsedMilliseconds / 500 > step)
                    {
                        step = (int)(clock.ElapsedMilliseconds / 500);
                        context.Report(name, (int)clock.ElapsedMilliseconds, milliseconds);
                    }
                }
                done = $"{milliseconds.ToString(CultureInfo.InvariantCulture)} ms";
            }
            return new RunResult
            {
                RunId = request.RunId,
                Activity = request.Activity,
                Instance = request.Instance,
                Outcome = RunOutcome.Succeeded,
                Summary = $"{name} {done} in process {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}",
                Phases = [new RunPhase(name, started, context.Time.GetUtcNow())],
            };
        }
    }
}
