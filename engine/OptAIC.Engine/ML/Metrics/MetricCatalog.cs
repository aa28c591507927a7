using System.Globalization;

namespace OptAIC.Engine.ML.Metrics;

/// <summary>Whether a larger value of a metric is better (rank IC) or a smaller one (RMSE, turnover).</summary>
public enum MetricDirection
{
    HigherIsBetter,
    LowerIsBetter,
}

/// <summary>What a metric scores: a signal against its label (any model with one output), a regression's values, a classifier's probabilities.</summary>
public enum MetricFamily
{
    Signal,
    Regression,
    Classification,
}

/// <summary>
/// What a metric is computed from. <see cref="Signal"/> and <see cref="Target"/> are the signal view (a binary
/// classifier's probability p read as 2p - 1 and its label y as 2y - 1); <see cref="Predictions"/> and
/// <see cref="Labels"/> the raw values; <see cref="Probabilities"/> rows x <see cref="Classes"/> for a
/// classifier; times and entities make the periods of icir and the series of turnover.
/// </summary>
public readonly ref struct MetricInputs
{
    public ReadOnlySpan<double> Signal { get; init; }

    public ReadOnlySpan<double> Target { get; init; }

    public ReadOnlySpan<double> Predictions { get; init; }

    public ReadOnlySpan<double> Labels { get; init; }

    public ReadOnlySpan<double> Probabilities { get; init; }

    public int Classes { get; init; }

    public ReadOnlySpan<DateTime> Times { get; init; }

    public string[]? Entities { get; init; }
}

/// <summary>Computes a metric: one value under its own name, or several (recall gives recall_0 .. recall_(K-1)).</summary>
public delegate void MetricComputation(MetricInputs inputs, IDictionary<string, double> into);

/// <summary>One metric: its name, direction, family, whether it needs times (icir, turnover), and how it is computed.</summary>
public sealed record MetricDefinition(string Name, MetricFamily Family, MetricDirection Direction, bool NeedsTimes, string Description, MetricComputation Compute)
{
    public bool LowerIsBetter => Direction == MetricDirection.LowerIsBetter;
}

/// <summary>
/// The one table of metrics: what training computes and gates read, what promotion compares (in the metric's
/// direction), what lint checks names against, and what the JSON Schema's enum must list (a test holds them
/// equal). A new metric is one entry here.
/// </summary>
public static class MetricCatalog
{
    private static readonly MetricDefinition[] Table =
    [
        new("ic", MetricFamily.Signal, MetricDirection.HigherIsBetter, false, "Pearson correlation of the signal with its label",
            (x, into) => into["ic"] = SignalMetrics.Ic(x.Signal, x.Target)),
        new("rank_ic", MetricFamily.Signal, MetricDirection.HigherIsBetter, false, "Spearman rank correlation of the signal with its label",
            (x, into) => into["rank_ic"] = SignalMetrics.RankIc(x.Signal, x.Target)),
        new("icir", MetricFamily.Signal, MetricDirection.HigherIsBetter, true, "mean over the standard deviation of the per-period IC",
            (x, into) => into["icir"] = SignalMetrics.IcIr(x.Signal, x.Target, x.Times, x.Entities)),
        new("hit_rate", MetricFamily.Signal, MetricDirection.HigherIsBetter, false, "share of rows whose sign matches the label's",
            (x, into) => into["hit_rate"] = SignalMetrics.HitRate(x.Signal, x.Target)),
        new("turnover", MetricFamily.Signal, MetricDirection.LowerIsBetter, true, "mean absolute change of the signal from one period to the next",
            (x, into) => into["turnover"] = SignalMetrics.Turnover(x.Signal, x.Times, x.Entities)),
        new("rmse", MetricFamily.Regression, MetricDirection.LowerIsBetter, false, "root mean squared error",
            (x, into) => into["rmse"] = RegressionMetrics.Rmse(x.Predictions, x.Labels)),
        new("mae", MetricFamily.Regression, MetricDirection.LowerIsBetter, false, "mean absolute error",
            (x, into) => into["mae"] = RegressionMetrics.Mae(x.Predictions, x.Labels)),
        new("r2", MetricFamily.Regression, MetricDirection.HigherIsBetter, false, "coefficient of determination",
            (x, into) => into["r2"] = RegressionMetrics.R2(x.Predictions, x.Labels)),
        new("accuracy", MetricFamily.Classification, MetricDirection.HigherIsBetter, false, "share of rows whose most probable class is the label",
            (x, into) => into["accuracy"] = ClassificationMetrics.Accuracy(x.Labels, x.Probabilities, x.Classes)),
        new("macro_f1", MetricFamily.Classification, MetricDirection.HigherIsBetter, false, "F1 averaged over the classes",
            (x, into) => into["macro_f1"] = ClassificationMetrics.MacroF1(x.Labels, x.Probabilities, x.Classes)),
        new("log_loss", MetricFamily.Classification, MetricDirection.LowerIsBetter, false, "mean negative log probability of the label",
            (x, into) => into["log_loss"] = ClassificationMetrics.LogLoss(x.Labels, x.Probabilities, x.Classes)),
        new("recall", MetricFamily.Classification, MetricDirection.HigherIsBetter, false, "recall of each class, as recall_0 .. recall_(K-1)",
            (x, into) =>
            {
                var recall = ClassificationMetrics.Recall(x.Labels, x.Probabilities, x.Classes);
                for (var c = 0; c < recall.Length; c++)
                {
                    into["recall_" + c.ToString(CultureInfo.InvariantCulture)] = recall[c];
                }
            }),
    ];

    private static readonly Dictionary<string, MetricDefinition> ByName = Table.ToDictionary(m => m.Name, StringComparer.Ordinal);

    /// <summary>Every metric, in the table's order.</summary>
    public static IReadOnlyList<MetricDefinition> All => Table;

    /// <summary>Every metric's name, in the table's order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Table.Select(m => m.Name)];

    /// <summary>A metric by its canonical name, or by a value it computes (recall_2 is recall's); null when unknown.</summary>
    public static MetricDefinition? Find(string name) =>
        ByName.GetValueOrDefault(name) ?? (IsPerClass(name, out var family) ? ByName.GetValueOrDefault(family) : null);

    /// <summary>Whether a smaller value of the metric (or of a value it computes) is better; false for an unknown name.</summary>
    public static bool LowerIsBetter(string name) => Find(name)?.LowerIsBetter ?? false;

    /// <summary>The metrics of one family, in the table's order.</summary>
    public static IReadOnlyList<string> Family(MetricFamily family) => [.. Table.Where(m => m.Family == family).Select(m => m.Name)];

    private static bool IsPerClass(string name, out string family)
    {
        var cut = name.LastIndexOf('_');
        family = cut > 0 ? name[..cut] : "";
        return cut > 0 && cut < name.Length - 1 && name[(cut + 1)..].All(char.IsAsciiDigit);
    }
}
