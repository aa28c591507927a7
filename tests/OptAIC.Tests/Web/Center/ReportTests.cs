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
    public async Task Dataset_profiles_are_drawn_in_both_views_and_no_page_holds_a_data_row()
    {
        var repo = await CenterExample.Repository();
        var data = CenterReader.Read(repo);
        StaticSite.Write(data, _out.Path);

        var profile = data.Profiles["spx-daily"].ShouldHaveSingleItem();
        var page = File.ReadAllText(_out.File($"datasets/spx-daily/{profile.ContentVersion}.html"));
        page.ShouldContain($"<h1>spx-daily at {profile.ContentVersion[..12]}</h1>");
        foreach (var column in new[] { "open", "high", "low", "close", "adjclose", "volume" })
        {
            page.ShouldContain($"<title id=\"t", customMessage: column);
            page.ShouldContain($">Histogram of {column}</title>", customMessage: column);
        }
        File.ReadAllText(_out.File("datasets/index.html")).ShouldContain($"href=\"../datasets/spx-daily/{profile.ContentVersion}.html\"");

        // The Model Instance view: the training version's profile against the current one, per feature.
        var alpha = File.ReadAllText(_out.File("instances/spx-alpha.html"));
        var section = alpha[alpha.IndexOf("<section aria-labelledby=\"data\">", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("</section>", StringComparison.Ordinal)];
        section.ShouldContain("(unchanged since training)");
        section.ShouldContain("close: training against current");
        section.ShouldContain("ret_1d"); // a feature that reads close
        // The Execution view: the dataset version the training run read.
        var training = data.Instance("spx-alpha")!.Runs.First(r => r.Kind == "train");
        var executions = File.ReadAllText(_out.File(SitePaths.Run(training).Split('#')[0]));
        executions.ShouldContain("<caption>Dataset versions read</caption>");
        executions.ShouldContain($"href=\"../datasets/spx-daily/{profile.ContentVersion}.html\"");

        // Summaries only: no row of the data is on any page.
        var rows = File.ReadLines(Path.Combine(repo, "specs/data/sp500-2000.csv")).Skip(1).Take(50).ToList();
        foreach (var file in Directory.EnumerateFiles(_out.Path, "*.html", SearchOption.AllDirectories))
        {
            var html = File.ReadAllText(file);
            foreach (var row in rows)
            {
                html.ShouldNotContain(row, customMessage: file);
                html.ShouldNotContain(string.Join(' ', row.Split(',').Skip(1).Take(3)), customMessage: file);
            }
        }
    }

    [Fact]
    public void A_repository_without_a_registry_gets_a_site_that_says_so()
    {
        using var empty = new TempFolder("optaic-empty");
        LibGit2Sharp.Repository.Init(empty.Path);

        var site = StaticSite.Write(CenterReader.Read(empty.Path), _out.Path);

        site.Pages.ShouldBe(3); // the instance list, the Execution view and the (empty) Datasets page
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
