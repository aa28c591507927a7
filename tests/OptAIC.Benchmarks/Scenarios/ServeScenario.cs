using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using LibGit2Sharp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Web.Serving;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Serving the example's LightGBM signal (spx-alpha) over the Open Inference Protocol, measured on loopback:
/// <list type="bullet">
/// <item>single-row infer against the real <c>optaic serve</c> process: the most requests/s (wrk, closed loop), and
/// the latency percentiles at half that rate (an open-loop HttpClient generator at a fixed rate, latency counted from
/// each request's scheduled time so a stall is not hidden);</item>
/// <item>the limit beside it: a bare Kestrel endpoint in this process that returns a constant, under the same wrk;</item>
/// <item>the in-process scorer: <see cref="ServedModel.Score"/> on one row (and the whole handler without HTTP:
/// parse, score, write);</item>
/// <item>1,000 rows per request: rows/s;</item>
/// <item>a hot reload under 1,000 requests/s: a new production version committed mid-run; failed requests counted.</item>
/// </list>
///   dotnet build -c Release &amp;&amp; dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario serve [seconds]
/// The optaic executable is OPTAIC_BIN, else the Release build's apphost. wrk comes from Debian (apt-get install wrk).
/// </summary>
internal static class ServeScenario
{
    private const string Instance = "spx-alpha";

