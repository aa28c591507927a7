using Microsoft.Playwright;
using OptAIC.Engine.Web.Center;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Center;

/// <summary>The static site (`optaic report`) opened from disk (file://) in Chromium, as a reader of GitHub Pages sees it.</summary>
public sealed class StaticSiteBrowserTests(BrowserFixture browser, StaticSiteBrowserTests.Site site) : IClassFixture<BrowserFixture>, IClassFixture<StaticSiteBrowserTests.Site>
{
    /// <summary>The example's report, written once for the class.</summary>
    public sealed class Site : IAsyncLifetime, IDisposable
    {
        private readonly TempFolder _folder = new("optaic-site");

        public string Index => new Uri(Path.Combine(_folder.Path, "index.html")).AbsoluteUri;

        public string Url(string relative) => new Uri(Path.Combine(_folder.Path, relative)).AbsoluteUri;

        public async Task InitializeAsync() => StaticSite.Write(CenterReader.Read(await CenterExample.Repository()), _folder.Path);

        public Task DisposeAsync()
        {
            Dispose();
            return Task.CompletedTask;
        }

        public void Dispose() => _folder.Dispose();
    }

    [Fact]
    public async Task The_instance_view_lists_the_six_instances_and_draws_their_charts()
    {
        await using var watched = await browser.Open();
        var page = watched.Page;

        await page.GotoAsync(site.Index);

        (await page.TitleAsync()).ShouldStartWith("Model instances");
        var rows = page.Locator("table#instances tbody tr");
        (await rows.CountAsync()).ShouldBe(6);
        foreach (var name in CenterExample.Instances)
        {
            (await page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).CountAsync()).ShouldBe(1, name);
        }
        (await page.Locator("svg.chart").CountAsync()).ShouldBeGreaterThan(0);
        await watched.Screenshot("static-instances");

        await page.GotoAsync(site.Url("instances/spx-alpha.html"));
        (await page.Locator("h1").InnerTextAsync()).ShouldStartWith("spx-alpha");
        (await page.Locator("svg.chart").CountAsync()).ShouldBeGreaterThanOrEqualTo(3); // metric, rolling rank IC, drift, lineage
        (await page.Locator("#lineage ~ figure svg, section[aria-labelledby=lineage] svg").CountAsync()).ShouldBe(1);
        await watched.Screenshot("static-instance-spx-alpha");
        watched.ShouldBeClean();
    }

    [Fact]
    public async Task A_click_leads_from_an_instance_to_one_of_its_runs_and_back()
    {
        await using var watched = await browser.Open();
        var page = watched.Page;
        await page.GotoAsync(site.Index);

        await Follow(page, page.GetByRole(AriaRole.Link, new() { Name = "spx-linear", Exact = true }), "**/instances/spx-linear.html");
        var firstRun = page.Locator("section[aria-labelledby=runs] table.runs tbody tr a").First;
        await firstRun.ClickAsync();
        await page.WaitForURLAsync("**/executions/spx-linear.html#*", Arrived);
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("spx-linear");
        (await page.Locator("article.run:target").CountAsync()).ShouldBe(1);
        await watched.Screenshot("static-run");

        await page.Locator("article.run:target a.back").ClickAsync();
        await page.WaitForURLAsync("**/instances/spx-linear.html", Arrived);
        (await page.Locator("h1").InnerTextAsync()).ShouldStartWith("spx-linear");
        await page.GoBackAsync();
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("spx-linear");
        watched.ShouldBeClean();
    }

    [Fact]
    public async Task The_execution_view_shows_every_run_on_a_timeline_and_filters_without_a_server()
    {
        await using var watched = await browser.Open();
        var page = watched.Page;
        var data = CenterReader.Read(await CenterExample.Repository());

        await page.GotoAsync(site.Url("runs/index.html"));

        (await page.Locator("table.runs tbody tr").CountAsync()).ShouldBe(data.Runs.Count);
        (await page.Locator("svg.chart title").First.TextContentAsync()).ShouldBe("Run timeline");
        await watched.Screenshot("static-executions");

        await page.GotoAsync(site.Url("runs/index.html") + "?instance=spx-regime&kind=monitor");
        (await page.Locator("table.runs tbody tr:not([hidden])").CountAsync()).ShouldBe(data.Runs.Count(r => r.Instance == "spx-regime" && r.Kind == "monitor"));

        var monitor = data.Runs.First(r => r.Instance == "spx-alpha" && r.Kind == "monitor");
        await page.GotoAsync(site.Url(SitePaths.Run(monitor).Split('#')[0]) + "#" + monitor.Id);
        (await page.Locator($"[id='drift-{monitor.Id}'] tbody tr").CountAsync()).ShouldBe(14); // 13 features and the prediction
        (await page.Locator("article.run:target").GetByText("Alerts by severity").CountAsync()).ShouldBe(1);
        await watched.Screenshot("static-monitoring-run");
        watched.ShouldBeClean();
    }

    [Fact]
    public async Task Dataset_profiles_show_their_histograms_on_the_instance_and_the_profile_pages()
    {
        await using var watched = await browser.Open();
        var page = watched.Page;

        await page.GotoAsync(site.Url("instances/spx-alpha.html"));
        var profiles = page.Locator("section[aria-labelledby=data]");
        (await profiles.Locator("svg.chart").CountAsync()).ShouldBeGreaterThan(0);
        (await profiles.GetByText("unchanged since training").CountAsync()).ShouldBe(1);
        await profiles.ScrollIntoViewIfNeededAsync();
        await watched.Screenshot("static-instance-profiles");

        await Follow(page, page.GetByRole(AriaRole.Link, new() { Name = "Datasets", Exact = true }), "**/datasets/index.html");
        await Follow(page, page.Locator("section[aria-labelledby=ds-spx-daily] tbody a").First, "**/datasets/spx-daily/*.html");
        (await page.Locator("h1").InnerTextAsync()).ShouldStartWith("spx-daily at ");
        (await page.Locator("figure svg.chart").CountAsync()).ShouldBe(6); // open, high, low, close, adjclose, volume
        (await page.Locator("table tbody tr").CountAsync()).ShouldBe(6);
        await watched.Screenshot("static-dataset-profile");
        watched.ShouldBeClean();
    }

    /// <summary>A navigation counts once its document is parsed (a loaded machine may be slow to fire load).</summary>
    private static readonly PageWaitForURLOptions Arrived = new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 };

    /// <summary>Clicks a link until the page it leads to is there (a click landing while the first page still settles can be lost on a loaded machine).</summary>
    private static async Task Follow(IPage page, ILocator link, string url)
    {
        for (var attempt = 1; ; attempt++)
        {
            await link.ClickAsync();
            try
            {
                await page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 15_000 });
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
            }
        }
    }
}
