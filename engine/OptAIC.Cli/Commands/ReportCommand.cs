using System.CommandLine;
using System.Globalization;
using OptAIC.Cli.Help;
using OptAIC.Engine.Web.Center;

namespace OptAIC.Cli.Commands;

/// <summary>
/// `optaic report --out DIR`: the MLOps Center as a static site made from the registry in Git alone (DIR/index.html
/// its entry; no server and no network when it is viewed), for a nightly workflow to publish on GitHub Pages.
/// </summary>
public static class ReportCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var output = new Option<string>("--out", "-o") { Description = "The folder to write the site to (created; files of an earlier report there are replaced).", DefaultValueFactory = _ => "site" };
        var command = new Command("report", "Write the MLOps Center (Model Instance and Execution views) as a static site from the registry.") { output };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var root = RepositoryLocator.Find(result.GetValue(repoOption));
            var folder = result.GetValue(output)!;
            if (string.IsNullOrWhiteSpace(folder))
            {
                throw new UsageException("--out: give the folder to write the site to");
            }
            var target = Path.GetFullPath(folder);
            if (File.Exists(target))
            {
                throw new UsageException($"--out {folder}: is a file; give a folder");
            }
            var data = CenterReader.Read(root);
            var site = StaticSite.Write(data, target);
            System.Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Report: {data.Instances.Count} instance(s), {data.Runs.Count} run(s): {site.Pages} page(s) and {site.JsonFiles} JSON file(s), {site.Bytes / 1024.0 / 1024:0.0} MB, in {site.Folder} ({site.Elapsed.TotalSeconds:0.00} s). Open {Path.Combine(site.Folder, "index.html")}."));
            return ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic report --out site                       # then open site/index.html",
            "optaic report --repo ../models --out public    # the folder a Pages workflow publishes");
    }
}
