using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OptAIC.Benchmarks.Scenarios;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Web;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Center;

/// <summary>The Center under `serve`, over real HTTP on 127.0.0.1, on a generated registry committed to a real Git repository.</summary>
public sealed class CenterServeTests : IDisposable
{
    private static readonly LibGit2Sharp.Signature Bot = new("optaic-bot", "bot@optaic.io", DateTimeOffset.UnixEpoch);
    private readonly TempFolder _temp = new("optaic-center-serve");
    private readonly GitRepository _git;

    public CenterServeTests()
    {
        _git = GitRepository.Init(_temp.Path);
        RegistryGenerator.Write(_temp.File("models"), instances: 3, versions: 3);
        _git.CommitPaths(["models"], "registry", Bot);
    }

    public void Dispose()
    {
        _git.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Pages_and_the_json_api_show_the_registry_and_unknown_names_get_404()
    {
        await using var web = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };

        var index = await http.GetStringAsync(new Uri("/", UriKind.Relative));
        index.ShouldContain("href=\"instances/inst-0002.html\"");
        (await http.GetStringAsync(new Uri("/instances/inst-0001.html", UriKind.Relative))).ShouldContain("<h1>inst-0001 ");

        using var instances = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/instances", UriKind.Relative)));
        instances.RootElement.GetProperty("count").GetInt32().ShouldBe(3);
        instances.RootElement.GetProperty("instances")[0].GetProperty("production").GetInt32().ShouldBe(3);
        using var one = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/instances/inst-0001", UriKind.Relative)));
        one.RootElement.GetProperty("versions").GetArrayLength().ShouldBe(3);
        one.RootElement.GetProperty("monitoring").GetProperty("columns").GetArrayLength().ShouldBe(RegistryGenerator.Features.Length);
        using var runs = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?instance=inst-0000&kind=monitor", UriKind.Relative)));
        runs.RootElement.GetProperty("total").GetInt32().ShouldBe(3);
        var runId = runs.RootElement.GetProperty("runs")[0].GetProperty("id").GetString()!;
        using var run = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{runId}", UriKind.Relative)));
        run.RootElement.GetProperty("run").GetProperty("recordedBy").GetString().ShouldBe(_git.HeadCommit);
        var url = run.RootElement.GetProperty("run").GetProperty("url").GetString()!;
        url.ShouldBe($"executions/inst-0000.html#{runId}");
        (await http.GetStringAsync(new Uri("/" + url.Split('#')[0], UriKind.Relative))).ShouldContain($"id=\"{runId}\"");
        (await http.GetStringAsync(new Uri("/runs/index.html?status=failed", UriKind.Relative))).ShouldContain("0 run(s)");

        using var missing = await http.GetAsync(new Uri("/api/instances/nope", UriKind.Relative));
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync()).ShouldContain("no instance named 'nope'");
        using var missingPage = await http.GetAsync(new Uri("/executions/nope.html", UriKind.Relative));
        missingPage.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        missingPage.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        using var write = await http.PostAsync(new Uri("/api/instances", UriKind.Relative), new StringContent("{}"));
        write.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_commit_that_moves_the_registry_is_served_after_the_watcher_sees_it()
    {
        await using var web = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };
        (await http.GetStringAsync(new Uri("/api/instances", UriKind.Relative))).ShouldContain("\"count\":3");

        RegistryGenerator.Write(_temp.File("models"), instances: 1, versions: 3, first: 3);
        _git.CommitPaths(["models"], "one more instance", Bot);
        web.Context.Watcher.Check().ShouldBeTrue();

        (await http.GetStringAsync(new Uri("/api/instances", UriKind.Relative))).ShouldContain("\"count\":4");
        (await http.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain("inst-0003");
    }

    [Fact]
    public async Task With_a_token_every_page_and_api_call_needs_it()
    {
        await using var web = await Start(token: "t0ken");
        using var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };

        foreach (var path in new[] { "/", "/instances/inst-0000.html", "/runs/index.html", "/api/instances", "/api/runs" })
        {
            using var refused = await http.GetAsync(new Uri(path, UriKind.Relative));
            refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/instances") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "t0ken") } };
        (await http.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task<OptaicWebHost> Start(string? token = null)
    {
        var web = OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = _temp.Path, Port = 0, Token = token, WatchInterval = TimeSpan.FromHours(1) });
        await web.StartAsync();
        return web;
    }
}
