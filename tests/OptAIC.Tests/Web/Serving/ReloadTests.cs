using System.Text.Json;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>Hot reload from the registry's commit, guardrails and metrics, each on its own copy of the applied repository.</summary>
[Collection(AppliedGroup.Name)]
public sealed class ReloadTests(AppliedRepository repo)
{
    private const string Infer = "/v2/models/spx-alpha/infer";

    [Fact]
    public async Task A_new_production_version_takes_over_under_load_with_no_failed_request()
    {
        using var copy = repo.Copy();
        await using var web = await Oip.Start(copy.Path, watch: TimeSpan.FromHours(1));
        using var http = Oip.Client(web);
        var body = repo.ByNameBody([10]);
        var expected = Oip.Scores((await Oip.Post(http, Infer, body)).Body);
        var versions = new System.Collections.Concurrent.ConcurrentBag<string>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        async Task Load()
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, response) = await Oip.Post(http, Infer, body);
                if (status != 200)
                {
                    failures.Add($"{status}: {response}");
                    continue;
                }
                versions.Add(response.GetProperty("model_version").GetString()!);
                Oip.Scores(response).ShouldBe(expected);
            }
        }
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(Load)).ToArray();
        await Task.Delay(300);

        AppliedRepository.Promote(copy.Path, 2, AppliedRepository.FirstArtifact(copy.Path));
        web.Context.Watcher.Check().ShouldBeTrue();
        await Task.Delay(300);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        failures.ShouldBeEmpty();
        versions.ShouldContain("1");
        versions.ShouldContain("2");
        (await Oip.Post(http, Infer, body)).Body.GetProperty("model_version").GetString().ShouldBe("2");
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.ShouldContain("optaic_serving_model_version{model=\"spx-alpha\"} 2");
        metrics.ShouldContain("optaic_serving_reloads_total{result=\"ok\"} 2"); // the first load and this one
    }

    [Fact]
    public async Task A_version_that_fails_to_load_leaves_the_old_one_serving_and_shows_in_ready_and_metrics()
    {
        using var copy = repo.Copy();
        await using var web = await Oip.Start(copy.Path, watch: TimeSpan.FromHours(1));
        using var http = Oip.Client(web);

        AppliedRepository.Promote(copy.Path, 2, "not a model"u8.ToArray());
        web.Context.Watcher.Check().ShouldBeTrue();

        var (status, response) = await Oip.Post(http, Infer, repo.ByNameBody([0]));
        status.ShouldBe(200);
        response.GetProperty("model_version").GetString().ShouldBe("1");
        var (readyStatus, ready) = await Oip.Get(http, "/v2/health/ready");
        readyStatus.ShouldBe(200, "version 1 still serves");
        var model = ready.GetProperty("models").EnumerateArray().Single();
        model.GetProperty("version").GetString().ShouldBe("1");
        model.GetProperty("failed_version").GetString().ShouldBe("2");
        model.GetProperty("error").GetString()!.ShouldContain("spx-alpha version 2 cannot be loaded: the model artifact is damaged");
        var (_, modelReady) = await Oip.Get(http, "/v2/models/spx-alpha/ready");
        modelReady.GetProperty("ready").GetBoolean().ShouldBeTrue();
        modelReady.GetProperty("failed_version").GetString().ShouldBe("2");
        var (versionStatus, version) = await Oip.Post(http, "/v2/models/spx-alpha/versions/2/infer", repo.ByNameBody([0]));
        versionStatus.ShouldBe(503);
        version.GetProperty("error").GetString()!.ShouldContain("cannot be loaded");
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.ShouldContain("optaic_serving_model_load_failed{model=\"spx-alpha\",version=\"2\"} 1");
        metrics.ShouldContain("optaic_serving_model_load_failures_total{model=\"spx-alpha\"} 1");
        metrics.ShouldContain("optaic_serving_reloads_total{result=\"partial\"} 1");
        metrics.ShouldContain("optaic_serving_model_version{model=\"spx-alpha\"} 1");

        // The next good version clears it.
        AppliedRepository.Promote(copy.Path, 3, AppliedRepository.FirstArtifact(copy.Path));
        web.Context.Watcher.Check().ShouldBeTrue();
        (await Oip.Post(http, Infer, repo.ByNameBody([0]))).Body.GetProperty("model_version").GetString().ShouldBe("3");
        (await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).ShouldNotContain("optaic_serving_model_load_failed{");
    }

    [Fact]
    public async Task A_score_outside_the_guardrails_is_a_422_and_is_counted()
    {
        using var copy = repo.Copy();
        var definition = copy.File("specs/definitions/gbm-signal.yaml");
        var text = File.ReadAllText(definition);
        text.ShouldContain("bounds: [-1, 1]");
        File.WriteAllText(definition, text.Replace("bounds: [-1, 1]", "bounds: [0.9999, 1]", StringComparison.Ordinal));
        await using var web = await Oip.Start(copy.Path, watch: TimeSpan.FromHours(1));
        using var http = Oip.Client(web);

        var (status, response) = await Oip.Post(http, Infer, repo.ByNameBody([0, 1]));

        status.ShouldBe(422, response.ToString());
        response.GetProperty("error").GetString()!.ShouldContain("spx-alpha version 1: guardrails failed: 2 of 2 scores outside [0.9999, 1] (first at row 0");
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.ShouldContain("optaic_serving_errors_total{model=\"spx-alpha\",kind=\"guardrail\"} 1");
        metrics.ShouldContain("optaic_serving_requests_total{model=\"spx-alpha\",kind=\"infer\",status=\"422\"} 1");
    }

    [Fact]
    public async Task Metrics_count_requests_errors_rows_and_latency_per_model_in_prometheus_text()
    {
        await using var web = await Oip.Start(repo.Path);
        using var http = Oip.Client(web);
        for (var i = 0; i < 3; i++)
        {
            (await Oip.Post(http, Infer, repo.ByNameBody([i, i + 1]))).Status.ShouldBe(200);
        }
        (await Oip.Post(http, Infer, "{")).Status.ShouldBe(400);
        (await Oip.Post(http, "/v2/models/made-up-name/infer", "{}")).Status.ShouldBe(404);

        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        var metrics = await response.Content.ReadAsStringAsync();

        metrics.ShouldContain("# TYPE optaic_serving_infer_duration_seconds histogram");
        metrics.ShouldContain("optaic_serving_requests_total{model=\"spx-alpha\",kind=\"infer\",status=\"200\"} 3");
        metrics.ShouldContain("optaic_serving_errors_total{model=\"spx-alpha\",kind=\"bad_request\"} 1");
        metrics.ShouldContain("optaic_serving_errors_total{model=\"unknown\",kind=\"not_found\"} 1");
        metrics.ShouldContain("optaic_serving_rows_scored_total{model=\"spx-alpha\"} 6");
        metrics.ShouldContain("optaic_serving_infer_duration_seconds_count{model=\"spx-alpha\"} 3");
        metrics.ShouldNotContain("made-up-name");
        JsonDocument.Parse((await Oip.Get(http, "/v2")).Body.GetRawText()).RootElement.GetProperty("name").GetString().ShouldBe("optaic");
    }
}
