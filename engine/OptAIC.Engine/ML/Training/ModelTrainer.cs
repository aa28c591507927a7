using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// Trains ML.NET models (lightgbm, fasttree, sdca) for regression, binary and multiclass tasks,
/// reproducibly: the same request gives the same model bit for bit. Each training runs on one
/// thread (LightGBM deterministic and column-wise, FastTree and SDCA single-threaded), because a
/// thread count that varied with the machine would change the result; parallelism comes from
/// training folds and instances side by side instead.
/// </summary>
public static class ModelTrainer
{
    /// <summary>The most classes a multiclass model may have (a guard against a real-valued target).</summary>
    public const int MaximumClasses = 1000;

    /// <summary>Trains on every row of <see cref="TrainingRequest.Data"/> whose label is known.</summary>
    public static TrainedModel Train(TrainingRequest request) => Train(request, null);

    /// <summary>
    /// "Microsoft.ML 5.0.1; lightgbm": the library version and algorithm, for fingerprints (a new
    /// library version may change the model even with the same data and seed).
    /// </summary>
    public static string TrainerVersion(string algorithm)
    {
        Hyperparameters.RulesFor(algorithm);
        var assembly = algorithm switch
        {
            "lightgbm" => typeof(LightGbmRegressionTrainer).Assembly,
            "fasttree" => typeof(FastTreeRegressionTrainer).Assembly,
            _ => typeof(SdcaRegressionTrainer).Assembly,
        };
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return $"Microsoft.ML {(plus < 0 ? version : version[..plus])}; {algorithm}";
    }

