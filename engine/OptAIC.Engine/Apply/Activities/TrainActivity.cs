using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.ML.Metrics;
using OptAIC.Engine.ML.Models;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;
using TrainingHyperparameters = OptAIC.Engine.Specs.Hyperparameters;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>The outputs of a model's scoring run, as later runs read them: time, entity, score (and class for a regime model).</summary>
public delegate Frame PredictionSource(string instance);

/// <summary>What a training run produced: the bundle to register (when its gates passed), metrics, gates, and what it read.</summary>
public sealed record TrainingOutcome(
    ModelBundle Bundle,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<GateResult> Gates,
    DateTime WindowStart,
    DateTime WindowEnd,
    int Rows,
    int DroppedRows,
    int PurgedRows,
    IReadOnlyDictionary<string, object?> Hyperparameters)
{
    public bool Passed => Gates.All(g => g.Passed);
}

/// <summary>
/// Trains one instance as its definition says: learners (signal, regime, relevance) are
/// cross-validated by the validation scheme, gated, and fitted on the whole purged window; combiners fit
/// weights on their inputs' out-of-sample outputs; filters are evaluated on theirs.
/// </summary>
public sealed class TrainActivity : IRunActivity
{
    public string Name => RunActivityNames.Train;

    public System.Threading.Tasks.Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken) => System.Threading.Tasks.Task.Run(() =>
    {
        var phases = new List<RunPhase>();
        // Reading the data and computing the features is its own phase (the run then finds them computed).
        context.Measure(phases, "load", () => PreparedData.Load(context.Specs, context.Specs.Instances[context.Request.Instance].Value, context.Workspace.RepositoryRoot, context.Workspace.Features));
        var outcome = context.Measure(phases, "train", () =>
            Run(context.Specs, context.Request.Instance, context.Workspace.RepositoryRoot, context.Predictions, cancellationToken, context.Workspace.Features, context.Stage));
        return TrainingResults.From(context, outcome, Registry.RunKind.Training, phases);
    }, cancellationToken);

    /// <param name="stage">Told what the run is doing now (loading data, cross-validating ...), for live progress.</param>
    public static TrainingOutcome Run(SpecSet specs, string instanceName, string repositoryRoot, PredictionSource predictions, CancellationToken ct, FeatureFrameCache? features = null, Action<string>? stage = null)
    {
        var instance = specs.Instances[instanceName].Value;
        var definition = specs.Definitions[instance.Definition].Value;
        var start = Date(instance.Training.Start) ?? DateTime.MinValue;
        var end = Date(instance.Training.End);
        var hyperparameters = TrainingHyperparameters.ToClr(TrainingHyperparameters.Resolve(definition, instance));
        var gates = definition.Tests.Gates.Select(g => new GateSpec(g.Metric, g.Op, g.Threshold)).ToList();
        stage?.Invoke("loading data and computing features");
        var data = PreparedData.Load(specs, instance, repositoryRoot, features);
        var (rows, dropped, purged) = data.TrainingRows(start, end);
        if (rows.RowCount < 50)
        {
            throw new JobException($"the training window {instance.Training.Start}..{instance.Training.End ?? "latest"} has {rows.RowCount} complete rows ({dropped} dropped for missing values, {purged} purged at the end); it needs at least 50");
        }
        ct.ThrowIfCancellationRequested();
        var bundle = new ModelBundle
        {
            Category = definition.Category,
            Algorithm = definition.Model.Algorithm,
            Task = TaskName(definition),
            Features = [.. data.Features],
            Classes = definition.Model.Classes ?? [],
            Inputs = [.. instance.Inputs],
            Regime = instance.Regime,
        };
        var window = (rows.Time[0], rows.Time[^1]);
        stage?.Invoke(definition.Category is "combining" or "filtering"
            ? $"fitting on {rows.RowCount:N0} rows of its inputs' outputs"
            : $"training {definition.Model.Algorithm} on {rows.RowCount:N0} rows ({definition.Training.Validation.Scheme} validation, then the final fit)");
        return definition.Category switch
        {
            "combining" => Combine(definition, instance, data, rows, bundle, predictions, gates, window, dropped, purged, hyperparameters),
            "filtering" => Filter(definition, instance, data, rows, bundle, predictions, gates, window, dropped, purged, hyperparameters),
            _ => Learn(definition, instance, data, rows, bundle, gates, window, dropped, purged, hyperparameters),
        };
    }

    private static TrainingOutcome Learn(
        ModelDefinitionSpec definition, ModelInstanceSpec instance, PreparedData data, Frame rows, ModelBundle bundle,
        List<GateSpec> gates, (DateTime, DateTime) window, int dropped, int purged, IReadOnlyDictionary<string, object?> hyperparameters)
    {
        var task = Task(definition);
        var trainingData = data.ToTrainingData(rows);
        var classCount = definition.Model.Classes?.Count;
        if (data.Target is { } target && rows.Categories.TryGetValue(target, out var categories))
        {
            (trainingData, var classes) = ClassLabels.FromCategories(trainingData, categories, definition.Model.Classes, task, target);
            (bundle.Classes, classCount) = ([.. classes], classes.Length);
        }
        var request = new TrainingRequest(definition.Model.Algorithm, task, hyperparameters, instance.Seed, trainingData, classCount);
        var metrics = definition.Training.Metrics.Count > 0 ? MetricSet.Parse(definition.Training.Metrics) : MetricSet.Default(task);
        var folds = Folds(definition.Training.Validation, rows, data.Horizon);
        var result = ModelEvaluator.TrainAndEvaluate(request, folds, metrics, gates);
        var allMetrics = new SortedDictionary<string, double>(result.Metrics.ToDictionary(), StringComparer.Ordinal);

        if (definition.Category == "relevance")
        {
            var score = MetricSet.ScoreFunction(metrics.Names.Count > 0 ? metrics.Names[0] : "rank_ic", task, result.Model.ClassCount);
            foreach (var importance in PermutationImportance.Compute(result.Model, trainingData, score, repeats: 3, seed: instance.Seed))
            {
                allMetrics[$"relevance.{importance.Feature}"] = importance.Relevance;
            }
        }

        // The transform's statistics come from out-of-fold predictions: what the model says out of sample.
        var oof = result.Evaluation.OutOfFoldPredictions;
        var reference = task == ModelTask.Multiclass ? [] : oof.Where(double.IsFinite).ToArray();
        if (reference.Length < 20)
        {
            reference = result.Model.Predict(trainingData);
        }
        SetPredictionStatistics(bundle, reference);
        bundle.Model = result.Model.ToBytes();
        return new TrainingOutcome(bundle, allMetrics, result.Gates, window.Item1, window.Item2, rows.RowCount, dropped, purged, hyperparameters);
    }

    private static TrainingOutcome Combine(
        ModelDefinitionSpec definition, ModelInstanceSpec instance, PreparedData data, Frame rows, ModelBundle bundle, PredictionSource predictions,
        List<GateSpec> gates, (DateTime, DateTime) window, int dropped, int purged, IReadOnlyDictionary<string, object?> hyperparameters)
    {
        var signals = instance.Inputs.Select(input => Align(rows, predictions(input), "score", input)).ToArray();
        var label = rows.Numeric(data.Target!);
        var lambda = hyperparameters.TryGetValue("lambda", out var l) && l is not null ? Convert.ToDouble(l, System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        var combiner = definition.Model.Algorithm switch
        {
            "ridge" => SignalCombiner.Ridge(lambda),
            "ic-weighted" => SignalCombiner.IcWeighted(),
            _ => SignalCombiner.Equal(),
        };

        // Out of sample: weights fitted on earlier folds score the later ones (walk-forward).
        var folds = new WalkForwardSplitter(Math.Max(2, definition.Training.Validation.Folds ?? 3), labelHorizon: data.Horizon, embargo: data.Horizon).Split(rows);
        var outOfSample = new double[rows.RowCount];
        Array.Fill(outOfSample, double.NaN);
        foreach (var fold in folds)
        {
            var model = combiner.Fit([.. signals.Select(s => Pick(s, fold.Train))], Pick(label, fold.Train));
            var scored = model.Combine([.. signals.Select(s => Pick(s, fold.Test))]);
            for (var i = 0; i < fold.Test.Length; i++)
            {
                outOfSample[fold.Test[i]] = scored[i];
            }
        }
        var final = combiner.Fit(signals, label);
        var metrics = SignalMetricsOf(definition, outOfSample, label, rows);
        foreach (var (input, weight) in instance.Inputs.Zip(final.Weights))
        {
            metrics[$"weight.{input}"] = weight;
        }
        bundle.Model = final.ToBytes();
        SetPredictionStatistics(bundle, outOfSample.Where(double.IsFinite).ToArray());
        return new TrainingOutcome(bundle, metrics, GateEvaluator.Evaluate(metrics, gates), window.Item1, window.Item2, rows.RowCount, dropped, purged, hyperparameters);
    }

    private static TrainingOutcome Filter(
        ModelDefinitionSpec definition, ModelInstanceSpec instance, PreparedData data, Frame rows, ModelBundle bundle, PredictionSource predictions,
        List<GateSpec> gates, (DateTime, DateTime) window, int dropped, int purged, IReadOnlyDictionary<string, object?> hyperparameters)
    {
        var signal = Align(rows, predictions(instance.Inputs[0]), "score", instance.Inputs[0]);
        var regime = instance.Regime is null ? null : Align(rows, predictions(instance.Regime), "class", instance.Regime);
        var filtered = FilterFor(definition, instance, regimeClasses: null).Apply(signal, rows.Time, regime is null ? default : Classes(regime));
        var label = rows.Numeric(data.Target!);
        var metrics = SignalMetricsOf(definition, filtered, label, rows);
        metrics["share_active"] = filtered.Count(v => double.IsFinite(v) && v != 0) / (double)Math.Max(1, filtered.Count(double.IsFinite));
        return new TrainingOutcome(bundle, metrics, GateEvaluator.Evaluate(metrics, gates), window.Item1, window.Item2, rows.RowCount, dropped, purged, hyperparameters);
    }

    /// <summary>The filter a definition declares; regime classes are matched by name against the regime model's classes.</summary>
    public static SignalFilter FilterFor(ModelDefinitionSpec definition, ModelInstanceSpec instance, IReadOnlyList<string>? regimeClasses) =>
        definition.Model.Algorithm switch
        {
            "threshold" => SignalFilter.Threshold(definition.Inference.Threshold ?? 0),
            "top-k" => SignalFilter.TopK(definition.Inference.TopK ?? 1),
            _ => SignalFilter.RegimeGate([.. BlockedClassIndexes(definition, instance, regimeClasses)]),
        };

    internal static IEnumerable<int> BlockedClassIndexes(ModelDefinitionSpec definition, ModelInstanceSpec instance, IReadOnlyList<string>? regimeClasses)
    {
        _ = instance;
        var blocked = definition.Inference.BlockedRegimes ?? [];
        foreach (var name in blocked)
        {
            var index = regimeClasses?.ToList().IndexOf(name) ?? -1;
            if (index >= 0)
            {
                yield return index;
            }
            else if (int.TryParse(name, System.Globalization.CultureInfo.InvariantCulture, out var numeric))
            {
                yield return numeric;
            }
        }
    }

    internal static int[] Classes(double[] values) => [.. values.Select(v => double.IsFinite(v) ? (int)v : -1)];

    /// <summary>A combiner's or filter's metrics: the signal metrics of the catalog it asks for (default: ic, rank_ic, hit_rate, turnover).</summary>
    private static SortedDictionary<string, double> SignalMetricsOf(ModelDefinitionSpec definition, double[] signal, double[] label, Frame rows)
    {
        var names = definition.Training.Metrics.Count > 0 ? definition.Training.Metrics : ["ic", "rank_ic", "hit_rate", "turnover"];
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var inputs = new MetricInputs { Signal = signal, Target = label, Predictions = signal, Labels = label, Times = rows.Time, Entities = rows.Entity };
        foreach (var name in names)
        {
            if (MetricCatalog.Find(MetricSet.Normalise(name)) is { Family: MetricFamily.Signal } metric)
            {
                metric.Compute(inputs, metrics);
            }
        }
        return metrics;
    }

    /// <summary>An input's prediction column aligned onto <paramref name="rows"/> by time (and entity): NaN where the input has no output.</summary>
    internal static double[] Align(Frame rows, Frame input, string column, string inputName)
    {
        if (!input.HasColumn(column))
        {
            throw new JobException($"input {inputName} has no '{column}' output; it must be a {(column == "class" ? "regime" : "signal")} model");
        }
        var values = input.Numeric(column);
        var index = new Dictionary<(DateTime, string?), int>(input.RowCount);
        for (var i = 0; i < input.RowCount; i++)
        {
            index[(input.Time[i], input.Entity?[i])] = i;
        }
        var aligned = new double[rows.RowCount];
        var found = 0;
        for (var i = 0; i < rows.RowCount; i++)
        {
            if (index.TryGetValue((rows.Time[i], rows.Entity?[i]), out var at))
            {
                aligned[i] = values[at];
                found++;
            }
            else
            {
                aligned[i] = double.NaN;
            }
        }
        if (found == 0)
        {
            throw new JobException($"input {inputName} has no output in this window ({rows.Time[0]:yyyy-MM-dd}..{rows.Time[^1]:yyyy-MM-dd}); its inference window must cover it");
        }
        return aligned;
    }

    private static IReadOnlyList<(int[] Train, int[] Test)> Folds(ValidationSpec validation, Frame rows, int horizon)
    {
        var folds = validation.Folds ?? 5;
        var embargo = validation.Embargo ?? horizon;
        IReadOnlyList<Fold> split = validation.Scheme switch
        {
            "purged-kfold" => new PurgedKFoldSplitter(folds, labelHorizon: horizon, embargo: embargo).Split(rows),
            "walk-forward" => new WalkForwardSplitter(folds, validation.Window == "rolling" ? TrainWindow.Rolling : TrainWindow.Expanding, labelHorizon: horizon, embargo: embargo).Split(rows),
            _ => [],
        };
        return [.. split.Select(f => (f.Train, f.Test))];
    }

    internal static void SetPredictionStatistics(ModelBundle bundle, double[] predictions)
    {
        var finite = predictions.Where(double.IsFinite).ToArray();
        if (finite.Length > 1)
        {
            bundle.Transform = TransformState.Fit(finite);
        }
    }

    private static double[] Pick(double[] values, int[] rows) => [.. rows.Select(r => values[r])];

    public static ModelTask Task(ModelDefinitionSpec definition) => TaskName(definition) switch
    {
        "binary" => ModelTask.Binary,
        "multiclass" => ModelTask.Multiclass,
        _ => ModelTask.Regression,
    };

    internal static string TaskName(ModelDefinitionSpec definition) =>
        definition.Model.Task ?? (definition.Category == "regime" ? "multiclass" : "regression");

    public static DateTime? Date(string? text) => Schedules.ParseDate(text);
}
