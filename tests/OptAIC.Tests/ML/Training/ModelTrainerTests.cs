using OptAIC.Engine.ML.Metrics;
using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

public class ModelTrainerTests
{
    private static readonly int[] TrainRows = [.. Enumerable.Range(0, 1500)];
    private static readonly int[] TestRows = [.. Enumerable.Range(1500, 500)];

    [Theory]
    [InlineData("lightgbm", ModelTask.Regression)]
    [InlineData("lightgbm", ModelTask.Binary)]
    [InlineData("lightgbm", ModelTask.Multiclass)]
    [InlineData("fasttree", ModelTask.Regression)]
    [InlineData("fasttree", ModelTask.Binary)]
    [InlineData("fasttree", ModelTask.Multiclass)]
    [InlineData("sdca", ModelTask.Regression)]
    [InlineData("sdca", ModelTask.Binary)]
    [InlineData("sdca", ModelTask.Multiclass)]
    public void Every_algorithm_learns_every_task_and_survives_a_save_and_load(string algorithm, ModelTask task)
    {
        var all = TrainingTestData.Synthetic(2000, task);
        var train = all.Select(TrainRows);
        var test = all.Select(TestRows);

        using var model = ModelTrainer.Train(TrainingTestData.Request(algorithm, task, train));
        var predicted = model.Predict(test);

        model.OutputWidth.ShouldBe(task == ModelTask.Multiclass ? 3 : 1);
        predicted.Length.ShouldBe(test.Rows * model.OutputWidth);
        switch (task)
        {
            case ModelTask.Regression:
                SignalMetrics.Ic(predicted, test.Labels).ShouldBeGreaterThan(0.8);
                break;
            case ModelTask.Binary:
                predicted.ShouldAllBe(p => p >= 0 && p <= 1);
                ClassificationMetrics.Accuracy(test.Labels, [.. predicted.SelectMany(p => new[] { 1 - p, p })], 2).ShouldBeGreaterThan(0.8);
                break;
            default:
                predicted.Chunk(3).ShouldAllBe(row => Math.Abs(row.Sum() - 1) < 1e-4);
                ClassificationMetrics.Accuracy(test.Labels, predicted, 3).ShouldBeGreaterThan(0.7);
                break;
        }
        using var loaded = TrainedModel.FromBytes(model.ToBytes());
        loaded.Predict(test).ShouldBe(predicted);
        loaded.Task.ShouldBe(task);
        loaded.FeatureNames.ShouldBe(TrainingTestData.Names);
        loaded.Sha256.ShouldBe(model.Sha256);
        loaded.TrainerVersion.ShouldBe(model.TrainerVersion);
    }

    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fasttree")]
    [InlineData("sdca")]
    public void The_same_request_trains_the_same_model_bit_for_bit(string algorithm)
    {
        var data = TrainingTestData.Synthetic(1500, ModelTask.Regression);
        var request = TrainingTestData.Request(algorithm, ModelTask.Regression, data, hyperparameters: Bagged(algorithm));

        using var first = ModelTrainer.Train(request);
        using var second = ModelTrainer.Train(request);

        second.Predict(data).ShouldBe(first.Predict(data));
        second.Sha256.ShouldBe(first.Sha256);
    }

    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fasttree")]
    public void Bagged_trees_differ_with_another_seed(string algorithm)
    {
        var data = TrainingTestData.Synthetic(1500, ModelTask.Regression);

        using var first = ModelTrainer.Train(TrainingTestData.Request(algorithm, ModelTask.Regression, data, seed: 1, Bagged(algorithm)));
        using var second = ModelTrainer.Train(TrainingTestData.Request(algorithm, ModelTask.Regression, data, seed: 2, Bagged(algorithm)));

        second.Predict(data).ShouldNotBe(first.Predict(data));
        second.Sha256.ShouldNotBe(first.Sha256);
    }

