using System.Diagnostics;
using System.Text;

namespace OptAIC.Engine.Web.Center;

/// <summary>One file of the static site: its path in the site's folder and what renders it.</summary>
public sealed record SiteFile(string Path, Func<byte[]> Render, bool Page);

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
        CreateFolders(data, root);
        var jobs = Plan(data);
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

    /// <summary>Every file of the site (path relative to its folder) with what renders it; <see cref="Write"/> renders and writes them in parallel.</summary>
    public static IReadOnlyList<SiteFile> Plan(CenterData data)
    {
        var pages = new CenterPages(data);
        var jobs = new List<SiteFile>();
        for (var p = 1; p <= pages.InstancePages; p++)
        {
            var page = p;
            jobs.Add(new(SitePaths.InstancesPage(page), () => Utf8.GetBytes(pages.InstanceList(page)), true));
        }
        for (var p = 1; p <= pages.RunPages; p++)
        {
            var page = p;
            jobs.Add(new(SitePaths.RunsPage(page), () => Utf8.GetBytes(pages.RunList(page)), true));
        }
        foreach (var instance in data.Instances)
        {
            jobs.Add(new(SitePaths.Instance(instance.Name), () => Utf8.GetBytes(pages.Instance(instance)), true));
        }
        foreach (var instance in data.Instances)
        {
            for (var p = 1; p <= CenterPages.ExecutionPages(instance); p++)
            {
                var page = p;
                jobs.Add(new(SitePaths.Executions(instance.Name, page), () => Utf8.GetBytes(pages.Executions(instance, page)), true));
            }
        }
        jobs.Add(new(SitePaths.Datasets, () => Utf8.GetBytes(pages.DatasetList()), true));
        foreach (var profile in data.Profiles.Values.SelectMany(p => p))
        {
            jobs.Add(new(SitePaths.Profile(profile.Dataset, profile.ContentVersion), () => Utf8.GetBytes(pages.Profile(profile)), true));
        }
        jobs.Add(new("api/instances.json", () => CenterApi.Serialize(CenterApi.Instances(data)), false));
        return jobs;
    }

    /// <summary>The folders <see cref="Plan"/>'s files go in.</summary>
    public static void CreateFolders(CenterData data, string root)
    {
        foreach (var sub in new[] { "instances", "runs", "executions", "api", "datasets" })
        {
            Directory.CreateDirectory(Path.Combine(root, sub));
        }
        foreach (var dataset in data.Profiles.Keys)
        {
            Directory.CreateDirectory(Path.Combine(root, "datasets", dataset));
        }
        var pages = data.Instances.Select(CenterPages.ExecutionPages).DefaultIfEmpty(1).Max();
        for (var p = 2; p <= pages; p++)
        {
            Directory.CreateDirectory(Path.Combine(root, "executions", $"_{p}"));
        }
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
        foreach (var sub in new[] { "instances", "runs", "executions", "api", "datasets" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, sub), "*", sub is "executions" or "datasets" ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly))
            {
                if ((file.EndsWith(".html", StringComparison.Ordinal) || file.EndsWith(".json", StringComparison.Ordinal)) && !keep.Contains(file))
                {
                    File.Delete(file);
                }
            }
        }
    }
}
