using System.Globalization;
using OptAIC.Engine.ML.Metrics;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// The metrics to compute for a model, by canonical snake_case name (spellings such as "rankIc" or
/// "RANK-IC" are accepted and normalised):
/// signal metrics ic, rank_ic, icir, hit_rate, turnover (regression and binary tasks);
/// regression metrics rmse, mae, r2 (regression);
/// classification metrics accuracy, macro_f1, log_loss, recall (binary and multiclass; recall gives
/// one value per class, recall_0 .. recall_(K-1)).
/// For a binary task the signal metrics read the probability p as the signal 2p - 1 and the label y
/// as 2y - 1, so a signal in [-1, 1] is scored against the direction it calls.
/// </summary>
public sealed class MetricSet
{
    private static readonly IReadOnlyList<string> SignalNames = MetricCatalog.Family(MetricFamily.Signal);
    private static readonly IReadOnlyList<string> RegressionNames = MetricCatalog.Family(MetricFamily.Regression);
    private static readonly IReadOnlyList<string> ClassificationNames = MetricCatalog.Family(MetricFamily.Classification);

    private MetricSet(IReadOnlyList<string> names) => Names = names;

    /// <summary>Every metric name this set can hold (the <see cref="MetricCatalog"/>'s).</summary>
    public static IReadOnlyList<string> Known => MetricCatalog.Names;

    /// <summary>Canonical names, in the order given, without duplicates.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>
    /// The set of the given names; throws <see cref="ModelConfigurationException"/> naming an
    /// unknown metric and the known ones.
    /// </summary>
    public static MetricSet Parse(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var result = new List<string>();
        foreach (var name in names)
        {
            var canonical = Normalise(name);
            if (!Known.Contains(canonical))
            {
                throw new ModelConfigurationException($"metric '{name}' is not known; known metrics: {string.Join(", ", Known)}");
            }
            if (!result.Contains(canonical))
            {
                result.Add(canonical);
            }
        }
        return new MetricSet(result);
    }

    /// <summary>Every metric that applies to <paramref name="task"/>.</summary>
    public static MetricSet Default(ModelTask task) => task switch
    {
        ModelTask.Regression => new MetricSet([.. SignalNames, .. RegressionNames]),
        ModelTask.Binary => new MetricSet([.. ClassificationNames, .. SignalNames]),
        _ => new MetricSet(ClassificationNames),
    };

    /// <summary>
    /// The canonical spelling of a metric name: lower case, words joined by '_' ("rankIC", "rank-ic"
    /// and "rank_ic" are all "rank_ic"; "recall1" is "recall_1"). Unknown names come back squashed.
    /// </summary>
    public static string Normalise(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var squashed = new string([.. name.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
        foreach (var known in Known)
        {
            if (squashed == known.Replace("_", "", StringComparison.Ordinal))
            {
                return known;
            }
        }
        if (squashed.Length > 6 && squashed.StartsWith("recall", StringComparison.Ordinal) && squashed[6..].All(char.IsAsciiDigit))
        {
            return "recall_" + int.Parse(squashed[6..], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        }
        return squashed;
    }

    /// <summary>Throws <see cref="ModelConfigurationException"/> when a metric does not apply to <paramref name="task"/>.</summary>
    public void CheckFor(ModelTask task)
    {
        foreach (var name in Names)
        {
            var applies = task switch
            {
                ModelTask.Regression => !ClassificationNames.Contains(name),
                ModelTask.Binary => !RegressionNames.Contains(name),
                _ => ClassificationNames.Contains(name),
            };
            if (!applies)
            {
                throw new ModelConfigurationException(
                    $"metric '{name}' does not apply to a {task.ToString().ToLowerInvariant()} model; it can use: {string.Join(", ", Default(task).Names)}");
            }
        }
    }

    /// <summary>
    /// Computes the set on predictions (rows x width, as the model outputs them) against labels.
    /// Times and entities define periods for icir and series for turnover. Keys are sorted.
    /// </summary>
    public IReadOnlyDictionary<string, double> Compute(
        ModelTask task, int classCount, ReadOnlySpan<double> predictions, ReadOnlySpan<double> labels,
        ReadOnlySpan<DateTime> times, string[]? entities)
    {
        CheckFor(task);
        var width = task == ModelTask.Multiclass ? classCount : 1;
        if (predictions.Length != (long)labels.Length * width)
        {
            throw new ArgumentException($"{predictions.Length} predictions do not make {labels.Length} rows of {width}");
        }
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var signal = predictions;
        var target = labels;
        if (task == ModelTask.Binary)
        {
            var s = new double[labels.Length];
            var y = new double[labels.Length];
            for (var i = 0; i < s.Length; i++)
            {
                s[i] = 2 * predictions[i] - 1;
                y[i] = 2 * labels[i] - 1;
            }
            signal = s;
            target = y;
        }
        ReadOnlySpan<double> probabilities = default;
        var classes = Math.Max(classCount, 2);
        if (task != ModelTask.Regression)
        {
            probabilities = task == ModelTask.Binary ? TwoColumns(predictions) : predictions;
        }
        var inputs = new MetricInputs
        {
            Signal = signal,
            Target = target,
            Predictions = predictions,
            Labels = labels,
            Probabilities = probabilities,
            Classes = classes,
            Times = times,
            Entities = entities,
        };
        foreach (var name in Names)
        {
            MetricCatalog.Find(name)!.Compute(inputs, result);
        }
        return result;
    }

    /// <summary>
    /// A metric as a function of (predictions, labels) alone, higher being better (lower-is-better
    /// metrics are negated), for permutation importance. icir and turnover need times: not offered.
    /// </summary>
    public static Func<double[], double[], double> ScoreFunction(string metric, ModelTask task, int classCount)
    {
        var name = Normalise(metric);
        if (name is "icir" or "turnover" || name.StartsWith("recall", StringComparison.Ordinal) || !Known.Contains(name))
        {
            throw new ModelConfigurationException(
                $"metric '{metric}' cannot score feature importance; use one of ic, rank_ic, hit_rate, rmse, mae, r2, accuracy, macro_f1, log_loss");
        }
        var set = new MetricSet([name]);
        set.CheckFor(task);
        var sign = MetricCatalog.LowerIsBetter(name) ? -1 : 1;
        return (predictions, labels) =>
            sign * set.Compute(task, classCount, predictions, labels, new DateTime[labels.Length], null)[name];
    }

    private static double[] TwoColumns(ReadOnlySpan<double> probabilityOfOne)
    {
        var result = new double[probabilityOfOne.Length * 2];
        for (var i = 0; i < probabilityOfOne.Length; i++)
        {
            result[2 * i] = 1 - probabilityOfOne[i];
            result[2 * i + 1] = probabilityOfOne[i];
        }
        return result;
    }
}
