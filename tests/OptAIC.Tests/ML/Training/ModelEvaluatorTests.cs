using OptAIC.Engine.ML.Metrics;
using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

public class ModelEvaluatorTests
{
    /// <summary>Expanding-window walk-forward folds: train on everything before each test block.</summary>
    private static List<(int[] Train, int[] Test)> WalkForward(int start, int testSize, int folds) =>
        [.. Enumerable.Range(0, folds).Select(f => (
            Enumerable.Range(0, start + f * testSize).ToArray(),
            Enumerable.Range(start + f * testSize, testSize).ToArray()))];

    [Fact]
    public void Cross_validation_scores_each_fold_on_its_test_rows_and_aggregates_them()
    {
        var data = TrainingTestData.Synthetic(1600, ModelTask.Regression);
        var request = TrainingTestData.Request("lightgbm", ModelTask.Regression, data);
        var folds = WalkForward(700, 300, 3);

        var result = ModelEvaluator.CrossValidate(request, folds, MetricSet.Parse(["ic", "rmse", "icir"]));

        result.Folds.Count.ShouldBe(3);
        result.OutOfFoldPredictions.Take(700).ShouldAllBe(p => double.IsNaN(p));
        result.OutOfFoldPredictions.Skip(700).ShouldAllBe(p => double.IsFinite(p));
        var foldIcs = new double[3];
        for (var f = 0; f < 3; f++)
        {
            var test = folds[f].Test;
            var predicted = test.Select(i => result.OutOfFoldPredictions[i]).ToArray();
            var labels = test.Select(i => data.Labels[i]).ToArray();
            foldIcs[f] = SignalMetrics.Ic(predicted, labels);
            result.Folds[f].Metrics["ic"].ShouldBe(foldIcs[f], 1e-12);
            result.Folds[f].Metrics["rmse"].ShouldBe(RegressionMetrics.Rmse(predicted, labels), 1e-12);
            result.Folds[f].Metrics["icir"].ShouldBe(SignalMetrics.IcIr(predicted, labels, test.Select(i => data.Times[i]).ToArray(), null), 1e-12);
            foldIcs[f].ShouldBeGreaterThan(0.8);
        }
        var mean = foldIcs.Average();
        var std = Math.Sqrt(foldIcs.Sum(ic => (ic - mean) * (ic - mean)) / 2);
        result.Metrics["ic"].ShouldBe(mean, 1e-12);
        result.Metrics["icir"].ShouldBe(mean / std, 1e-9);
        result.Metrics.Keys.ShouldBe(["ic", "icir", "rmse"]);
    }

    [Fact]
    public void Results_do_not_depend_on_how_many_folds_run_at_once()
    {
        var data = TrainingTestData.Synthetic(1000, ModelTask.Regression);
        var request = TrainingTestData.Request("fasttree", ModelTask.Regression, data);
        var folds = WalkForward(400, 200, 3);

        var serial = ModelEvaluator.CrossValidate(request, folds, MetricSet.Default(ModelTask.Regression), maxParallelism: 1);
        var parallel = ModelEvaluator.CrossValidate(request, folds, MetricSet.Default(ModelTask.Regression), maxParallelism: 3);

        parallel.OutOfFoldPredictions.ShouldBe(serial.OutOfFoldPredictions);
        parallel.Metrics.ShouldBe(serial.Metrics);
    }

    [Fact]
    public void Binary_signal_metrics_read_the_probability_as_a_signal_in_minus_one_to_one()
    {
        var data = TrainingTestData.Synthetic(900, ModelTask.Binary);
        var request = TrainingTestData.Request("sdca", ModelTask.Binary, data);

        var result = ModelEvaluator.CrossValidate(request, WalkForward(500, 200, 2), MetricSet.Parse(["accuracy", "hit_rate", "log_loss"]));

        // sign(2p - 1) = sign(2y - 1) exactly when the more probable class is the label.
        foreach (var fold in result.Folds)
        {
            fold.Metrics["hit_rate"].ShouldBe(fold.Metrics["accuracy"], 1e-12);
            fold.Metrics["log_loss"].ShouldBeLessThan(Math.Log(2));
        }
    }

    [Fact]
    public void Multiclass_evaluation_reports_recall_per_class()
    {
        var data = TrainingTestData.Synthetic(900, ModelTask.Multiclass);
        var request = TrainingTestData.Request("sdca", ModelTask.Multiclass, data);

        var result = ModelEvaluator.CrossValidate(request, WalkForward(600, 300, 1), MetricSet.Default(ModelTask.Multiclass));

        result.Metrics.Keys.ShouldBe(["accuracy", "log_loss", "macro_f1", "recall_0", "recall_1", "recall_2"]);
        result.OutputWidth.ShouldBe(3);
        result.OutOfFoldPredictions.Length.ShouldBe(900 * 3);
        result.Metrics["macro_f1"].ShouldBeGreaterThan(0.6);
    }