    [Fact]
    public void Scoring_through_the_batch_interface_matches_predict_and_is_thread_safe()
    {
        var data = TrainingTestData.Synthetic(1000, ModelTask.Multiclass);
        using var model = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Multiclass, data));
        var expected = model.Predict(data);

        var outputs = new float[4][];
        Parallel.For(0, 4, i =>
        {
            outputs[i] = new float[data.Rows * 3];
            model.Score(data.Features, data.Rows, outputs[i]);
        });

        foreach (var output in outputs)
        {
            output.Select(v => (double)v).ToArray().ShouldBe(expected);
        }
    }

    [Theory]
    [InlineData(ModelTask.Regression)]
    [InlineData(ModelTask.Multiclass)]
    public void A_large_batch_scores_the_same_as_small_batches(ModelTask task)
    {
        var data = TrainingTestData.Synthetic(6000, task);
        using var model = ModelTrainer.Train(TrainingTestData.Request("sdca", task, data.Select([.. Enumerable.Range(0, 500)])));
        var width = model.OutputWidth;

        var whole = new float[data.Rows * width];
        model.Score(data.Features, data.Rows, whole);
        var pieces = new float[data.Rows * width];
        for (var start = 0; start < data.Rows; start += 250)
        {
            model.Score(data.Features.AsSpan(start * 4, 250 * 4), 250, pieces.AsSpan(start * width, 250 * width));
        }

        whole.ShouldBe(pieces);
        whole.ShouldAllBe(v => float.IsFinite(v));
    }

    [Fact]
    public void Rows_with_a_missing_label_are_left_out_of_training()
    {
        var data = TrainingTestData.Synthetic(600, ModelTask.Regression);
        var withGaps = data with { Labels = [.. data.Labels.Select((y, i) => i % 10 == 0 ? double.NaN : y)] };
        var kept = Enumerable.Range(0, data.Rows).Where(i => i % 10 != 0).ToArray();

        using var skipping = ModelTrainer.Train(TrainingTestData.Request("fasttree", ModelTask.Regression, withGaps));
        using var explicitRows = ModelTrainer.Train(TrainingTestData.Request("fasttree", ModelTask.Regression, data.Select(kept)));

        skipping.Predict(data).ShouldBe(explicitRows.Predict(data));
    }

    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fasttree")]
    [InlineData("sdca")]
    public void Missing_feature_values_are_handled_by_every_algorithm(string algorithm)
    {
        var data = TrainingTestData.Synthetic(600, ModelTask.Regression);
        var features = (float[])data.Features.Clone();
        for (var i = 0; i < features.Length; i += 7)
        {
            features[i] = float.NaN;
        }
        var gappy = data with { Features = features };

        using var model = ModelTrainer.Train(TrainingTestData.Request(algorithm, ModelTask.Regression, gappy));
        var predicted = model.Predict(gappy);

        predicted.ShouldAllBe(p => double.IsFinite(p));
        SignalMetrics.Ic(predicted, data.Labels).ShouldBeGreaterThan(0.5);
    }

    [Fact]
    public void A_real_valued_target_given_to_a_multiclass_model_is_explained()
    {
        var data = TrainingTestData.Synthetic(100, ModelTask.Regression);
        data.Labels[5] = 12345.5;

        Should.Throw<TrainingDataException>(() => ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Multiclass, data)))
            .Message.ShouldContain("row 5 has label 12345.5; multiclass labels are class numbers 0..K-1");
    }

    [Fact]
    public void A_multiclass_model_keeps_all_classes_when_training_rows_lack_one()
    {
        var data = TrainingTestData.Synthetic(800, ModelTask.Multiclass);
        var withoutTopClass = data.Select([.. Enumerable.Range(0, data.Rows).Where(i => data.Labels[i] != 2)]);

        using var model = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Multiclass, withoutTopClass) with { ClassCount = 3 });

        model.OutputWidth.ShouldBe(3);
        model.Predict(data).Chunk(3).ShouldAllBe(row => row[2] < 0.01);
    }

    [Fact]
    public void Unknown_hyperparameter_names_the_accepted_ones()
    {
        var data = TrainingTestData.Synthetic(100, ModelTask.Regression);
        var request = TrainingTestData.Request("lightgbm", ModelTask.Regression, data,
            hyperparameters: new Dictionary<string, object?> { ["learningRatee"] = 0.1 });

        var error = Should.Throw<ModelConfigurationException>(() => ModelTrainer.Train(request));

        error.Message.ShouldContain("'learningRatee'");
        error.Message.ShouldContain("learningRate, numberOfLeaves, numberOfIterations");
    }

    [Fact]
    public void Sdca_rejects_tree_hyperparameters()
    {
        var error = Should.Throw<ModelConfigurationException>(() =>
            Hyperparameters.Parse("sdca", new Dictionary<string, object?> { ["numberOfLeaves"] = 31 }));

        error.Message.ShouldContain("not accepted by algorithm 'sdca'");
        error.Message.ShouldContain("maximumNumberOfIterations");
    }

    [Theory]
    [InlineData("learningRate", -0.1, "must be > 0")]
    [InlineData("numberOfLeaves", 1, "must be >= 2")]
    [InlineData("numberOfLeaves", 7.5, "whole number")]
    [InlineData("featureFraction", 1.5, "<= 1")]
    [InlineData("numberOfIterations", "many", "must be a number")]
    public void Invalid_hyperparameter_values_say_what_is_expected(string name, object value, string expected)
    {
        var error = Should.Throw<ModelConfigurationException>(() =>
            Hyperparameters.Parse("lightgbm", new Dictionary<string, object?> { [name] = value }));

        error.Message.ShouldContain(name);
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void Hyperparameters_accept_numeric_strings_and_json_numbers_and_skip_nulls()
    {
        var parsed = Hyperparameters.Parse("lightgbm", new Dictionary<string, object?>
        {
            ["learningRate"] = "0.05",
            ["numberOfLeaves"] = System.Text.Json.JsonDocument.Parse("15").RootElement,
            ["numberOfIterations"] = null,
        });

        parsed.ShouldBe(new Dictionary<string, double> { ["learningRate"] = 0.05, ["numberOfLeaves"] = 15 });
    }

    [Fact]
    public void An_unknown_algorithm_lists_the_supported_ones()
    {
        var data = TrainingTestData.Synthetic(100, ModelTask.Regression);

        Should.Throw<ModelConfigurationException>(() => ModelTrainer.Train(TrainingTestData.Request("xgboost", ModelTask.Regression, data)))
            .Message.ShouldContain("use one of lightgbm, fasttree, sdca");
    }

    [Fact]
    public void A_binary_label_other_than_0_or_1_names_its_row()
    {
        var data = TrainingTestData.Synthetic(100, ModelTask.Binary);
        data.Labels[42] = 0.5;

        var error = Should.Throw<TrainingDataException>(() => ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Binary, data)));

        error.Message.ShouldContain("row 42");
        error.Message.ShouldContain("2010-02-12");
        error.Message.ShouldContain("labels 0 or 1");
    }

    [Fact]
    public void Data_whose_shapes_disagree_is_rejected_before_training()
    {
        var data = TrainingTestData.Synthetic(100, ModelTask.Regression) with { Labels = new double[99] };

        Should.Throw<TrainingDataException>(() => ModelTrainer.Train(TrainingTestData.Request("sdca", ModelTask.Regression, data)))
            .Message.ShouldContain("99 labels but 100 rows");
    }

    [Fact]
    public void Scoring_data_with_other_features_is_rejected()
    {
        var data = TrainingTestData.Synthetic(200, ModelTask.Regression);
        using var model = ModelTrainer.Train(TrainingTestData.Request("sdca", ModelTask.Regression, data));

        Should.Throw<TrainingDataException>(() => model.Predict(data with { FeatureNames = ["f0", "f1", "f3", "f2"] }))
            .Message.ShouldContain("trained on [f0, f1, f2, f3]");
    }

    [Fact]
    public void A_corrupt_artifact_is_reported_as_such()
    {
        var data = TrainingTestData.Synthetic(200, ModelTask.Regression);
        using var model = ModelTrainer.Train(TrainingTestData.Request("sdca", ModelTask.Regression, data));
        var bytes = model.ToBytes();

        Should.Throw<ModelArtifactException>(() => TrainedModel.FromBytes([.. "PARQUET1"u8.ToArray(), .. bytes[8..]]));
        Should.Throw<ModelArtifactException>(() => TrainedModel.FromBytes(bytes[..(bytes.Length / 2)]));
    }

    [Fact]
    public void Trainer_version_names_the_library_version_and_algorithm()
    {
        ModelTrainer.TrainerVersion("lightgbm").ShouldMatch(@"^Microsoft\.ML \d+\.\d+\.\d+.*; lightgbm$");
    }

    [Fact]
    public void Trains_on_the_real_sp500_file_with_the_unknown_last_label_left_out()
    {
        var data = TrainingTestData.Sp500();
        var direction = data with { Labels = [.. data.Labels.Select(y => double.IsNaN(y) ? double.NaN : y > 0 ? 1 : 0)] };
        double.IsNaN(direction.Labels[^1]).ShouldBeTrue();

        using var model = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Binary, direction));
        var probability = model.Predict(direction);

        // A calibrated model of daily direction predicts close to the share of up days.
        var upShare = direction.Labels.Where(double.IsFinite).Average();
        probability.Average().ShouldBe(upShare, 0.05);
        probability.Distinct().Count().ShouldBeGreaterThan(10);
    }

    private static Dictionary<string, object?> Bagged(string algorithm) => algorithm switch
    {
        "lightgbm" => new() { ["numberOfIterations"] = 20, ["numberOfLeaves"] = 8, ["baggingFraction"] = 0.7, ["featureFraction"] = 0.75 },
        "fasttree" => new() { ["numberOfTrees"] = 20, ["numberOfLeaves"] = 8, ["baggingFraction"] = 0.7, ["featureFraction"] = 0.75 },
        _ => new() { ["maximumNumberOfIterations"] = 10 },
    };
}
