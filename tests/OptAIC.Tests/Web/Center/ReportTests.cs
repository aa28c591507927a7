using System.Text.Json;
using OptAIC.Engine.Web.Center;
using OptAIC.Tests.Cli;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Center;

/// <summary>`optaic report` on the applied example: a static site whose pages hold the registry's records, self-contained.</summary>
public sealed class ReportTests : IDisposable
{
    private readonly TempFolder _out = new("optaic-site");

    public void Dispose() => _out.Dispose();

    [Fact]
    public async Task The_report_command_writes_an_index_an_instance_page_per_instance_and_a_page_per_run()
    {
        var repo = await CenterExample.Repository();

        var (exit, output, error) = OptaicProcess.Run(repo, null, "report", "--out", _out.Path);

        exit.ShouldBe(0, error);
        output.ShouldStartWith("Report: 6 instance(s)");
        var index = File.ReadAllText(_out.File("index.html"));
        foreach (var name in CenterExample.Instances)
        {
            index.ShouldContain($"href=\"instances/{name}.html\"");
            var page = File.ReadAllText(_out.File($"instances/{name}.html"));
            page.ShouldContain($"<h1>{name} ");
            page.ShouldContain("id=\"v1\"");
            page.ShouldContain("<svg class=\"chart\"");
        }
        var data = CenterReader.Read(repo);
        data.Runs.Count.ShouldBeGreaterThanOrEqualTo(18);
        foreach (var run in data.Runs)
        {
            var link = SitePaths.Run(run);
            File.ReadAllText(_out.File(link[..link.IndexOf('#', StringComparison.Ordinal)])).ShouldContain($"<article class=\"run\" id=\"{run.Id}\"", customMessage: run.Id);
        }
        using var api = JsonDocument.Parse(File.ReadAllBytes(_out.File("api/instances.json")));
        api.RootElement.GetProperty("instances").GetArrayLength().ShouldBe(6);
    }

    [Fact]
    public async Task Pages_never_reach_the_network_and_show_the_lineage_monitoring_and_model_card()
    {
        var repo = await CenterExample.Repository();
        var site = StaticSite.Write(CenterReader.Read(repo), _out.Path);

        site.LargestPageBytes.ShouldBeLessThan(300 * 1024);
        foreach (var file in Directory.EnumerateFiles(_out.Path, "*.html", SearchOption.AllDirectories))
        {
            var html = File.ReadAllText(file);
            html.ShouldNotContain("http://", customMessage: file);
            html.ShouldNotContain("https://", customMessage: file);
            html.ShouldNotContain("<link", customMessage: file);
            html.ShouldNotContain(" src=", customMessage: file);
            html.ShouldContain("Content-Security-Policy");
        }
        var alpha = File.ReadAllText(_out.File("instances/spx-alpha.html"));
        alpha.ShouldContain("Lineage of spx-alpha v1");
        alpha.ShouldContain("read by <a href=\"../instances/spx-ensemble.html\">spx-ensemble</a>");
        alpha.ShouldContain("Rolling rank IC by monitoring run");
        alpha.ShouldContain("<h3>Model card: spx-alpha v1</h3>");
        alpha.ShouldContain("learningRate");
        var ensemble = File.ReadAllText(_out.File("instances/spx-ensemble.html"));
        ensemble.ShouldContain("reads instance <a href=\"../instances/spx-alpha.html\">spx-alpha</a>");
    }

    [Fact]
    public void A_repository_without_a_registry_gets_a_site_that_says_so()
    {
        using var empty = new TempFolder("optaic-empty");
        LibGit2Sharp.Repository.Init(empty.Path);

        var site = StaticSite.Write(CenterReader.Read(empty.Path), _out.Path);

        site.Pages.ShouldBe(2); // the instance list and the Execution view
        File.ReadAllText(_out.File("index.html")).ShouldContain("0 instance(s), 0 run(s)");
    }
}

/// <summary>The nightly workflow template publishes the report on GitHub Pages.</summary>
public class NightlyReportTemplateTests
{
    [Fact]
    public void The_nightly_template_reports_from_the_reconciled_commit_and_deploys_it_to_pages()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, ".github", "workflow-templates", "optaic-nightly.yml"));

        text.IndexOf("optaic ci reconcile", StringComparison.Ordinal).ShouldBeLessThan(text.IndexOf("optaic report --out site", StringComparison.Ordinal));
        text.ShouldContain("uses: actions/upload-pages-artifact@v3");
        text.ShouldContain("uses: actions/deploy-pages@v4");
        text.ShouldContain("pages: write");
        text.ShouldContain("id-token: write");
    }
}
