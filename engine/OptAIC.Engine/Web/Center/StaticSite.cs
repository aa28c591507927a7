using System.Diagnostics;
using System.Text;

namespace OptAIC.Engine.Web.Center;

/// <summary>What <c>optaic report</c> wrote.</summary>
public sealed record StaticSiteResult(string Folder, int Pages, int JsonFiles, long Bytes, long LargestPageBytes, string LargestPage, TimeSpan Elapsed);

/// <summary>
/// <c>optaic report --out DIR</c>: the Center as a static site from the registry in Git alone, <c>DIR/index.html</c>
/// its entry. Every page is self-contained (inline CSS and SVG, no request anywhere), every link relative, so the
/// folder opens from disk or from GitHub Pages. The instance list's JSON is written beside it as <c>api/instances.json</c>.
/// </summary>
public static class StaticSite
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the site; files of an earlier report in the folder that this one does not write are removed.</summary>
    public static StaticSiteResult Write(CenterData data, string folder)
    {
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(folder);
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(root, "instances"));
        Directory.CreateDirectory(Path.Combine(root, "runs"));
        Directory.CreateDirectory(Path.Combine(root, "executions"));
        Directory.CreateDirectory(Path.Combine(root, "api"));
        foreach (var instance in data.Instances)
        {
            for (var p = 2; p <= CenterPages.ExecutionPages(instance); p++)
            {
                Directory.CreateDirectory(Path.Combine(root, "executions", $"_{p}"));
            }
        }
        var pages = new CenterPages(data);
        var jobs = new List<(string Path, Func<byte[]> Render, bool Page)>();
        for (var p = 1; p <= pages.InstancePages; p++)
        {
            var page = p;
            jobs.Add((SitePaths.InstancesPage(page), () => Utf8.GetBytes(pages.InstanceList(page)), true));
        }
        for (var p = 1; p <= pages.RunPages; p++)
        {
            var page = p;
            jobs.Add((SitePaths.RunsPage(page), () => Utf8.GetBytes(pages.RunList(page)), true));
        }
        foreach (var instance in data.Instances)
        {
            jobs.Add((SitePaths.Instance(instance.Name), () => Utf8.GetBytes(pages.Instance(instance)), true));
        }
        foreach (var instance in data.Instances)
        {
            for (var p = 1; p <= CenterPages.ExecutionPages(instance); p++)
            {
                var page = p;
                jobs.Add((SitePaths.Executions(instance.Name, page), () => Utf8.GetBytes(pages.Executions(instance, page)), true));
            }
        }
        jobs.Add(("api/instances.json", () => CenterApi.Serialize(CenterApi.Instances(data)), false));

        var sizes = new long[jobs.Count];
        Parallel.For(0, jobs.Count, i =>
        {
            var bytes = jobs[i].Render();
            sizes[i] = bytes.Length;
            WriteIfChanged(Path.Combine(root, jobs[i].Path), bytes);
        });
        RemoveStale(root, jobs.Select(j => j.Path));

        var largest = Enumerable.Range(0, jobs.Count).Where(i => jobs[i].Page).MaxBy(i => sizes[i]);
        return new StaticSiteResult(root, jobs.Count(j => j.Page), jobs.Count(j => !j.Page), sizes.Sum(), sizes[largest], jobs[largest].Path, clock.Elapsed);
    }

    /// <summary>Unchanged pages keep their bytes and times, so a re-published site's diff is only what changed.</summary>
    private static void WriteIfChanged(string path, byte[] bytes)
    {
        var file = new FileInfo(path);
        if (file.Exists && file.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
        {
            return;
        }
        File.WriteAllBytes(path, bytes);
    }

    private static void RemoveStale(string root, IEnumerable<string> written)
    {
        var keep = new HashSet<string>(written.Select(w => Path.GetFullPath(Path.Combine(root, w))), StringComparer.Ordinal);
        foreach (var sub in new[] { "instances", "runs", "executions", "api" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, sub), "*", sub == "executions" ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
            {
                if ((file.EndsWith(".html", StringComparison.Ordinal) || file.EndsWith(".json", StringComparison.Ordinal)) && !keep.Contains(file))
                {
                    File.Delete(file);
                }
            }
        }
    }
}
