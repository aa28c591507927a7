using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LibGit2Sharp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Web;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web;

/// <summary>The shared web host over real HTTP on 127.0.0.1: token, body cap, JSON errors, the registry watcher.</summary>
public sealed class WebHostTests : IDisposable
{
    private static readonly LibGit2Sharp.Signature Bot = new("optaic-bot", "bot@optaic.io", DateTimeOffset.UnixEpoch);
    private readonly TempFolder _temp = new("optaic-web");
    private readonly GitRepository _git;

    public WebHostTests()
    {
        _git = GitRepository.Init(_temp.Path);
        _temp.Write("models/a/versions/1.yaml", "version: 1\n");
        _git.CommitPaths(["models"], "first", Bot);
    }

    public void Dispose()
    {
        _git.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task With_a_token_set_a_request_without_it_gets_401_and_one_with_it_gets_through()
    {
        await using var web = await Start(token: "s3cret");
        using var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };

        using var missing = await http.GetAsync(new Uri("/ping", UriKind.Relative));
        missing.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ErrorOf(missing)).ShouldContain(WebHostOptions.TokenVariable);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/ping") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "s3cre") } };
        (await http.SendAsync(wrong)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/ping") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "s3cret") } };
        using var ok = await http.SendAsync(right);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadAsStringAsync()).ShouldBe("pong");

        // A browser opens a ?token= link once; the cookie it gets carries the token afterwards.
        using var link = await http.GetAsync(new Uri("/ping?token=s3cret", UriKind.Relative));
        link.StatusCode.ShouldBe(HttpStatusCode.OK);
        link.Headers.GetValues("Set-Cookie").Single().ShouldStartWith(OptaicWebHost.TokenCookie + "=s3cret");
    }

    [Fact]
    public async Task Errors_are_json_without_stack_traces_and_a_body_over_the_cap_is_refused()
    {
        await using var web = await Start(token: null, maxBody: 1024);
        using var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };

        using var notFound = await http.GetAsync(new Uri("/no/such/page", UriKind.Relative));
        notFound.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await ErrorOf(notFound)).ShouldBe("not found");

        using var boom = await http.GetAsync(new Uri("/boom", UriKind.Relative));
        boom.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        var body = await boom.Content.ReadAsStringAsync();
        body.ShouldNotContain("secret detail");
        body.ShouldNotContain("   at ");

        using var big = await http.PostAsync(new Uri("/echo", UriKind.Relative), new ByteArrayContent(new byte[4096]));
        big.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        using var small = await http.PostAsync(new Uri("/echo", UriKind.Relative), new ByteArrayContent(new byte[100]));
        (await small.Content.ReadAsStringAsync()).ShouldBe("100");

        notFound.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        web.BoundAddress.ShouldStartWith("http://127.0.0.1:");
    }

    [Fact]
    public void The_watcher_raises_a_change_when_a_commit_moves_the_registry_and_not_otherwise()
    {
        using var watcher = new RegistryWatcher(_temp.Path);
        var changes = new List<RegistryChange>();
        watcher.Changed += (_, change) => changes.Add(change);
        var first = watcher.Commit;

        watcher.Check().ShouldBeFalse();
        _temp.Write("models/a/versions/2.yaml", "version: 2\n");
        watcher.Check().ShouldBeFalse(); // uncommitted records are not the registry yet
        var second = _git.CommitPaths(["models"], "second", Bot);

        watcher.Check().ShouldBeTrue();
        changes.ShouldHaveSingleItem().ShouldBe(new RegistryChange(first, second, watcher.RegistryTree));
        watcher.RegistryTree.ShouldNotBeNull();
    }

    [Fact]
    public void A_bad_host_is_a_usage_error_naming_the_option()
    {
        Should.Throw<WebHostException>(() => OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = _temp.Path, Host = "not a host" }))
            .Message.ShouldStartWith("--host not a host:");
    }

    private async Task<OptaicWebHost> Start(string? token, long maxBody = 4096)
    {
        var web = OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = _temp.Path, Port = 0, Token = token, MaxRequestBodyBytes = maxBody }, (app, _) =>
        {
            app.MapGet("/ping", () => "pong");
            app.MapGet("/boom", string () => throw new InvalidOperationException("secret detail"));
            app.MapPost("/echo", async (HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                return buffer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            });
        });
        await web.StartAsync();
        return web;
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }
}