    public static void Run(string repositoryRoot, int seconds)
    {
        var wrk = FindOnPath("wrk") ?? throw new InvalidOperationException("wrk is not installed: apt-get install wrk");
        using var work = new Scratch();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        var root = PrepareRepository(repositoryRoot, work.Path);
        var session = ReconcileSession.Open(root);
        var features = session.Registry.GetVersion(Instance, 1)!.Features;
        var (single, batch) = Bodies(root, session, features);
        var singleFile = work.Write("single.json", single);
        var batchFile = work.Write("batch.json", batch);

        // In process: the scorer alone, and the handler's work without HTTP.
        var catalog = new ModelCatalog(root, new ServingMetrics());
        catalog.Reload(null);
        var model = catalog.Current.Models[Instance].Serving!;
        var request = InferRequestParser.Parse(Encoding.UTF8.GetBytes(single), model);
        var scorer = Loop(seconds, () => model.Score(request.Features, 1));
        var bytes = Encoding.UTF8.GetBytes(single);
        var handler = Loop(seconds, () =>
        {
            var parsed = InferRequestParser.Parse(bytes, model);
            var scored = model.Score(parsed.Features, parsed.Rows);
            OipProtocol.WriteInferResponse(new System.Buffers.ArrayBufferWriter<byte>(256), model, parsed.Id, scored, parsed.Outputs);
        });
        Console.WriteLine($"in-process ServedModel.Score, 1 row: {scorer.PerSecond:N0} calls/s, p50 {scorer.P50 * 1e6:F1} us, p99 {scorer.P99 * 1e6:F1} us, CPU {scorer.CpuPerCall * 1e6:F1} us/call");
        Console.WriteLine($"in-process parse + score + write, 1 row: {handler.PerSecond:N0} calls/s, p50 {handler.P50 * 1e6:F1} us, p99 {handler.P99 * 1e6:F1} us, CPU {handler.CpuPerCall * 1e6:F1} us/call");
        var batchBytes = Encoding.UTF8.GetBytes(batch);
        var batchRequest = InferRequestParser.Parse(batchBytes, model);
        var batchParse = Loop(Math.Max(1, seconds / 4), () => InferRequestParser.Parse(batchBytes, model));
        var batchScore = Loop(Math.Max(1, seconds / 4), () => model.Score(batchRequest.Features, batchRequest.Rows));
        var rawOutput = new float[batchRequest.Rows];
        var batchRaw = Loop(Math.Max(1, seconds / 4), () => model.Scorer.Score(batchRequest.Features, batchRequest.Rows, rawOutput));
        Console.WriteLine($"in-process 1,000 rows: the scorer alone (IBatchScorer.Score) p50 {batchRaw.P50 * 1e3:F2} ms ({1000 / batchRaw.P50:N0} rows/s), CPU {batchRaw.CpuPerCall * 1e3:F2} ms/call");
        if (model.Scorer is OptAIC.Engine.ML.Training.TrainedModel trained && OptAIC.Engine.ML.Training.TreeEnsembleEvaluator.Of(trained) is { } trees)
        {
            // The tree walk alone over the same 1,000 rows (fastest of many runs: a shared machine only adds time).
            var walked = new float[batchRequest.Rows];
            var best = double.MaxValue;
            for (var i = 0; i < 300; i++)
            {
                var start = Stopwatch.GetTimestamp();
                trees.Score(batchRequest.Features, batchRequest.Rows, walked);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            Console.WriteLine($"tree walk alone, 1,000 rows x {trees.Trees} trees: {best * 1e3:F2} ms (fastest of 300) = {1000 / best:N0} rows/s per core");
        }
        Console.WriteLine($"in-process 1,000 rows: parse p50 {batchParse.P50 * 1e3:F2} ms (CPU {batchParse.CpuPerCall * 1e3:F2} ms/call), score p50 {batchScore.P50 * 1e3:F2} ms (CPU {batchScore.CpuPerCall * 1e3:F2} ms/call; {1000 / batchScore.P50:N0} rows/s scoring alone)");
        if (Environment.GetEnvironmentVariable("OPTAIC_SERVE_BENCH_INPROCESS_ONLY") == "1")
        {
            return;
        }

        // The limit: a bare Kestrel endpoint returning a constant, in this process.
        var bare = BareKestrel(out var bareUrl);
        var constant = Wrk(wrk, work, bareUrl + "/", singleFile, seconds);
        Console.WriteLine($"bare Kestrel constant: {constant.RequestsPerSecond:N0} req/s, p99 {constant.P99Ms:F2} ms (wrk {constant.Connections} connections, {constant.Failed} non-2xx)");
        bare.StopAsync().GetAwaiter().GetResult();
        ((IAsyncDisposable)bare).DisposeAsync().AsTask().GetAwaiter().GetResult();

        // The real optaic serve.
        var port = FreePort();
        using var serve = StartServe(root, port);
        var url = $"http://127.0.0.1:{port}";
        WaitReady(url);
        var infer = url + $"/v2/models/{Instance}/infer";
        Wrk(wrk, work, infer, singleFile, 3); // warm-up: tiered JIT
        var max = Wrk(wrk, work, infer, singleFile, seconds);
        Console.WriteLine($"optaic serve, 1 row: {max.RequestsPerSecond:N0} req/s, p99 {max.P99Ms:F2} ms at that load (wrk {max.Connections} connections, {max.Failed} non-2xx)");
        var half = OpenLoop(infer, single, max.RequestsPerSecond / 2, seconds);
        Console.WriteLine($"optaic serve, 1 row at half that rate ({half.Rate:N0} req/s offered, {half.Achieved:N0} achieved): p50 {half.P50Ms:F2} ms, p99 {half.P99Ms:F2} ms, {half.Failed} failed");
        Console.WriteLine($"ratios: optaic serve / bare Kestrel = {max.RequestsPerSecond / constant.RequestsPerSecond:P0} of the limit; in-process scorer calls per served request = {scorer.PerSecond / max.RequestsPerSecond:F1}x");
        var rows = Wrk(wrk, work, infer, batchFile, seconds, connections: 4);
        Console.WriteLine($"optaic serve, 1,000 rows/request: {rows.RequestsPerSecond:N0} req/s = {rows.RequestsPerSecond * 1000:N0} rows/s, p99 {rows.P99Ms:F2} ms ({rows.Failed} non-2xx)");

        // A hot reload under 1,000 requests/s: version 2 is committed a third of the way in.
        var reload = OpenLoop(infer, single, 1000, Math.Max(seconds, 9), atThird: () => Promote(root));
        Console.WriteLine($"hot reload under {reload.Rate:N0} req/s for {reload.Seconds} s: {reload.Sent:N0} requests, {reload.Failed} failed, versions served {string.Join(", ", reload.Versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}: {v.Value:N0}"))}, p99 {reload.P99Ms:F2} ms");
        serve.Kill(entireProcessTree: true);
        serve.WaitForExit();
    }

    /// <summary>The example with spx-alpha only, in a new Git repository, applied (trained, registered, scored, committed).</summary>
    private static string PrepareRepository(string repositoryRoot, string work)
    {
        var root = Path.Combine(work, "repo");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(repositoryRoot, "specs"), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(repositoryRoot, file);
            if ((relative.StartsWith("specs/instances/", StringComparison.Ordinal) && !relative.EndsWith(Instance + ".yaml", StringComparison.Ordinal))
                || relative.StartsWith("specs/pipelines/", StringComparison.Ordinal))
            {
                continue;
            }
            var target = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.WriteAllText(Path.Combine(root, ".gitignore"), ".optaic/\n");
        Repository.Init(root);
        using (var git = new Repository(root))
        {
            Commands.Stage(git, "*");
            var me = new LibGit2Sharp.Signature("bench", "bench@example.com", DateTimeOffset.UtcNow);
            git.Commit("example specs", me, me);
        }
        var clock = Stopwatch.StartNew();
        var result = new Applier(ReconcileSession.Open(root)).ApplyAsync().GetAwaiter().GetResult();
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("apply failed: " + string.Join("; ", result.Outcomes.Where(o => o.Failed).Select(o => o.Summary)));
        }
        Console.WriteLine($"applied {Instance} in {clock.Elapsed.TotalSeconds:F1} s");
        return root;
    }

    /// <summary>One row by feature name, and the first 1,000 rows of the scoring window as one [1000, F] input.</summary>
    private static (string Single, string Batch) Bodies(string root, ReconcileSession session, List<string> features)
    {
        var instance = session.Specs.Instances[Instance].Value;
        var (start, end) = InferActivity.Window(instance);
        var rows = PreparedData.Load(session.Specs, instance, root).ScoringRows(start, end).Frame;
        string Number(string feature, int row) => rows.Numeric(feature)[row].ToString("R", CultureInfo.InvariantCulture);
        var single = "{\"id\":\"bench\",\"inputs\":[" + string.Join(",", features.Select(f => $"{{\"name\":\"{f}\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[{Number(f, 0)}]}}")) + "]}";
        var data = string.Join(",", Enumerable.Range(0, 1000).SelectMany(r => features.Select(f => Number(f, r % rows.RowCount))));
        var batch = $"{{\"inputs\":[{{\"name\":\"features\",\"datatype\":\"FP64\",\"shape\":[1000,{features.Count}],\"data\":[{data}]}}]}}";
        return (single, batch);
    }

    private static void Promote(string root)
    {
        var store = ReconcileSession.Open(root).Registry;
        var first = store.GetVersion(Instance, 1)!;
        var record = new VersionRecord
        {
            Instance = Instance,
            Version = 2,
            CreatedAt = DateTimeOffset.UtcNow,
            Definition = first.Definition,
            Category = first.Category,
            Algorithm = first.Algorithm,
            Fingerprint = first.Fingerprint,
            Features = first.Features,
            Target = first.Target,
            TrainingWindow = first.TrainingWindow,
            Artifact = new ArtifactRef { MediaType = first.Artifact.MediaType },
            EngineVersion = first.EngineVersion,
            TrainerVersion = first.TrainerVersion,
        };
        store.RegisterVersion(record, store.ReadArtifact(first.Artifact), "# benchmark version\n");
        store.ChangeStage(Instance, 2, Stage.Production, "bench", "benchmark: hot reload");
        using var git = GitRepository.Open(root);
        git.CommitPaths(["models"], "promote spx-alpha 2", new LibGit2Sharp.Signature("bench", "bench@example.com", DateTimeOffset.UtcNow));
        Console.WriteLine($"  committed version 2 of {Instance} to production at {DateTime.UtcNow:HH:mm:ss.fff}");
    }

    /// <summary>Calls per second, wall-clock percentiles of one call, and the process's CPU time per call (steadier than wall time on a shared machine).</summary>
    private sealed record LoopResult(double PerSecond, double P50, double P99, double CpuPerCall);

    private static LoopResult Loop(int seconds, Action call)
    {
        for (var i = 0; i < 2000; i++)
        {
            call();
        }
        var times = new List<double>(1 << 20);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            var start = Stopwatch.GetTimestamp();
            call();
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        var cpuPerCall = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / times.Count;
        times.Sort();
        return new LoopResult(times.Count / total.Elapsed.TotalSeconds, times[times.Count / 2], times[(int)(times.Count * 0.99)], cpuPerCall);
    }

    private sealed record WrkResult(double RequestsPerSecond, double P99Ms, long Failed, int Connections);

    private static WrkResult Wrk(string wrk, Scratch work, string url, string bodyFile, int seconds, int connections = 32)
    {
        var script = work.Write("post.lua", $"wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nlocal f = io.open(\"{bodyFile}\", \"rb\")\nwrk.body = f:read(\"*a\")\nf:close()\n");
        var info = new ProcessStartInfo(wrk, $"-t2 -c{connections} -d{seconds}s --latency -s {script} {url}") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        double rps = 0, p99 = double.NaN;
        long failed = 0;
        foreach (var line in output.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith("Requests/sec:", StringComparison.Ordinal))
            {
                rps = double.Parse(line["Requests/sec:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("99%", StringComparison.Ordinal))
            {
                p99 = Milliseconds(line[3..].Trim());
            }
            else if (line.StartsWith("Non-2xx or 3xx responses:", StringComparison.Ordinal))
            {
                failed = long.Parse(line["Non-2xx or 3xx responses:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Socket errors:", StringComparison.Ordinal))
            {
                failed += line.Split(',').Select(p => long.TryParse(p.Trim().Split(' ')[^1], out var n) ? n : 0).Sum();
            }
        }
        if (rps == 0)
        {
            throw new InvalidOperationException("wrk printed no rate:\n" + output);
        }
        return new WrkResult(rps, p99, failed, connections);
    }

    private static double Milliseconds(string text) =>
        text.EndsWith("us", StringComparison.Ordinal) ? double.Parse(text[..^2], CultureInfo.InvariantCulture) / 1000
        : text.EndsWith("ms", StringComparison.Ordinal) ? double.Parse(text[..^2], CultureInfo.InvariantCulture)
        : text.EndsWith('s') ? double.Parse(text[..^1], CultureInfo.InvariantCulture) * 1000
        : double.NaN;

    private sealed record OpenLoopResult(double Rate, int Seconds, long Sent, double Achieved, long Failed, double P50Ms, double P99Ms, Dictionary<string, long> Versions);

    /// <summary>
    /// Requests at a fixed rate whatever the responses do (open loop), each timed from when it was due: the latency
    /// a client at that rate sees. HttpClient over a pool of keep-alive connections.
    /// </summary>
    private static OpenLoopResult OpenLoop(string url, string body, double rate, int seconds, Action? atThird = null)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var payload = Encoding.UTF8.GetBytes(body);
        var latencies = new double[(int)(rate * seconds) + 16];
        var versions = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long failed = 0, done = 0;
        var pending = new List<Task>();
        var total = (long)(rate * seconds);
        var clock = Stopwatch.StartNew();
        var fired = false;
        for (long i = 0; i < total; i++)
        {
            var due = i / rate;
            var wait = due - clock.Elapsed.TotalSeconds;
            if (wait > 0.002)
            {
                Thread.Sleep(TimeSpan.FromSeconds(wait - 0.001));
            }
            while (clock.Elapsed.TotalSeconds < due)
            {
                Thread.SpinWait(20);
            }
            if (!fired && atThird is not null && i >= total / 3)
            {
                fired = true;
                pending.Add(Task.Run(atThird));
            }
            var index = i;
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    using var content = new ByteArrayContent(payload);
                    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync(new Uri(url), content).ConfigureAwait(false);
                    var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    else
                    {
                        var at = text.IndexOf("\"model_version\":\"", StringComparison.Ordinal);
                        var version = at < 0 ? "?" : text[(at + 17)..text.IndexOf('"', at + 17)];
                        versions.AddOrUpdate(version, 1, (_, n) => n + 1);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
                catch (TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                }
                latencies[index] = clock.Elapsed.TotalSeconds - due;
                Interlocked.Increment(ref done);
            }));
        }
        Task.WaitAll([.. pending]);
        var elapsed = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Take((int)total).OrderBy(x => x).ToArray();
        return new OpenLoopResult(rate, seconds, total, total / elapsed, failed, sorted[sorted.Length / 2] * 1000, sorted[(int)(sorted.Length * 0.99)] * 1000, new Dictionary<string, long>(versions));
    }

    private static WebApplication BareKestrel(out string url)
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(System.Net.IPAddress.Loopback, port);
        });
        var app = builder.Build();
        var constant = """{"model_name":"spx-alpha","model_version":"1","id":"bench","outputs":[{"name":"score","datatype":"FP64","shape":[1],"data":[0.5]}]}"""u8.ToArray();
        app.MapPost("/", async (HttpContext http) =>
        {
            // Reads the body as the real endpoint must, then returns the constant.
            var buffer = new byte[4096];
            while (await http.Request.Body.ReadAsync(buffer) > 0)
            {
            }
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = constant.Length;
            await http.Response.Body.WriteAsync(constant);
        });
        app.StartAsync().GetAwaiter().GetResult();
        url = $"http://127.0.0.1:{port}";
        return app;
    }

    private static Process StartServe(string root, int port)
    {
        var optaic = Environment.GetEnvironmentVariable("OPTAIC_BIN") is { Length: > 0 } configured
            ? configured
            : Path.Combine(FindRepositoryRoot(root), "engine", "OptAIC.Cli", "bin", "Release", "net10.0", "optaic");
        var info = new ProcessStartInfo(optaic, $"serve --repo {root} --port {port}") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Remove("OPTAIC_SERVE_TOKEN");
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.WriteLine("  serve: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string FindRepositoryRoot(string _)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OptAIC.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("set OPTAIC_BIN to the optaic executable");
    }

    private static void WaitReady(string url)
    {
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if (http.GetAsync(new Uri(url + "/v2/health/ready")).GetAwaiter().GetResult().IsSuccessStatusCode)
                {
                    Console.WriteLine($"optaic serve ready in {clock.Elapsed.TotalSeconds:F1} s");
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException("optaic serve did not get ready in 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private sealed class Scratch : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"optaic-serve-bench-{Guid.NewGuid():N}");

        public Scratch() => Directory.CreateDirectory(Path);

        public string Write(string name, string text)
        {
            var file = System.IO.Path.Combine(Path, name);
            File.WriteAllText(file, text);
            return file;
        }

        public void Dispose()
        {
            try
            {
                foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
                {
                    File.SetAttributes(file, FileAttributes.Normal);
                }
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
