using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>The Open Inference Protocol over real HTTP on 127.0.0.1, serving the version a real apply trained.</summary>
[Collection(AppliedGroup.Name)]
public sealed class ServingTests(AppliedRepository repo)
{
    private const string Infer = "/v2/models/spx-alpha/infer";

    [Fact]
    public async Task The_served_score_of_a_row_is_the_score_apply_wrote_for_it()
    {
        await using var web = await Oip.Start(repo.Path);
        using var http = Oip.Client(web);
        repo.Predictions.RowCount.ShouldBe(repo.Rows.RowCount);
        var published = repo.Predictions.Numeric("score");

        // One row per request, by feature name, across the whole window.
        var sample = Enumerable.Range(0, repo.Rows.RowCount).Where(r => r % 97 == 0 || r == repo.Rows.RowCount - 1).ToList();
        foreach (var row in sample)
        {
            repo.Predictions.Time[row].ShouldBe(repo.Rows.Time[row]);
            var (status, body) = await Oip.Post(http, Infer, repo.ByNameBody([row], id: $"row-{row}"));
            status.ShouldBe(200, body.ToString());
            body.GetProperty("id").GetString().ShouldBe($"row-{row}");
            body.GetProperty("model_name").GetString().ShouldBe("spx-alpha");
            body.GetProperty("model_version").GetString().ShouldBe("1");
            Oip.Scores(body).ShouldBe([published[row]], $"row {row} ({repo.Rows.Time[row]:yyyy-MM-dd})");
        }

        // Every row at once, as one [rows, features] input, and through the versioned route.
        var all = Enumerable.Range(0, repo.Rows.RowCount).ToList();
        var (batchStatus, batch) = await Oip.Post(http, "/v2/models/spx-alpha/versions/1/infer", repo.MatrixBody(all));
        batchStatus.ShouldBe(200, batch.ToString());
        Oip.Scores(batch).ShouldBe(published);
    }

    [Fact]
    public async Task Metadata_names_the_features_as_inputs_and_the_score_as_output()
    {
        await using var web = await Oip.Start(repo.Path);
        using var http = Oip.Client(web);

        var (status, metadata) = await Oip.Get(http, "/v2/models/spx-alpha");

        status.ShouldBe(200, metadata.ToString());
        metadata.GetProperty("name").GetString().ShouldBe("spx-alpha");
        metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()).ShouldBe(["1"]);
        metadata.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()).ShouldBe(repo.Features);
        metadata.GetProperty("inputs")[0].GetProperty("datatype").GetString().ShouldBe("FP64");
        metadata.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()).ShouldBe(["score"]);
        metadata.GetProperty("parameters").GetProperty("output_transform").GetString().ShouldBe("tanh-zscore");
        (await Oip.Get(http, "/v2/models/spx-alpha/ready")).Body.GetProperty("ready").GetBoolean().ShouldBeTrue();
        (await Oip.Get(http, "/v2/health/live")).Status.ShouldBe(200);
        var (readyStatus, ready) = await Oip.Get(http, "/v2/health/ready");
        readyStatus.ShouldBe(200, ready.ToString());
        web.BoundAddress.ShouldStartWith("http://127.0.0.1:");
    }
}
