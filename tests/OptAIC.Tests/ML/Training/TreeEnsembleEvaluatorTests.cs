using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

/// <summary>
/// The direct evaluation of a regression tree ensemble gives, bit for bit, the scores of ML.NET's own transform: on
/// real and synthetic data, row by row and in batches, after the artifact round trip, with categorical splits, and
/// with missing values (which ML.NET scores).
/// </summary>
public sealed class TreeEnsembleEvaluatorTests
{
    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fasttree")]
    public void Direct_scores_equal_MLNet_scores_bit_for_bit(string algorithm)
    {
        foreach (var data in new[] { TrainingTestData.Sp500(), TrainingTestData.Synthetic(3000, ModelTask.Regression) })
        {
            using var trained = ModelTrainer.Train(TrainingTestData.Request(algorithm, ModelTask.Regression, data, hyperparameters: Bigger(algorithm)));
            using var model = TrainedModel.FromBytes(trained.ToBytes());
            model.EvaluatesTreesDirectly.ShouldBeTrue();
            // The training rows, and rows far outside them (every branch both ways).
            var random = new Random(11);
            var extra = new float[500 * data.Width];
            for (var i = 0; i < extra.Length; i++)
            {
                extra[i] = (float)(TrainingTestData.Normal(random) * (i % 3 == 0 ? 100 : 1));
            }
            foreach (var (features, rows) in new[] { (data.Features, data.Rows), (extra, 500) })
            {
                var direct = new float[rows];
                var mlnet = new float[rows];
                model.Score(features, rows, direct);
                model.ScoreThroughMlNet(features, rows, mlnet);
                Bits(direct).ShouldBe(Bits(mlnet), $"{algorithm}: a batch of {rows}");
                var one = new float[1];
                for (var r = 0; r < Math.Min(rows, 200); r++)
                {
                    model.Score(features.AsSpan(r * data.Width, data.Width), 1, one);
                    BitConverter.SingleToInt32Bits(one[0]).ShouldBe(BitConverter.SingleToInt32Bits(mlnet[r]), $"{algorithm}: row {r} alone");
                }
            }
        }
    }

    [Fact]
    public void Categorical_splits_score_as_MLNet_does_including_an_unseen_category()
    {
        var random = new Random(5);
        const int rows = 2000;
        var features = new float[rows * 2];
        var labels = new double[rows];
        double[] level = [3, -2, 5, 0, -4, 1, 2, -1];
        for (var r = 0; r < rows; r++)
        {
            var category = random.Next(level.Length);
            var x = random.NextDouble();
            features[r * 2] = category;
            features[(r * 2) + 1] = (float)x;
            labels[r] = level[category] + x;
        }
        var data = new TrainingData(features, rows, ["kind", "x"], labels, [.. Enumerable.Range(0, rows).Select(i => new DateTime(2020, 1, 1).AddDays(i))])
        {
            Categories = new Dictionary<string, string[]> { ["kind"] = ["a", "b", "c", "d", "e", "f", "g", "h"] },
        };
        using var trained = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Regression, data,
            hyperparameters: new Dictionary<string, object?> { ["numberOfIterations"] = 60, ["minimumExampleCountPerLeaf"] = 5, ["numberOfLeaves"] = 8 }));
        using var model = TrainedModel.FromBytes(trained.ToBytes());
        model.EvaluatesTreesDirectly.ShouldBeTrue();
        var inputs = model.Inputs(data);
        inputs[0] = -1; // a category the model never saw
        var direct = new float[rows];
        var mlnet = new float[rows];
        model.Score(inputs, rows, direct);
        model.ScoreThroughMlNet(inputs, rows, mlnet);
        Bits(direct).ShouldBe(Bits(mlnet));
    }

    [Fact]
    public void A_batch_with_a_missing_value_is_scored_by_MLNet()
    {
        var data = TrainingTestData.Synthetic(1000, ModelTask.Regression);
        using var model = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Regression, data));
        var features = (float[])data.Features.Clone();
        features[5] = float.NaN;
        var scored = new float[data.Rows];
        var mlnet = new float[data.Rows];
        model.Score(features, data.Rows, scored);
        model.ScoreThroughMlNet(features, data.Rows, mlnet);
        Bits(scored).ShouldBe(Bits(mlnet));
    }

    [Theory]
    [InlineData("sdca", ModelTask.Regression)]
    [InlineData("lightgbm", ModelTask.Binary)]
    [InlineData("lightgbm", ModelTask.Multiclass)]
    public void Other_models_are_scored_by_MLNet(string algorithm, ModelTask task)
    {
        var data = TrainingTestData.Synthetic(400, task);
        using var model = ModelTrainer.Train(TrainingTestData.Request(algorithm, task, data));
        model.EvaluatesTreesDirectly.ShouldBeFalse();
    }

    private static Dictionary<string, object?> Bigger(string algorithm) => algorithm == "lightgbm"
        ? new Dictionary<string, object?> { ["numberOfIterations"] = 200, ["numberOfLeaves"] = 15, ["minimumExampleCountPerLeaf"] = 20 }
        : new Dictionary<string, object?> { ["numberOfTrees"] = 100, ["numberOfLeaves"] = 15 };

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
