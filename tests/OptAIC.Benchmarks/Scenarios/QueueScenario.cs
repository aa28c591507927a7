using System.Diagnostics;
using System.Globalization;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Executors;
using OptAIC.Engine.Executors.Hangfire;
using OptAIC.Tests.Executors;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// The Hangfire executor's own cost and its scaling, on a PostgreSQL cluster of its own and real
/// `optaic worker` processes (OPTAIC_BIN):
/// 1. the queue's cost per run: trivial runs (diagnostic-sleep of 0 ms) one after the other through one
///    worker, beside the same runs through RunHost in this process; the difference is the queue's;
/// 2. the same trivial runs all at once (a burst) through one worker with 4 slots: runs per second;
/// 3. 24 CPU-bound runs (diagnostic-spin: fixed work) in this process one at a time, through 1 worker, then
///    through 2 workers (one slot each).
/// </summary>
public static class QueueScenario
{
    public static void Run(int trivialRuns, int boundRuns, int boundWork)
    {
        var optaic = ProcessTimer.Optaic();
        using var cluster = PostgresCluster.Start();
        var repo = Path.Combine(Path.GetTempPath(), $"optaic-queue-bench-{Guid.NewGuid():N}");
        try
        {
            RepositoryGenerator.Write(repo, instances: 1, definitions: 1, featureSets: 1, datasets: 1, bytesPerDataset: 100_000);
            var workspace = RunWorkspace.Open(repo);
            Console.WriteLine($"queue scenario: PostgreSQL {(cluster.OwnCluster ? "cluster of its own" : "from " + PostgresCluster.Variable)} on port {cluster.Port}; load average {Load()}");

            // 1. In process: RunHost on a workspace opened once, as a worker does.
            var activities = DiagnosticActivities.Register(new RunActivities());
            var local = new List<double>();
            for (var i = 0; i < trivialRuns + 5; i++)
            {
                var clock = Stopwatch.StartNew();
                var result = RunHost.ExecuteAsync(Request(workspace, $"local-{i}", DiagnosticActivities.Sleep, 0), workspace, activities: activities).GetAwaiter().GetResult();
                if (i >= 5)
                {
                    local.Add(clock.Elapsed.TotalMilliseconds);
                }
                Check(result);
            }

            var database = cluster.CreateDatabase();
            double[] sequential;
            double burstSeconds;
            IReadOnlyList<QueuedRun> rows;
            using (var worker = Worker(optaic, database, repo, "w1", 4))
            {
                var executor = HangfireRunExecutor.CreateAsync(new HangfireExecutorOptions { Endpoint = PostgresEndpoint.Parse(database) }).GetAwaiter().GetResult();
                try
                {
                    var times = new List<double>();
                    var ids = new List<string>();
                    for (var i = 0; i < trivialRuns + 5; i++)
                    {
                        var clock = Stopwatch.StartNew();
                        var result = executor.ExecuteAsync(Request(workspace, $"seq-{i}", DiagnosticActivities.Sleep, 0), null, CancellationToken.None).GetAwaiter().GetResult();
                        Check(result);
                        if (i >= 5)
                        {
                            times.Add(clock.Elapsed.TotalMilliseconds);
                            ids.Add(result.RunId);
                        }
                    }
                    sequential = [.. times];
                    rows = executor.Table.GetAsync(ids, CancellationToken.None).GetAwaiter().GetResult();
                    var burst = Stopwatch.StartNew();
                    var all = Enumerable.Range(0, trivialRuns)
                        .Select(i => executor.ExecuteAsync(Request(workspace, $"burst-{i}", DiagnosticActivities.Sleep, 0), null, CancellationToken.None))
                        .ToArray();
                    foreach (var result in Task.WhenAll(all).GetAwaiter().GetResult())
                    {
                        Check(result);
                    }
                    burstSeconds = burst.Elapsed.TotalSeconds;
                }
                finally
                {
                    executor.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
                worker.Stop();
            }

            var inProcess = Stopwatch.StartNew();
            for (var i = 0; i < boundRuns; i++)
            {
                Check(RunHost.ExecuteAsync(Request(workspace, $"local-bound-{i}", DiagnosticActivities.Spin, boundWork), workspace, activities: activities).GetAwaiter().GetResult());
            }
            var local1 = inProcess.Elapsed.TotalSeconds;
            var one = Bound(optaic, cluster.CreateDatabase(), repo, workspace, workers: 1, boundRuns, boundWork);
            var two = Bound(optaic, cluster.CreateDatabase(), repo, workspace, workers: 2, boundRuns, boundWork);

            var localMedian = Median(local);
            var queueMedian = Median(sequential);
            Console.WriteLine();
            Console.WriteLine($"{"measure",-58} {"in process",12} {"Hangfire",12}");
            Console.WriteLine($"{$"trivial run, one at a time: median ms ({trivialRuns} runs)",-58} {localMedian,12:F1} {queueMedian,12:F1}");
            Console.WriteLine($"{"trivial run, one at a time: p95 ms",-58} {Percentile(local, 0.95),12:F1} {Percentile(sequential, 0.95),12:F1}");
            Console.WriteLine($"{"queue's own cost per run: median ms (target < 50)",-58} {"",12} {queueMedian - localMedian,12:F1}");
            Console.WriteLine($"{"  of which claimed to started on the worker: median ms",-58} {"",12} {Median([.. rows.Select(r => (r.StartedAt!.Value - r.EnqueuedAt).TotalMilliseconds)]),12:F1}");
            Console.WriteLine($"{"  of which started to result recorded: median ms",-58} {"",12} {Median([.. rows.Select(r => (r.FinishedAt!.Value - r.StartedAt!.Value).TotalMilliseconds)]),12:F1}");
            Console.WriteLine($"{$"burst of {trivialRuns} trivial runs, 1 worker x 4 slots: runs/s",-58} {"",12} {trivialRuns / burstSeconds,12:F1}");
            Console.WriteLine($"{$"{boundRuns} CPU-bound runs ({boundWork}M steps each): wall s, 1 at a time",-58} {local1,12:F1} {one,12:F1}");
            Console.WriteLine($"{$"{boundRuns} CPU-bound runs: wall s, 2 workers x 1 slot",-58} {"",12} {two,12:F1}");
            Console.WriteLine($"{"2 workers vs 1: speed-up (target >= 1.7)",-58} {"",12} {one / two,12:F2}");
            Console.WriteLine($"(load average now {Load()}; the machine's other processes share its {Environment.ProcessorCount} cores)");
        }
        finally
        {
            try
            {
                Directory.Delete(repo, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static double Bound(string optaic, string database, string repo, RunWorkspace workspace, int workers, int runs, int work)
    {
        var started = Enumerable.Range(1, workers).Select(w => Worker(optaic, database, repo, $"w{w}", 1)).ToList();
        try
        {
            var executor = HangfireRunExecutor.CreateAsync(new HangfireExecutorOptions { Endpoint = PostgresEndpoint.Parse(database) }).GetAwaiter().GetResult();
            try
            {
                var clock = Stopwatch.StartNew();
                var all = Enumerable.Range(0, runs)
                    .Select(i => executor.ExecuteAsync(Request(workspace, $"bound-{workers}-{i}", DiagnosticActivities.Spin, work), null, CancellationToken.None))
                    .ToArray();
                var results = Task.WhenAll(all).GetAwaiter().GetResult();
                var wall = clock.Elapsed.TotalSeconds;
                foreach (var result in results)
                {
                    Check(result);
                }
                var rows = executor.Table.GetAsync([.. results.Select(r => r.RunId)], CancellationToken.None).GetAwaiter().GetResult();
                var gaps = rows.GroupBy(r => r.Worker).SelectMany(g =>
                {
                    var ordered = g.OrderBy(r => r.StartedAt).ToList();
                    return ordered.Skip(1).Select((r, i) => (r.StartedAt!.Value - ordered[i].FinishedAt!.Value).TotalMilliseconds);
                }).ToList();
                Console.WriteLine($"  {workers} worker(s): run on the worker median {Median([.. rows.Select(r => (r.FinishedAt!.Value - r.StartedAt!.Value).TotalMilliseconds)]):F0} ms, gap between a worker's runs median {(gaps.Count == 0 ? 0 : Median(gaps)):F0} ms, max {(gaps.Count == 0 ? 0 : gaps.Max()):F0} ms");
                return wall;
            }
            finally
            {
                executor.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            foreach (var worker in started)
            {
                worker.Stop();
                worker.Dispose();
            }
        }
    }

    private static RunRequest Request(RunWorkspace workspace, string runId, string activity, int amount) => new()
    {
        RunId = $"{runId}-{Guid.NewGuid():N}",
        Activity = activity,
        Instance = "instance-0",
        Specs = workspace.SpecsHash,
        ArtifactStore = "repository:models",
        Reasons = [activity == DiagnosticActivities.Spin ? DiagnosticActivities.Work(amount) : DiagnosticActivities.Duration(amount)],
    };

    private static void Check(RunResult result)
    {
        if (result.Outcome != RunOutcome.Succeeded)
        {
            throw new InvalidOperationException($"run {result.RunId}: {result.Outcome}: {result.Error}");
        }
    }

    private static BenchWorker Worker(string optaic, string database, string repo, string name, int concurrency)
    {
        var info = new ProcessStartInfo(optaic) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repo };
        foreach (var argument in new[] { "worker", "--postgres", database, "--repo", repo, "--name", name, "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment[DiagnosticActivities.Variable] = "1";
        info.Environment["NO_COLOR"] = "1";
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("SIGTERM drains", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"{name}: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new InvalidOperationException($"worker {name} did not start");
        }
        return new BenchWorker(process);
    }

    private sealed class BenchWorker(Process process) : IDisposable
    {
        public void Stop()
        {
            if (!process.HasExited)
            {
                Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
                if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
                {
                    process.Kill();
                }
            }
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            process.Dispose();
        }
    }

    private static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

    private static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
