using Newtonsoft.Json.Linq;
using OptAIC.Engine.ML;
using OptAIC.Engine.ML.Metrics;
using OptAIC.Engine.ML.Training;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Specs;

/// <summary>
/// One place for each piece of knowledge: the JSON Schema's lists of metrics and algorithms are the engine's
/// tables (<see cref="MetricCatalog"/>, <see cref="Algorithms"/>), and what training, promotion and lint read
/// comes from those tables.
/// </summary>
public class OneTableTests
{
    private static JObject DefinitionSchema() =>
        JObject.Parse(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "schemas", "modeldefinition.schema.json")));

    [Fact]
    public void The_schema_lists_exactly_the_metrics_of_the_catalog()
    {
        var listed = DefinitionSchema().SelectTokens("$..training.properties.metrics.items.enum[*]").Select(t => (string)t!).ToList();

        listed.ShouldBe(MetricCatalog.Names);
        MetricSet.Known.ShouldBe(MetricCatalog.Names);
    }

    [Fact]
    public void The_schema_lists_exactly_the_algorithms_of_the_table()
    {
        var listed = DefinitionSchema().SelectTokens("$..model.properties.algorithm.enum[*]").Select(t => (string)t!).ToList();

        listed.ShouldBe(Algorithms.Names);
        Hyperparameters.Algorithms.ShouldBe(["lightgbm", "fasttree", "sdca"]);
        Algorithms.ForCategory("signal").ShouldBe(["lightgbm", "fasttree", "sdca", "onnx"]);
    }

    [Theory]
    [InlineData("rank_ic", false)]
    [InlineData("turnover", true)]
    [InlineData("rmse", true)]
    [InlineData("log_loss", true)]
    [InlineData("recall_2", false)]
    [InlineData("accuracy", false)]
    public void Each_metric_has_one_direction_that_promotion_and_importance_read(string metric, bool lowerIsBetter)
    {
        MetricCatalog.LowerIsBetter(metric).ShouldBe(lowerIsBetter);
        // Permutation importance negates lower-is-better metrics so that a larger score is always better.
        if (!metric.StartsWith("recall", StringComparison.Ordinal) && metric is not "turnover")
        {
            var score = MetricSet.ScoreFunction(metric, metric is "log_loss" or "accuracy" ? ModelTask.Binary : ModelTask.Regression, 2);
            var labels = new[] { 0.0, 1, 0, 1, 1, 0 };
            var good = score([0.1, 0.9, 0.2, 0.8, 0.7, 0.3], labels);
            var bad = score([0.9, 0.1, 0.8, 0.2, 0.3, 0.7], labels);
            good.ShouldBeGreaterThan(bad, $"{metric}: the better predictions must score higher");
        }
    }
}
