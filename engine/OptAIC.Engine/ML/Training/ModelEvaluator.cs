using System.Runtime.ExceptionServices;
using OptAIC.Engine.ML.Metrics;

namespace OptAIC.Engine.ML.Training;

/// <summary>The metrics of one validation fold, computed on its test rows.</summary>
public sealed record FoldResult(int Fold, int TrainRows, int TestRows, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Cross-validation results. <see cref="Metrics"/> is the mean over folds of each metric (NaN
/// folds skipped), except icir: see <see cref="ModelEvaluator.CrossValidate"/>.
/// <see cref="OutOfFoldPredictions"/> is rows x <see cref="OutputWidth"/>, NaN for rows that were
/// in no test fold.
/// </summary>
public sealed record EvaluationResult(
    IReadOnlyList<FoldResult> Folds,
    IReadOnlyDictionary<string, double> Metrics,
    double[] OutOfFoldPredictions,
    int OutputWidth);

/// <summary>
/// A training run's outcome: the model trained on the whole window, its cross-validated metrics
/// and its gates. A run that did not pass must not be registered.
/// </summary>
public sealed record TrainingResult(TrainedModel Model, EvaluationResult Evaluation, IReadOnlyList<GateResult> Gates)
{
    public IReadOnlyDictionary<string, double> Metrics => Evaluation.Metrics;

    public bool Passed => Gates.All(g => g.Passed);
}

/// <summary>Cross-validates a training request over index folds given by the data layer.</summary>
public static class ModelEvaluator
{
    /// <summary>
    /// Trains on each fold's training rows and scores its test rows (folds run in parallel, up to
    /// <paramref name="maxParallelism"/>, default the processor count; results do not depend on it).
    /// Per fold, icir is the per-period ICIR within the fold's test rows (per date for a panel,
    /// per calendar month for a single series). In the aggregate, icir is mean/std of the per-fold
    /// IC across folds when there are two folds or more, and the single fold's icir otherwise.
    /// A fold whose training and test rows overlap is rejected (it would leak labels).
    /// </summary>
    public static EvaluationResult CrossValidate(
        TrainingRequest request, IReadOnlyList<(int[] Train, int[] Test)> folds, MetricSet metrics, int maxParallelism = 0)
    {
        var (results, ics, oof, width) = RunFolds(request, folds, metrics, maxParallelism, trainFinal: false, out _);
        return new EvaluationResult(results, Aggregate(results, ics), oof, width);
    }

    /// <summary>
    /// <see cref="CrossValidate"/>, then the final model trained on the whole window (alongside the
    /// folds), then the gates evaluated on the aggregate metrics.
    /// </summary>
    public static TrainingResult TrainAndEvaluate(
        TrainingRequest request, IReadOnlyList<(int[] Train, int[] Test)> folds, MetricSet metrics, IEnumerable<GateSpec> gates,
        int maxParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(gates);
        var gateList = gates.ToList();
        // A bad gate operator should fail before minutes of training, not after.
        GateEvaluator.Evaluate(new Dictionary<string, double>(), gateList);
        var (results, ics, oof, width) = RunFolds(request, folds, metrics, maxParallelism, trainFinal: true, out var final);
        var evaluation = new EvaluationResult(results, Aggregate(results, ics), oof, width);
        return new TrainingResult(final!, evaluation, GateEvaluator.Evaluate(evaluation.Metrics, gateList));
    }

    private static (FoldResult[] Results, double[] Ics, double[] Oof, int Width) RunFolds(
        TrainingRequest request, IReadOnlyList<(int[] Train, int[] Test)> folds, MetricSet metrics, int maxParallelism,
        bool trainFinal, out TrainedModel? final)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentNullException.ThrowIfNull(metrics);
        var data = request.Data;
        data.Validate();
        metrics.CheckFor(request.Task);
        Hyperparameters.Parse(request.Algorithm, request.Hyperparameters);
        if (folds.Count == 0 && !trainFinal)
        {
            throw new TrainingDataException("no validation folds were given: cross-validation needs at least one");
        }
        for (var f = 0; f < folds.Count; f++)
        {
            CheckFold(data, f, folds[f]);
        }
        var classCount = ModelTrainer.ClassCountOf(request);
        var width = request.Task == ModelTask.Multiclass ? classCount : 1;
        var oof = new double[data.Rows * width];
        Array.Fill(oof, double.NaN);
        var results = new FoldResult[folds.Count];
        var predictions = new double[folds.Count][];
        var ics = new double[folds.Count];
        TrainedModel? finalModel = null;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        try
        {
            // Job folds.Count is the final model; the order of work does not change any result.
            Parallel.For(0, folds.Count + (trainFinal ? 1 : 0), options, job =>
            {
                if (job == folds.Count)
                {
                    finalModel = ModelTrainer.Train(request);
                    return;
                }
                var (train, test) = folds[job];
                using var model = ModelTrainer.Train(request, train);
                var testData = data.Select(test);
                var predicted = model.Predict(testData);
                predictions[job] = predicted;
                // The IC is invariant to the binary 2p - 1 mapping; multiclass has none.
                ics[job] = width == 1 ? SignalMetrics.Ic(predicted, testData.Labels) : double.NaN;
                results[job] = new FoldResult(job, train.Length, test.Length, metrics.Compute(
                    request.Task, classCount, predicted, testData.Labels, testData.Times, testData.Entities));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        // Written in fold order, so a row tested twice keeps its last fold's prediction.
        for (var f = 0; f < folds.Count; f++)
        {
            var test = folds[f].Test;
            for (var i = 0; i < test.Length; i++)
            {
                predictions[f].AsSpan(i * width, width).CopyTo(oof.AsSpan(test[i] * width, width));
            }
        }
        final = finalModel;
        return (results, ics, oof, width);
    }

    private static void CheckFold(TrainingData data, int fold, (int[] Train, int[] Test) indices)
    {
        if (indices.Train is null || indices.Test is null || indices.Train.Length == 0)
        {
            throw new TrainingDataException($"fold {fold} has no training rows: check the validation scheme and the training window");
        }
        var inTrain = new bool[data.Rows];
        foreach (var row in indices.Train)
        {
            if ((uint)row >= (uint)data.Rows)
            {
                throw new TrainingDataException($"fold {fold} has training row {row}, outside the data (0..{data.Rows - 1})");
            }
            inTrain[row] = true;
        }
        foreach (var row in indices.Test)
        {
            if ((uint)row >= (uint)data.Rows)
            {
                throw new TrainingDataException($"fold {fold} has test row {row}, outside the data (0..{data.Rows - 1})");
            }
            if (inTrain[row])
            {
                throw new TrainingDataException(
                    $"fold {fold} has row {row} (time {data.Times[row]:yyyy-MM-dd}) in both its training and test rows: that leaks the label");
            }
        }
    }

    private static SortedDictionary<string, double> Aggregate(FoldResult[] folds, double[] foldIcs)
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var name in folds.SelectMany(f => f.Metrics.Keys).Distinct())
        {
            double sum = 0;
            var n = 0;
            foreach (var fold in folds)
            {
                if (fold.Metrics.TryGetValue(name, out var v) && double.IsFinite(v))
                {
                    sum += v;
                    n++;
                }
            }
            result[name] = n == 0 ? double.NaN : sum / n;
        }
        if (result.ContainsKey("icir") && folds.Length >= 2)
        {
            result["icir"] = SignalMetrics.IcIr(foldIcs);
        }
        return result;
    }
}
