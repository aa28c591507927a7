using Microsoft.Playwright;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Center;

/// <summary>
/// One headless Chromium per test class: Debian's <c>chromium</c> (installed by .ci/run) driven by Playwright through
/// its executable path; Playwright downloads no browser. Each page opened through <see cref="Open"/> records its
/// console errors and every request that would leave the machine (those are aborted by a route).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: a folder of the test output, kept after the run as the tests' artifact.</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "center-screenshots");

    public async Task InitializeAsync()
    {
        File.Exists(ChromiumPath).ShouldBeTrue($"{ChromiumPath} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does");
        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>A fresh context and page whose requests may go to files and to 127.0.0.1 only.</summary>
    public async Task<WatchedPage> Open()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var watched = new WatchedPage(context, await context.NewPageAsync());
        await context.RouteAsync("**/*", async route =>
        {
            if (WatchedPage.IsLocal(route.Request.Url))
            {
                await route.ContinueAsync();
            }
            else
            {
                watched.External.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        return watched;
    }
}

/// <summary>A page with what it logged and asked for.</summary>
public sealed class WatchedPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;

    public WatchedPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Errors.Add($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => Errors.Add($"page error: {error}");
        page.Request += (_, request) =>
        {
            Requests.Add(request.Url);
            if (!IsLocal(request.Url))
            {
                External.Add(request.Url);
            }
        };
    }

    public IPage Page { get; }

    public List<string> Errors { get; } = [];

    public List<string> External { get; } = [];

    public List<string> Requests { get; } = [];

    public static bool IsLocal(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme is "file" or "data" or "about" || (uri.Scheme is "http" && uri.Host is "127.0.0.1" or "localhost"));

    /// <summary>A full-page screenshot under the tests' output folder.</summary>
    public async Task<string> Screenshot(string name)
    {
        var path = Path.Combine(BrowserFixture.Screenshots, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        new FileInfo(path).Length.ShouldBeGreaterThan(10_000);
        return path;
    }

    /// <summary>No console error, no page error, no request off the machine.</summary>
    public void ShouldBeClean()
    {
        Errors.ShouldBeEmpty();
        External.ShouldBeEmpty();
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
