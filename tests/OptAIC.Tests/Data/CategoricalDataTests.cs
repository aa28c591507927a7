using System.Globalization;
using System.Text;
using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Cli;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

/// <summary>
/// A daily weather table whose weather type is text (rain, sun, fog, drizzle, snow; hail only after the
/// training window), used as a feature by LightGBM (its own categorical splits), SDCA and FastTree (one-hot),
/// and as the class label of a regime model, through the real command on a generated repository.
/// </summary>
public sealed class CategoricalDataTests : IDisposable
{
    private static readonly string[] Types = ["rain", "sun", "fog", "drizzle", "snow"];
    private readonly Support.TempFolder _repo = new("optaic-categorical");
    private readonly int _hailRows;

    public CategoricalDataTests()
    {
        _hailRows = WriteWeather(_repo.File("specs/data/weather.csv"));
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
                - { name: wet, expr: 'weather in ("rain", "drizzle", "snow")' }
                - { name: wind_3, expr: "rolling_mean(wind, 3)" }
              targets:
                - { name: fwd_temp, expr: "lead(temp_max, 1)" }
                - { name: next_weather, expr: "lead(weather, 1)" }
            """);
        foreach (var algorithm in new[] { "lightgbm", "sdca", "fasttree" })
        {
            Signal(algorithm);
        }
        _repo.Write("specs/definitions/sky.yaml", """
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: sky }
            spec:
              category: regime
              docs: { description: Tomorrow's weather type. }
              model:
                algorithm: lightgbm
                task: multiclass
                hyperparameters: { type: object, properties: { numberOfIterations: { type: integer, default: 20 } } }
              training: { validation: { scheme: purged-kfold, folds: 3 }, metrics: [accuracy] }
              inference: { transform: none }
              monitoring: { drift: { method: auto } }
              tests: { gates: [] }
            """);
        Instance("sky", "sky", "next_weather", "include: [wx_type, wind_3]");
        Repository.Init(_repo.Path);
        using var git = new Repository(_repo.Path);
        Commands.Stage(git, "*");
        var me = new Signature("test", "test@example.com", DateTimeOffset.UtcNow);
        git.Commit("weather", me, me);
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void Text_categories_train_score_and_monitor_with_every_trainer_and_unseen_ones_are_counted()
    {
        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null, "apply");

        exit.ShouldBe(0, output + error);
        (output + error).ShouldNotContain("internal error");
        output.ShouldContain($"{_hailRows:N0} rows with a wx_type category unseen in training");
        var session = ReconcileSession.Open(_repo.Path);
        foreach (var instance in new[] { "wx-lightgbm", "wx-sdca", "wx-fasttree" })
        {
            var version = session.Registry.GetVersion(instance, 1).ShouldNotBeNull(instance);
            var bundle = ModelBundle.FromBytes(session.Registry.Artifacts.Get(version.Artifact));
            var model = Engine.ML.Training.TrainedModel.FromBytes(bundle.Model);
            model.Categories["wx_type"].ShouldBe(["drizzle", "fog", "rain", "snow", "sun"], $"{instance}: the training rows' categories, in order");
            var infer = File.ReadAllText(RunFile(instance, "infer"));
            infer.ShouldContain("unseenCategories:");
            infer.ShouldContain($"wx_type: {_hailRows}");
            var monitor = File.ReadAllText(Directory.GetFiles(_repo.File($"models/{instance}/monitoring"))[0]);
            monitor.ShouldContain("column: wx_type");
            monitor.ShouldContain("kind: categorical");
        }
        var scores = Predictions(session, "wx-lightgbm").Numeric("score");
        scores.ShouldAllBe(s => double.IsFinite(s), "rows with hail score too");

        // The class label by name: classes from the training data, recorded in the version, named in the predictions.
        var sky = ModelBundle.FromBytes(session.Registry.Artifacts.Get(session.Registry.GetVersion("sky", 1)!.Artifact));
        sky.Classes.ShouldBe(["drizzle", "fog", "rain", "snow", "sun"]);
        var names = Predictions(session, "sky").Text("class_name");
        names.ShouldAllBe(n => n != null && sky.Classes.Contains(n));
    }

    [Fact]
    public void A_category_in_arithmetic_or_as_a_regression_target_is_a_clear_error()
    {
        _repo.Write("specs/features/bad.yaml", """
            apiVersion: optaic.io/v1
            kind: FeatureSet
            metadata: { name: bad }
            spec:
              source: weather
              features:
                - { name: wx_type, expr: "weather" }
                - { name: smooth, expr: "rolling_mean(weather, 3)" }
                - { name: twice, expr: "wx_type * 2" }
              targets:
                - { name: next_weather, expr: "lead(weather, 1)" }
            """);
        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null, "lint");

        exit.ShouldBe(1, output + error);
        output.ShouldContain("column 'weather' holds text");
        output.ShouldContain("'wx_type' is categorical (the categories of column 'weather')");
        (output + error).ShouldNotContain("internal error");
    }

    private string RunFile(string instance, string kind) =>
        Directory.GetFiles(_repo.File($"models/{instance}/runs"), $"{kind}-*.yaml").Single();

    private static Engine.Data.Frame Predictions(ReconcileSession session, string instance)
    {
        var uri = session.Registry.GetInstanceStatus(instance)!.Applied[AppliedActions.Infer].Output!;
        var bytes = session.Registry.Artifacts.Get(new ArtifactRef { Uri = uri, Sha256 = Path.GetFileNameWithoutExtension(uri) });
        return PredictionFiles.Read(bytes, Path.Combine(session.WorkFolder, "tmp"));
    }

    /// <summary>Four years of days; temperature depends on the weather type; hail appears only in 2015. Returns the hail days scored.</summary>
    private static int WriteWeather(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(7);
        var text = new StringBuilder("date,temp_max,wind,weather\n");
        var day = new DateTime(2012, 1, 1);
        var hail = 0;
        for (var i = 0; i < 4 * 365; i++, day = day.AddDays(1))
        {
            var type = day.Year == 2015 && i % 9 == 0 ? "hail" : Types[random.Next(Types.Length)];
            hail += type == "hail" ? 1 : 0; // each is scored: inference runs from 2014-07-05 to the end

            var temp = 15 + Array.IndexOf(Types, type) * 2 + random.NextDouble() * 4;
            text.Append(CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd},{temp:F2},{random.NextDouble() * 6:F2},{type}\n");
        }
        File.WriteAllText(path, text.ToString());
        return hail;
    }

    private void Signal(string algorithm)
    {
        var hyperparameters = algorithm switch
        {
            "sdca" => "l2Regularization: { type: number, default: 0.1 }",
            "fasttree" => "numberOfTrees: { type: integer, default: 30 }",
            _ => "numberOfIterations: { type: integer, default: 30 }",
        };
        _repo.Write($"specs/definitions/{algorithm}.yaml", $$"""
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: {{algorithm}} }
            spec:
              category: signal
              docs: { description: Tomorrow's temperature from today's weather type. }
              model:
                algorithm: {{algorithm}}
                task: regression
                hyperparameters: { type: object, properties: { {{hyperparameters}} } }
              training: { validation: { scheme: purged-kfold, folds: 3 }, metrics: [ic] }
              inference: { transform: tanh-zscore, bounds: [-1, 1] }
              monitoring: { drift: { method: auto } }
              tests: { gates: [] }
            """);
        Instance($"wx-{algorithm}", algorithm, "fwd_temp", "include: [wx_type, wx_prev, wet, wind_3]");
    }

    private void Instance(string name, string definition, string target, string features) =>
        _repo.Write($"specs/instances/{name}.yaml", $$"""
            apiVersion: optaic.io/v1
            kind: ModelInstance
            metadata: { name: {{name}} }
            spec:
              definition: {{definition}}
              features: { featureSet: wx, {{features}} }
              target: {{target}}
              training: { start: "2012-01-01", end: "2014-06-30" }
              inference: { start: "2014-07-05" }
              seed: 1
            """);
}
