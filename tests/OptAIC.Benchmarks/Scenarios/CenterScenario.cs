using System.Diagnostics;
using LibGit2Sharp;
using Microsoft.Playwright;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Web;
using OptAIC.Engine.Web.Center;

namespace OptAIC.Benchmarks.Scenarios;

/// <summary>
/// Issue 13's targets on a generated registry of 1,000 instances x 10 versions (10,000 versions, 30,000 runs,
/// 10,000 monitoring reports) committed to Git: `optaic report` under 5 s with no page over 300 KB, the instance
/// list ready in Chromium under 1 s from local disk, and serve's instance list under 50 ms a request.
/// </summary>
public static class CenterScenario
{
    public static void Run(int instances, int versions)
    {
        var optaic = Environment.GetEnvironmentVariable("OPTAIC_CENTER_PHASES_ONLY") == "1" ? "" : ProcessTimer.Optaic();
        // OPTAIC_CENTER_BENCH_DIR keeps the generated repository there (and reuses it on the next run).
        var kept = Environment.GetEnvironmentVariable("OPTAIC_CENTER_BENCH_DIR");
        var root = kept is { Length: > 0 } ? Path.GetFullPath(kept) : Path.Combine(Path.GetTempPath(), $"optaic-center-bench-{Guid.NewGuid():N}");
        try
        {
            var generate = Stopwatch.StartNew();
            if (Directory.Exists(Path.Combine(root, ".git")))
            {
                Console.WriteLine($"center: reusing the repository in {root}");
            }
            else
            {
                Generate(root, instances, versions);
            }
            var files = Directory.GetFiles(Path.Combine(root, "models"), "*", SearchOption.AllDirectories).Length;
            Console.WriteLine($"center, generated registry: {instances:N0} instances x {versions} versions, {files:N0} files, committed (setup {generate.Elapsed.TotalSeconds:F1} s)");

            Console.WriteLine($"  load average: {LoadAverage()}");
            Phases(root);
            if (Environment.GetEnvironmentVariable("OPTAIC_CENTER_PHASES_ONLY") == "1")
            {
                return; // the breakdown alone (no optaic executable needed)
            }
            var site = Path.Combine(root, "site");
            var (median, min, exit) = ProcessTimer.Time(optaic, $"report --out {site}", root, runs: 3, dropCache: () =>
            {
                if (Directory.Exists(site))
                {
                    Directory.Delete(site, recursive: true);
                }
            });
            var pages = Directory.GetFiles(site, "*.html", SearchOption.AllDirectories);
            var largest = pages.Select(p => new FileInfo(p)).MaxBy(f => f.Length)!;
            Console.WriteLine($"  optaic report --out site, whole process (median of 3, fresh folder): {median:F3} s (min {min:F3} s, exit {exit})   target < 5.000 s");
            Console.WriteLine($"  pages: {pages.Length:N0}, largest {largest.Length / 1024.0:F1} KB ({Path.GetRelativePath(site, largest.FullName)})   target < 300 KB");
            Console.WriteLine($"  index.html: {new FileInfo(Path.Combine(site, "index.html")).Length / 1024.0:F1} KB");
            Console.WriteLine($"  load average after: {LoadAverage()}");

            Browser(site).GetAwaiter().GetResult();
            Serve(root).GetAwaiter().GetResult();
        }
        finally
        {
            if (kept is not { Length: > 0 })
            {
                Delete(root);
            }
        }
    }

