using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>
/// A LightGBM signal on a daily weather table whose weather type is text (hail only after training), applied for
/// real, then served: its categorical features are BYTES inputs of category names, each row's served score is the
/// one apply wrote (hail rows included), and unseen categories are counted per feature in the response and metrics.
/// </summary>
public sealed class CategoricalServingTests : IDisposable
{
    private const string Instance = "wx-lightgbm";
    private const string Infer = "/v2/models/wx-lightgbm/infer";
    private static readonly string[] Types = ["rain", "sun", "fog", "drizzle", "snow"];
    private readonly TempFolder _repo = new("optaic-categorical-serving");

    public CategoricalServingTests()
    {
        WriteWeather(_repo.File("specs/data/weather.csv"));
        _repo.Write("specs/project.yaml", """
            apiVersion: optaic.io/v1
            kind: Project
            metadata: { name: weather }
            spec: { dataRoot: specs/data }
            """);
        _repo.Write("specs/datasets/weather.yaml", """
            apiVersion: optaic.io/v1
            kind: Dataset
            metadata: { name: weather }
            spec:
              format: csv
              path: weather.csv
              timeColumn: date
              knowledgeLag: 0d
              frequency: day
              columns:
                - { name: date, type: date }
                - { name: temp_max, type: double }
                - { name: wind, type: double }
                - { name: weather, type: category }
            """);
        _repo.Write("specs/features/wx.yaml", """
            apiVersion: optaic.io/v1
            kind: FeatureSet
            metadata: { name: wx }
            spec:
              source: weather
              features:
                - { name: wx_type, expr: "weather" }
                - { name: wx_prev, expr: "lag(weather, 1)" }
                - { name: wind_3, expr: "rolling_mean(wind, 3)" }
              targets:
                - { name: fwd_temp, expr: "lead(temp_max, 1)" }
            """);
        _repo.Write("specs/definitions/lightgbm.yaml", """
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: lightgbm }
            spec:
              category: signal
              docs: { description: Tomorrow's temperature from today's weather type. }
              model:
                algorithm: lightgbm
                task: regression
                hyperparameters: { type: object, properties: { numberOfIterations: { type: integer, default: 30 } } }
              training: { validation: { scheme: purged-kfold, folds: 3 }, metrics: [ic] }
              inference: { transform: tanh-zscore, bounds: [-1, 1] }
              monitoring: { drift: { method: auto } }
              tests: { gates: [] }
            """);
        _repo.Write($"specs/instances/{Instance}.yaml", $$"""
            apiVersion: optaic.io/v1
            kind: ModelInstance
            metadata: { name: {{Instance}} }
            spec:
              definition: lightgbm
              features: { featureSet: wx }
              target: fwd_temp
              training: { start: "2012-01-01", end: "2014-06-30" }
              inference: { start: "2014-07-05" }
              seed: 1
            """);
        _repo.Write(".gitignore", ".optaic/\n");
        Repository.Init(_repo.Path);
        using (var git = new Repository(_repo.Path))
        {
            Commands.Stage(git, "*");
            var me = new LibGit2Sharp.Signature("test", "test@example.com", DateTimeOffset.UtcNow);
            git.Commit("weather", me, me);
        }
        var result = new Applier(ReconcileSession.Open(_repo.Path)).ApplyAsync().GetAwaiter().GetResult();
        result.Succeeded.ShouldBeTrue(string.Join("\n", result.Outcomes.Select(o => $"{o.Action.Id}: {o.Status} {o.Summary}")));
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Categorical_features_are_BYTES_names_scored_as_apply_scored_them_and_unseen_ones_are_counted()
    {
        var session = ReconcileSession.Open(_repo.Path);
        var registry = session.Registry;
        var uri = registry.GetInstanceStatus(Instance)!.Applied[AppliedActions.Infer].Output!;
        var predictions = PredictionFiles.Read(registry.Artifacts.Get(new ArtifactRef { Uri = uri, Sha256 = Path.GetFileNameWithoutExtension(uri) }), Path.Combine(_repo.Path, ".optaic", "tmp"));
        var instance = session.Specs.Instances[Instance].Value;
        var (start, end) = InferActivity.Window(instance);
        var rows = PreparedData.Load(session.Specs, instance, _repo.Path).ScoringRows(start, end).Frame;
        var features = registry.GetVersion(Instance, 1)!.Features;
        predictions.RowCount.ShouldBe(rows.RowCount);
        features.ShouldContain("wx_type");
        rows.Categories.ContainsKey("wx_type").ShouldBeTrue();

        // The first 60 rows and every row with hail (a category the model never saw) today or yesterday.
        var hail = Enumerable.Range(0, rows.RowCount).Where(r => Name(rows, "wx_type", r) == "hail" || Name(rows, "wx_prev", r) == "hail").ToList();
        hail.ShouldNotBeEmpty();
        var sample = Enumerable.Range(0, 60).Concat(hail).Distinct().Where(r => features.All(f => !double.IsNaN(rows.Numeric(f)[r]))).Order().ToList();

        await using var web = await Oip.Start(_repo.Path);
        using var http = Oip.Client(web);
        var (status, body) = await Oip.Post(http, Infer, Body(rows, features, sample, f => rows.Categories.ContainsKey(f) ? "BYTES" : "FP64"));

        status.ShouldBe(200, body.ToString());
        var published = predictions.Numeric("score");
        Oip.Scores(body).ShouldBe([.. sample.Select(r => published[r])]);
        var unseenToday = sample.Count(r => Name(rows, "wx_type", r) == "hail");
        var unseenYesterday = sample.Count(r => Name(rows, "wx_prev", r) == "hail");
        var counted = body.GetProperty("parameters").GetProperty("unseen_categories");
        counted.GetProperty("wx_type").GetInt64().ShouldBe(unseenToday);
        counted.GetProperty("wx_prev").GetInt64().ShouldBe(unseenYesterday);
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.ShouldContain($"optaic_serving_unseen_categories_total{{model=\"{Instance}\",feature=\"wx_type\"}} {unseenToday}");

        // Metadata says BYTES; numbers for a category, or one matrix input, are 400s naming the input.
        var (_, metadata) = await Oip.Get(http, $"/v2/models/{Instance}");
        metadata.GetProperty("inputs").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "wx_type").GetProperty("datatype").GetString().ShouldBe("BYTES");
        metadata.GetProperty("inputs").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "wind_3").GetProperty("datatype").GetString().ShouldBe("FP64");
        var (numeric, numericError) = await Oip.Post(http, Infer, Body(rows, features, [0], _ => "FP64"));
        numeric.ShouldBe(400);
        numericError.GetProperty("error").GetString()!.ShouldContain($"input '{features.First(rows.Categories.ContainsKey)}' is categorical: its datatype is BYTES");
        var matrix = $$"""{"inputs":[{"name":"x","datatype":"FP64","shape":[1,{{features.Count}}],"data":[{{string.Join(",", features.Select(_ => "0"))}}]}]}""";
        var (matrixStatus, matrixError) = await Oip.Post(http, Infer, matrix);
        matrixStatus.ShouldBe(400);
        matrixError.GetProperty("error").GetString()!.ShouldContain("has categorical features");
    }

    private static string? Name(Frame rows, string feature, int row)
    {
        var code = rows.Numeric(feature)[row];
        return double.IsNaN(code) ? null : rows.Categories[feature][(int)code];
    }

    /// <summary>One input per feature for <paramref name="sample"/>: category names for a BYTES categorical one, else numbers.</summary>
    private static string Body(Frame rows, IReadOnlyList<string> features, List<int> sample, Func<string, string> datatype)
    {
        var inputs = new JsonArray();
        foreach (var feature in features)
        {
            var type = datatype(feature);
            var categorical = rows.Categories.ContainsKey(feature) && type == "BYTES";
            inputs.Add(new JsonObject
            {
                ["name"] = feature,
                ["datatype"] = type,
                ["shape"] = new JsonArray(sample.Count),
                ["data"] = new JsonArray([.. sample.Select(r => categorical ? JsonValue.Create(Name(rows, feature, r)) : (JsonNode?)JsonValue.Create(rows.Numeric(feature)[r]))]),
            });
        }
        return new JsonObject { ["inputs"] = inputs }.ToJsonString();
    }

    /// <summary>Four years of days; temperature depends on the weather type; hail appears only in 2015.</summary>
    private static void WriteWeather(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(7);
        var text = new StringBuilder("date,temp_max,wind,weather\n");
        var day = new DateTime(2012, 1, 1);
        for (var i = 0; i < 4 * 365; i++, day = day.AddDays(1))
        {
            var type = day.Year == 2015 && i % 9 == 0 ? "hail" : Types[random.Next(Types.Length)];
            var temp = 15 + (Array.IndexOf(Types, type) * 2) + (random.NextDouble() * 4);
            text.Append(CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd},{temp:F2},{random.NextDouble() * 6:F2},{type}\n");
        }
        File.WriteAllText(path, text.ToString());
    }
}