    [Fact]
    public void A_fold_whose_train_and_test_rows_overlap_is_rejected()
    {
        var data = TrainingTestData.Synthetic(300, ModelTask.Regression);
        var request = TrainingTestData.Request("sdca", ModelTask.Regression, data);
        List<(int[], int[])> folds = [([.. Enumerable.Range(0, 200)], [.. Enumerable.Range(150, 100)])];

        Should.Throw<TrainingDataException>(() => ModelEvaluator.CrossValidate(request, folds, MetricSet.Parse(["ic"])))
            .Message.ShouldContain("fold 0 has row 150 (time 2010-05-31) in both its training and test rows");
    }

    [Fact]
    public void A_metric_that_does_not_fit_the_task_is_a_configuration_error()
    {
        var data = TrainingTestData.Synthetic(300, ModelTask.Regression);

        Should.Throw<ModelConfigurationException>(() => ModelEvaluator.CrossValidate(
                TrainingTestData.Request("sdca", ModelTask.Regression, data), WalkForward(200, 100, 1), MetricSet.Parse(["accuracy"])))
            .Message.ShouldContain("'accuracy' does not apply to a regression model");
    }

    [Fact]
    public void Train_and_evaluate_trains_the_final_model_on_the_whole_window_and_applies_the_gates()
    {
        var data = TrainingTestData.Synthetic(1000, ModelTask.Regression);
        var request = TrainingTestData.Request("lightgbm", ModelTask.Regression, data);
        GateSpec[] gates = [new("ic", ">=", 0.5), new("r2", ">", 0.999), new("sharpe", ">", 1)];

        var result = ModelEvaluator.TrainAndEvaluate(request, WalkForward(600, 200, 2), MetricSet.Parse(["ic", "r2"]), gates);
        using var alone = ModelTrainer.Train(request);

        result.Model.Predict(data).ShouldBe(alone.Predict(data));
        result.Gates.Select(g => g.Passed).ShouldBe([true, false, false]);
        result.Gates[2].Reason.ShouldContain("available metrics: ic, r2");
        result.Passed.ShouldBeFalse();
        result.Metrics.ShouldBeSameAs(result.Evaluation.Metrics);
    }

    [Fact]
    public void A_bad_gate_operator_fails_before_any_training()
    {
        var data = TrainingTestData.Synthetic(100, ModelTask.Regression);

        Should.Throw<ModelConfigurationException>(() => ModelEvaluator.TrainAndEvaluate(
                TrainingTestData.Request("lightgbm", ModelTask.Regression, data), WalkForward(60, 40, 1), MetricSet.Parse(["ic"]),
                [new GateSpec("ic", "=>", 0.1)]))
            .Message.ShouldContain("use one of >, >=, <, <=");
    }

    [Fact]
    public void Permutation_importance_ranks_the_features_that_carry_the_signal()
    {
        var data = TrainingTestData.Synthetic(1200, ModelTask.Regression);
        using var model = ModelTrainer.Train(TrainingTestData.Request("lightgbm", ModelTask.Regression, data.Select([.. Enumerable.Range(0, 800)])));
        var holdout = data.Select([.. Enumerable.Range(800, 400)]);
        var metric = MetricSet.ScoreFunction("rmse", ModelTask.Regression, 0);

        var importance = PermutationImportance.Compute(model, holdout, metric, repeats: 3, seed: 11);

        importance.Select(i => i.Feature).ShouldBe(TrainingTestData.Names);
        // The label is 0.8 f0 - 0.5 f1 + 0.3 f0 f2: f0 matters most, then f1, then f2; f3 is noise.
        importance[0].MeanDrop.ShouldBeGreaterThan(importance[1].MeanDrop);
        importance[1].MeanDrop.ShouldBeGreaterThan(importance[2].MeanDrop);
        importance[2].MeanDrop.ShouldBeGreaterThan(Math.Abs(importance[3].MeanDrop) * 3);
        Math.Abs(importance[3].MeanDrop).ShouldBeLessThan(0.02);
        importance.Sum(i => i.Relevance).ShouldBe(1, 1e-12);
        importance.ShouldAllBe(i => i.Relevance >= 0 && i.StdDrop >= 0);
    }

    [Fact]
    public void Permutation_importance_is_reproducible_whatever_the_parallelism()
    {
        var data = TrainingTestData.Synthetic(500, ModelTask.Binary);
        using var model = ModelTrainer.Train(TrainingTestData.Request("sdca", ModelTask.Binary, data));
        var metric = MetricSet.ScoreFunction("accuracy", ModelTask.Binary, 2);

        var serial = PermutationImportance.Compute(model, data, metric, repeats: 2, seed: 5, maxParallelism: 1);
        var parallel = PermutationImportance.Compute(model, data, metric, repeats: 2, seed: 5, maxParallelism: 4);
        var otherSeed = PermutationImportance.Compute(model, data, metric, repeats: 2, seed: 6, maxParallelism: 4);

        parallel.ShouldBe(serial);
        otherSeed.ShouldNotBe(serial);
    }

    [Fact]
    public void Score_functions_exist_only_for_row_wise_metrics()
    {
        Should.Throw<ModelConfigurationException>(() => MetricSet.ScoreFunction("icir", ModelTask.Regression, 0))
            .Message.ShouldContain("cannot score feature importance");
        MetricSet.ScoreFunction("log_loss", ModelTask.Binary, 2)([0.9, 0.2], [1, 0])
            .ShouldBe((Math.Log(0.9) + Math.Log(0.8)) / 2, 1e-12);
    }
}