    /// <summary>
    /// Where `optaic report`'s time goes, in process (median of 3): reading the record files' bytes alone (the I/O part
    /// of the read), Git (which commit recorded each run), the read model (file reads and YAML parsing of every record),
    /// rendering every page into memory, and writing the files.
    /// </summary>
    private static void Phases(string root)
    {
        var registry = Path.Combine(root, "models");
        var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        void Add(string phase, Stopwatch watch) => (times.TryGetValue(phase, out var list) ? list : times[phase] = []).Add(watch.Elapsed.TotalMilliseconds);
        long pages = 0, bytes = 0;
        for (var run = 0; run < 3; run++)
        {
            var watch = Stopwatch.StartNew();
            var files = Directory.GetFiles(registry, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal)).ToList();
            long read = 0;
            Parallel.ForEach(files, f => Interlocked.Add(ref read, File.ReadAllBytes(f).Length));
            Add($"record files' bytes only ({files.Count:N0} files, {read / 1048576.0:F0} MB, parallel)", watch);

            watch.Restart();
            var recorded = RecordCommits.Read(root, "models");
            Add("git: the commit that recorded each run", watch);

            watch.Restart();
            var data = CenterReader.Read(new RegistryStore(registry), null, null, Path.Combine(root, ".optaic"), DateTimeOffset.UtcNow, recorded);
            Add("read model: list, read and parse every record", watch);

            watch.Restart();
            var plan = StaticSite.Plan(data);
            var rendered = new byte[plan.Count][];
            Parallel.For(0, plan.Count, i => rendered[i] = plan[i].Render());
            Add($"render every page in memory", watch);
            pages = plan.Count;
            bytes = rendered.Sum(r => (long)r.Length);

            var site = Path.Combine(root, $"site-phases");
            if (Directory.Exists(site))
            {
                Directory.Delete(site, recursive: true);
            }
            watch.Restart();
            StaticSite.CreateFolders(data, site);
            Parallel.For(0, plan.Count, i => File.WriteAllBytes(Path.Combine(site, plan[i].Path), rendered[i]));
            Add($"write the files (fresh folder)", watch);
            Directory.Delete(site, recursive: true);
        }
        Console.WriteLine($"  where report's time goes, in process (median of 3; {pages:N0} files, {bytes / 1048576.0:F0} MB):");
        foreach (var (phase, list) in times)
        {
            list.Sort();
            Console.WriteLine($"    {phase,-72} {list[1],8:F0} ms (min {list[0]:F0})");
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static void Generate(string root, int instances, int versions)
    {
        RegistryGenerator.Write(Path.Combine(root, "models"), instances, versions);
        Repository.Init(root);
        using var git = new Repository(root);
        Commands.Stage(git, "*");
        var bot = new Signature("optaic-bot", "bot@optaic.io", DateTimeOffset.UtcNow);
        git.Commit("generated registry", bot, bot);
    }

    private static void Delete(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }
        Directory.Delete(root, recursive: true);
    }

    private static async Task Browser(string site)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true });
        var times = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var page = await browser.NewPageAsync();
            var watch = Stopwatch.StartNew();
            await page.GotoAsync(new Uri(Path.Combine(site, "index.html")).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            watch.Stop();
            var loadEnd = await page.EvaluateAsync<double>("performance.getEntriesByType('navigation')[0].loadEventEnd");
            if (i > 0)
            {
                times.Add(Math.Max(watch.Elapsed.TotalMilliseconds, loadEnd));
            }
            await page.CloseAsync();
        }
        times.Sort();
        Console.WriteLine($"  instance list (index.html) loaded in Chromium from disk (median of 5): {times[times.Count / 2]:F0} ms (max {times[^1]:F0} ms)   target < 1000 ms");
    }

    private static async Task Serve(string root)
    {
        await using var web = OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = root, Port = 0, WatchInterval = TimeSpan.FromHours(1) });
        await web.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };
        var first = Stopwatch.StartNew();
        (await http.GetAsync(new Uri("/", UriKind.Relative))).EnsureSuccessStatusCode();
        first.Stop();
        Console.WriteLine($"  serve: first request (loads the registry and renders): {first.Elapsed.TotalMilliseconds:F0} ms");
        foreach (var path in new[] { "/", "/api/instances", "/instances/inst-0500.html" })
        {
            var times = new List<double>();
            long bytes = 0;
            for (var i = 0; i < 200; i++)
            {
                var watch = Stopwatch.StartNew();
                var body = await http.GetByteArrayAsync(new Uri(path, UriKind.Relative));
                watch.Stop();
                bytes = body.Length;
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"  serve GET {path} ({bytes / 1024.0:F0} KB), 200 requests: median {times[100]:F2} ms, p95 {times[190]:F2} ms, max {times[^1]:F2} ms   target < 50 ms");
        }
    }
}
