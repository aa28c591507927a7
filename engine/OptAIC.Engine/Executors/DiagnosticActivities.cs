using System.Diagnostics;
using System.Globalization;
using OptAIC.Engine.Apply.Runs;

namespace OptAIC.Engine.Executors;

/// <summary>
/// Two activities that only take time, for tests and benchmarks of executors (the queue's own cost, a worker
/// killed mid-run): <c>diagnostic-sleep</c> waits, <c>diagnostic-spin</c> keeps one core busy. A request's
/// reason <c>ms=N</c> gives the duration. Each start appends "run-id pid" to
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

    /// <summary>The reason that gives a diagnostic run its duration.</summary>
    public static string Duration(int milliseconds) => $"ms={milliseconds.ToString(CultureInfo.InvariantCulture)}";

    private sealed class TimedActivity(string name, bool spin) : IRunActivity
    {
        public string Name => name;

        public async Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken)
        {
            var request = context.Request;
            var milliseconds = request.Reasons
                .Select(r => r.StartsWith("ms=", StringComparison.Ordinal) && int.TryParse(r.AsSpan(3), CultureInfo.InvariantCulture, out var ms) ? ms : (int?)null)
                .FirstOrDefault(ms => ms is not null) ?? 0;
            Directory.CreateDirectory(context.Workspace.WorkFolder);
            await File.AppendAllTextAsync(Path.Combine(context.Workspace.WorkFolder, LogFile),
                $"{request.RunId} {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}\n", cancellationToken);
            var started = context.Time.GetUtcNow();
            var clock = Stopwatch.StartNew();
            var step = 0;
            while (clock.ElapsedMilliseconds < milliseconds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (spin)
                {
                    var until = Math.Min(milliseconds, clock.ElapsedMilliseconds + 50);
                    while (clock.ElapsedMilliseconds < until)
                    {
                        Thread.SpinWait(1000);
                    }
                }
                else
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, milliseconds - clock.ElapsedMilliseconds)), cancellationToken);
                }
                if (clock.ElapsedMilliseconds / 500 > step)
                {
                    step = (int)(clock.ElapsedMilliseconds / 500);
                    context.Report(name, (int)clock.ElapsedMilliseconds, milliseconds);
                }
            }
            return new RunResult
            {
                RunId = request.RunId,
                Activity = request.Activity,
                Instance = request.Instance,
                Outcome = RunOutcome.Succeeded,
                Summary = $"{name} {milliseconds.ToString(CultureInfo.InvariantCulture)} ms in process {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}",
                Phases = [new RunPhase(name, started, context.Time.GetUtcNow())],
            };
        }
    }
}
