using System.Globalization;
using OptAIC.Engine.Web;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary><c>--log-requests</c>: nothing by default; one line per request without input data; the bodies only when asked.</summary>
[Collection(AppliedGroup.Name)]
public sealed class RequestLogTests(AppliedRepository repo)
{
    private const string Infer = "/v2/models/spx-alpha/infer";

    [Theory]
    [InlineData(RequestLogging.Off)]
    [InlineData(RequestLogging.Summary)]
    [InlineData(RequestLogging.Bodies)]
    public async Task Requests_are_logged_only_when_asked_and_input_data_only_with_the_bodies(RequestLogging level)
    {
        using var log = new StringWriter();
        await using var web = OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = repo.Path, Port = 0, LogRequests = level, RequestLog = log });
        await web.StartAsync();
        using var http = Oip.Client(web);
        var value = repo.Feature(repo.Features[0], 3).ToString("R", CultureInfo.InvariantCulture);

        (await Oip.Post(http, Infer + "?token=secret-in-a-query", repo.ByNameBody([3, 4], id: "req-7"))).Status.ShouldBe(200);
        (await Oip.Post(http, Infer, "{\"inputs\": 5}")).Status.ShouldBe(400);
        (await Oip.Get(http, "/v2/health/live")).Status.ShouldBe(200);

        // A line is written as its response completes: wait for the three (or, when off, give them time to appear).
        var text = await Settled(log, level == RequestLogging.Off ? 0 : 3);
        if (level == RequestLogging.Off)
        {
            text.ShouldBeEmpty();
            return;
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.ShouldContain(l => l.Contains("POST /v2/models/spx-alpha/infer 200 ", StringComparison.Ordinal) && l.EndsWith("model=spx-alpha version=1 rows=2", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("POST /v2/models/spx-alpha/infer 400 ", StringComparison.Ordinal) && l.EndsWith("model=spx-alpha error=bad_request", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("GET /v2/health/live 200 ", StringComparison.Ordinal));
        text.ShouldNotContain("secret-in-a-query");
        if (level == RequestLogging.Summary)
        {
            text.ShouldNotContain(value);
            text.ShouldNotContain("inputs");
            text.ShouldNotContain("req-7");
        }
        else
        {
            lines.ShouldContain(l => l.StartsWith("request: {", StringComparison.Ordinal) && l.Contains(value, StringComparison.Ordinal) && l.Contains("req-7", StringComparison.Ordinal));
            lines.ShouldContain(l => l.StartsWith("response: {\"model_name\":\"spx-alpha\"", StringComparison.Ordinal));
            lines.ShouldContain(l => l.StartsWith("request: {\"inputs\": 5}", StringComparison.Ordinal));
            lines.ShouldContain(l => l.StartsWith("response: inputs is a number", StringComparison.Ordinal));
        }
    }

    private static async Task<string> Settled(StringWriter log, int lines)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(lines == 0 ? 0.5 : 10))
        {
            string text;
            lock (log)
            {
                text = log.ToString();
            }
            if (lines > 0 && text.Split('\n').Count(l => l.Contains(" ms in=", StringComparison.Ordinal)) >= lines)
            {
                return text;
            }
            await Task.Delay(50);
        }
        lock (log)
        {
            return log.ToString();
        }
    }
}
