using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OptAIC.Engine.Web;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Center;

/// <summary>`optaic serve` (real Kestrel on 127.0.0.1) over the applied example, in Chromium.</summary>
public sealed class ServeBrowserTests(BrowserFixture browser, ServeBrowserTests.Server server) : IClassFixture<BrowserFixture>, IClassFixture<ServeBrowserTests.Server>
{
    /// <summary>The web host over the example, started once for the class.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private OptaicWebHost? _web;

        public string Url(string path) => _web!.BoundAddress.TrimEnd('/') + path;

        public async Task InitializeAsync()
        {
            _web = OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = await CenterExample.Repository(), Port = 0, WatchInterval = TimeSpan.FromHours(1) });
            await _web.StartAsync();
        }

        public async Task DisposeAsync()
        {
            if (_web is not null)
            {
                await _web.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_instance_view_lists_the_six_instances_live_with_their_pending_plan()
    {
        await using var watched = await browser.Open();
        var page = watched.Page;

        await page.GotoAsync(server.Url("/"));

        (await page.Locator("table#instances tbody tr").CountAsync()).ShouldBe(6);
        (await page.Locator("header .meta").InnerTextAsync()).ShouldStartWith("live from commit");
        (await page.Locator("svg.chart").CountAsync()).ShouldBeGreaterThan(0);
        await watched.Screenshot("serve-instances");

        await Follow(page, page.GetByRole(AriaRole.Link, new() { Name = "spx-ensemble", Exact = true }), "**/instances/spx-ensemble.html");
        (await page.Locator("#pending-h").InnerTextAsync()).ShouldBe("Pending plan changes");
        (await page.Locator("section[aria-labelledby=lineage] svg").CountAsync()).ShouldBe(1);
        await watched.Screenshot("serve-instance-spx-ensemble");
        watched.Requests.ShouldAllBe(url => url.StartsWith(server.Url("/"), StringComparison.Ordinal));
        watched.ShouldBeClean();
    }

    [Fact]
    public async Task A_click_leads_from_an_instance_to_a_run_and_back_and_the_execution_view_filters_on_the_server()
    {
        await using var watched = await browser.Open();
        var page = watched.Page;
        await page.GotoAsync(server.Url("/instances/spx-regime.html"));

        await page.Locator("section[aria-labelledby=runs] table.runs tbody tr a").First.ClickAsync();
        await page.WaitForURLAsync("**/executions/spx-regime.html#*", Arrived);
        (await page.Locator("h1").InnerTextAsync()).ShouldContain("spx-regime");
        await page.Locator("article.run:target a.back").ClickAsync();
        await page.WaitForURLAsync("**/instances/spx-regime.html", Arrived);

        await page.GotoAsync(server.Url("/runs/index.html"));
        var all = await page.Locator("table.runs tbody tr").CountAsync();
        all.ShouldBeGreaterThanOrEqualTo(24);
        await watched.Screenshot("serve-executions");
        await page.SelectOptionAsync("select[name=kind]", "train");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/runs/index\\.html\\?.*kind=train"), Arrived);
        (await page.Locator("table.runs tbody tr").CountAsync()).ShouldBe(6);
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