    /// <summary>The number of classes of a multiclass request: ClassCount, else max(label) + 1.</summary>
    public static int ClassCountOf(TrainingRequest request)
    {
        switch (request.Task)
        {
            case ModelTask.Binary:
                return 2;
            case ModelTask.Regression:
                return 0;
        }
        if (request.ClassCount is { } k)
        {
            return k is >= 2 and <= MaximumClasses
                ? k
                : throw new ModelConfigurationException($"a multiclass model needs 2 to {MaximumClasses} classes, not {k}");
        }
        var max = -1.0;
        var at = -1;
        var labels = request.Data.Labels;
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] > max)
            {
                max = labels[i];
                at = i;
            }
        }
        if (max >= MaximumClasses)
        {
            throw new TrainingDataException(
                $"row {at} has label {max.ToString(CultureInfo.InvariantCulture)}; multiclass labels are class numbers 0..K-1 " +
                $"with K at most {MaximumClasses}: map the target onto class numbers");
        }
        return Math.Max(2, (int)max + 1);
    }

    /// <summary>Trains on the given rows (all rows when null); rows with a NaN label are skipped.</summary>
    internal static TrainedModel Train(TrainingRequest request, int[]? rows)
    {
        ArgumentNullException.ThrowIfNull(request);
        var data = request.Data ?? throw new TrainingDataException("the training request has no data");
        data.Validate();
        var parameters = Hyperparameters.Parse(request.Algorithm, request.Hyperparameters);
        var classCount = ClassCountOf(request);
        var trainRows = LabelledRows(data, rows, request.Task, classCount);

        var context = new MLContext(request.Seed);
        // Categorical features: the categories of the rows trained on (a fold's own), one-hot encoded.
        var encoding = CategoryEncoding.Learn(data, trainRows);
        ArrayDataView view;
        if (encoding is null)
        {
            view = ArrayDataView.ForTraining(data, trainRows, request.Task, classCount);
        }
        else
        {
            var expanded = new float[(long)data.Rows * encoding.Width];
            encoding.Expand(encoding.ToModelCodes(data, null), data.Rows, expanded);
            view = ArrayDataView.ForTraining(expanded, encoding.Width, data, trainRows, request.Task, classCount,
                request.Algorithm == "lightgbm" ? encoding.SlotRanges() : null);
        }
        var estimator = BuildEstimator(context, request.Algorithm, request.Task, parameters, request.Seed, encoding is not null);
        ITransformer transformer;
        try
        {
            transformer = estimator.Fit(view);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException)
        {
            throw new TrainingDataException(
                $"{request.Algorithm} {request.Task.ToString().ToLowerInvariant()} training failed on " +
                $"{trainRows?.Length ?? data.Rows} rows: {e.Message}", e);
        }
        return new TrainedModel(context, transformer, request.Algorithm, request.Task, data.FeatureNames, classCount,
            TrainerVersion(request.Algorithm), encoding);
    }

    // The rows to train on; null means all rows (no copy) when every label is present.
    private static int[]? LabelledRows(TrainingData data, int[]? rows, ModelTask task, int classCount)
    {
        var count = rows?.Length ?? data.Rows;
        var kept = new List<int>(count);
        var missing = 0;
        var positives = 0;
        for (var i = 0; i < count; i++)
        {
            var row = rows is null ? i : rows[i];
            if ((uint)row >= (uint)data.Rows)
            {
                throw new TrainingDataException($"row index {row} is outside the training data (0..{data.Rows - 1})");
            }
            var label = data.Labels[row];
            if (double.IsNaN(label))
            {
                missing++;
                continue;
            }
            CheckLabel(data, row, label, task, classCount);
            positives += label > 0 ? 1 : 0;
            kept.Add(row);
        }
        if (kept.Count == 0)
        {
            throw new TrainingDataException(
                $"no row to train on: all {count} rows have a missing (NaN) label; check the target and the training window");
        }
        if (task == ModelTask.Binary && (positives == 0 || positives == kept.Count))
        {
            throw new TrainingDataException(
                $"binary training needs labels of both classes, but all {kept.Count} labelled rows are {(positives == 0 ? 0 : 1)}");
        }
        return rows is null && missing == 0 ? null : [.. kept];
    }

    private static void CheckLabel(TrainingData data, int row, double label, ModelTask task, int classCount)
    {
        var bad = task switch
        {
            ModelTask.Binary => label is not (0 or 1) ? "a binary task needs labels 0 or 1" : null,
            ModelTask.Multiclass => label != Math.Floor(label) || label < 0 || label >= classCount
                ? $"a multiclass task with {classCount} classes needs labels 0..{classCount - 1}"
                : null,
            _ => double.IsInfinity(label) ? "a regression label must be finite" : null,
        };
        if (bad is not null)
        {
            var entity = data.Entities is null ? "" : $", entity '{data.Entities[row]}'";
            throw new TrainingDataException(
                $"row {row} (time {data.Times[row]:yyyy-MM-dd HH:mm:ss}{entity}) has label " +
                $"{label.ToString(CultureInfo.InvariantCulture)}; {bad}");
        }
    }

    private static IEstimator<ITransformer> BuildEstimator(
        MLContext context, string algorithm, ModelTask task, IReadOnlyDictionary<string, double> p, int seed, bool categorical)
    {
        switch (algorithm)
        {
            case "lightgbm":
                return task switch
                {
                    ModelTask.Regression => context.Regression.Trainers.LightGbm(
                        LightGbm(new LightGbmRegressionTrainer.Options(), p, seed, categorical)),
                    ModelTask.Binary => context.BinaryClassification.Trainers.LightGbm(
                        LightGbm(new LightGbmBinaryTrainer.Options(), p, seed, categorical)),
                    _ => context.MulticlassClassification.Trainers.LightGbm(
                        LightGbm(new LightGbmMulticlassTrainer.Options(), p, seed, categorical)),
                };
            case "fasttree":
                return task switch
                {
                    ModelTask.Regression => context.Regression.Trainers.FastTree(
                        FastTree(new FastTreeRegressionTrainer.Options(), p, seed)),
                    ModelTask.Binary => context.BinaryClassification.Trainers.FastTree(
                        FastTree(new FastTreeBinaryTrainer.Options(), p, seed)),
                    // FastTree has no multiclass trainer: one calibrated binary model per class.
                    _ => context.MulticlassClassification.Trainers.OneVersusAll(
                        context.BinaryClassification.Trainers.FastTree(FastTree(new FastTreeBinaryTrainer.Options(), p, seed)),
                        useProbabilities: true),
                };
            default:
                // A linear model needs comparable feature scales and no missing values:
                // mean-impute, then standardise, with statistics learnt on the training rows only.
                var prepare = context.Transforms.ReplaceMissingValues(
                        ArrayDataView.FeaturesColumn, replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean)
                    .Append(context.Transforms.NormalizeMeanVariance(ArrayDataView.FeaturesColumn));
                return task switch
                {
                    ModelTask.Regression => prepare.Append(context.Regression.Trainers.Sdca(
                        Sdca(new SdcaRegressionTrainer.Options(), p))),
                    ModelTask.Binary => prepare.Append(context.BinaryClassification.Trainers.SdcaLogisticRegression(
                        (SdcaLogisticRegressionBinaryTrainer.Options)Sdca(new SdcaLogisticRegressionBinaryTrainer.Options(), p))),
                    _ => prepare.Append(context.MulticlassClassification.Trainers.SdcaMaximumEntropy(
                        (SdcaMaximumEntropyMulticlassTrainer.Options)Sdca(new SdcaMaximumEntropyMulticlassTrainer.Options(), p))),
                };
        }
    }

    private static TOptions LightGbm<TOptions, TOutput, TTransformer, TModel>(
        LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase options,
        IReadOnlyDictionary<string, double> p,
        int seed,
        bool categorical)
        where TOptions : LightGbmTrainerBase<TOptions, TOutput, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        options.Seed = seed;
        options.Deterministic = true;
        options.ForceColumnWise = true;
        options.NumberOfThreads = 1;
        options.Silent = true;
        options.Verbose = false;
        if (categorical)
        {
            // Said explicitly: left unset, ML.NET turns categorical splits on only past 50,000 rows.
            options.UseCategoricalSplit = true;
        }
        if (p.TryGetValue("learningRate", out var v))
        {
            options.LearningRate = v;
        }
        if (p.TryGetValue("numberOfLeaves", out v))
        {
            options.NumberOfLeaves = (int)v;
        }
        if (p.TryGetValue("numberOfIterations", out v))
        {
            options.NumberOfIterations = (int)v;
        }
        if (p.TryGetValue("minimumExampleCountPerLeaf", out v))
        {
            options.MinimumExampleCountPerLeaf = (int)v;
        }
        if (p.TryGetValue("maximumBinCountPerFeature", out v))
        {
            options.MaximumBinCountPerFeature = (int)v;
        }
        var booster = new GradientBooster.Options();
        if (p.TryGetValue("l1Regularization", out v))
        {
            booster.L1Regularization = v;
        }
        if (p.TryGetValue("l2Regularization", out v))
        {
            booster.L2Regularization = v;
        }
        if (p.TryGetValue("featureFraction", out v))
        {
            booster.FeatureFraction = v;
        }
        if (p.TryGetValue("baggingFraction", out v))
        {
            booster.SubsampleFraction = v;
            // LightGBM bags only when the frequency is positive: a fraction alone means "every iteration".
            booster.SubsampleFrequency = v < 1 ? 1 : 0;
        }
        if (p.TryGetValue("baggingFrequency", out v))
        {
            booster.SubsampleFrequency = (int)v;
        }
        if (p.TryGetValue("maximumTreeDepth", out v))
        {
            booster.MaximumTreeDepth = (int)v;
        }
        if (p.TryGetValue("minimumSplitGain", out v))
        {
            booster.MinimumSplitGain = v;
        }
        if (p.TryGetValue("minimumChildWeight", out v))
        {
            booster.MinimumChildWeight = v;
        }
        options.Booster = booster;
        return (TOptions)options;
    }

    private static TOptions FastTree<TOptions>(TOptions options, IReadOnlyDictionary<string, double> p, int seed)
        where TOptions : BoostedTreeOptions
    {
        options.Seed = seed;
        options.FeatureSelectionSeed = seed;
        options.NumberOfThreads = 1;
        if (p.TryGetValue("learningRate", out var v))
        {
            options.LearningRate = v;
        }
        if (p.TryGetValue("numberOfLeaves", out v))
        {
            options.NumberOfLeaves = (int)v;
        }
        if (p.TryGetValue("numberOfTrees", out v) || p.TryGetValue("numberOfIterations", out v))
        {
            options.NumberOfTrees = (int)v;
        }
        if (p.TryGetValue("minimumExampleCountPerLeaf", out v))
        {
            options.MinimumExampleCountPerLeaf = (int)v;
        }
        if (p.TryGetValue("maximumBinCountPerFeature", out v))
        {
            options.MaximumBinCountPerFeature = (int)v;
        }
        if (p.TryGetValue("featureFraction", out v))
        {
            options.FeatureFraction = v;
        }
        if (p.TryGetValue("baggingFraction", out v))
        {
            options.BaggingExampleFraction = v;
            // FastTree bags only when a bag size is set: a fraction alone means a new bag per tree.
            options.BaggingSize = v < 1 ? 1 : 0;
        }
        if (p.TryGetValue("baggingSize", out v))
        {
            options.BaggingSize = (int)v;
        }
        return options;
    }

    private static TOptions Sdca<TOptions, TTransformer, TModel>(
        SdcaTrainerBase<TOptions, TTransformer, TModel>.OptionsBase options, IReadOnlyDictionary<string, double> p)
        where TOptions : SdcaTrainerBase<TOptions, TTransformer, TModel>.OptionsBase, new()
        where TTransformer : ISingleFeaturePredictionTransformer<TModel>
        where TModel : class
    {
        // SDCA with several threads updates shared weights racily; one thread makes it reproducible.
        options.NumberOfThreads = 1;
        if (p.TryGetValue("l1Regularization", out var v))
        {
            options.L1Regularization = (float)v;
        }
        if (p.TryGetValue("l2Regularization", out v))
        {
            options.L2Regularization = (float)v;
        }
        if (p.TryGetValue("maximumNumberOfIterations", out v))
        {
            options.MaximumNumberOfIterations = (int)v;
        }
        if (p.TryGetValue("convergenceTolerance", out v))
        {
            options.ConvergenceTolerance = (float)v;
        }
        if (p.TryGetValue("biasLearningRate", out v))
        {
            options.BiasLearningRate = (float)v;
        }
        return (TOptions)options;
    }
}
