using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

/// <summary>A categorical feature through each trainer: learnt by category, kept by name, unseen ones scored.</summary>
public sealed class CategoryEncodingTests
{
    // The data's own categories (as a feature frame gives them): code c is Vocabulary[c].
    private static readonly string[] Vocabulary = ["a", "b", "c", "d", "e", "zz"];

    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fasttree")]
    [InlineData("sdca")]
    public void Each_category_gets_its_own_level_and_an_unseen_one_scores(string algorithm)
    {
        // The label is a step per category (not monotone in the code), plus a little of a numeric feature.
        double[] level = [3, -2, 5, 0, -4];
        var random = new Random(3);
        const int rows = 600;
        var features = new float[rows * 2];
        var labels = new double[rows];
        var times = new DateTime[rows];
        for (var r = 0; r < rows; r++)
        {
            var category = r % 5; // "zz" never occurs in training
            var x = random.NextDouble();
            features[r * 2] = category;
            features[(r * 2) + 1] = (float)x;
            labels[r] = level[category] + (0.1 * x);
            times[r] = new DateTime(2020, 1, 1).AddDays(r);
        }
        var data = new TrainingData(features, rows, ["kind", "x"], labels, times)
        {
            Categories = new Dictionary<string, string[]> { ["kind"] = Vocabulary },
        };
        var hyperparameters = algorithm switch
        {
            "sdca" => new Dictionary<string, object?> { ["l2Regularization"] = 0.0001, ["maximumNumberOfIterations"] = 200 },
            "fasttree" => new Dictionary<string, object?> { ["numberOfTrees"] = 100, ["minimumExampleCountPerLeaf"] = 5, ["numberOfLeaves"] = 8 },
            _ => new Dictionary<string, object?> { ["numberOfIterations"] = 100, ["minimumExampleCountPerLeaf"] = 5, ["numberOfLeaves"] = 8 },
        };

        using var model = ModelTrainer.Train(new TrainingRequest(algorithm, ModelTask.Regression, hyperparameters, 1, data));

        model.Categories["kind"].ShouldBe(["a", "b", "c", "d", "e"]);
        var predicted = model.Predict(data);
        for (var r = 0; r < 5; r++)
        {
            predicted[r].ShouldBe(labels[r], 0.5, $"{algorithm}: category {Vocabulary[r]}");
        }

        // The artifact keeps the categories by name: a frame whose codes differ scores the same.
        using var loaded = TrainedModel.FromBytes(model.ToBytes());
        string[] reordered = ["zz", "e", "d", "c", "b", "a"];
        var recoded = (float[])features.Clone();
        for (var r = 0; r < rows; r++)
        {
            recoded[r * 2] = Array.IndexOf(reordered, Vocabulary[(int)features[r * 2]]);
        }
        recoded[0] = 0; // "zz": a category the model never saw
        var other = data with { Features = recoded, Categories = new Dictionary<string, string[]> { ["kind"] = reordered } };
        var unseen = new Dictionary<string, long>();
        var inputs = loaded.Inputs(other, unseen);
        unseen.ShouldBe(new Dictionary<string, long> { ["kind"] = 1 });
        inputs[0].ShouldBe(-1f);
        var again = loaded.Predict(other);
        double.IsFinite(again[0]).ShouldBeTrue("an unseen category scores");
        for (var r = 1; r < rows; r++)
        {
            again[r].ShouldBe(predicted[r], 1e-5);
        }
    }

    [Fact]
    public void A_numeric_only_model_is_unchanged_and_has_no_categories()
    {
        var data = TrainingTestData.Synthetic(300, ModelTask.Regression);
        using var model = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Regression, data));
        model.Categories.ShouldBeEmpty();
        model.Inputs(data).ShouldBeSameAs(data.Features);
    }
}
