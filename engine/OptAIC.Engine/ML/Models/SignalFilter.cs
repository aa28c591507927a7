using OptAIC.Engine.ML.Training;

namespace OptAIC.Engine.ML.Models;

/// <summary>The kinds of <see cref="SignalFilter"/>.</summary>
public enum FilterKind
{
    /// <summary>|s| below a threshold becomes 0.</summary>
    Threshold,

    /// <summary>Per date, only the k entities with the largest |s| keep their signal.</summary>
    TopK,

    /// <summary>The signal is zeroed in blocked regimes, or scaled by a multiplier per regime.</summary>
    RegimeGate,
}

/// <summary>
/// A stateless filter over a signal array. A NaN signal stays NaN in every kind (missing is not a
/// view of zero). Rows line up with the times and regime classes passed to <see cref="Apply"/>.
/// </summary>
public sealed class SignalFilter
{
    private readonly double _threshold;
    private readonly int _k;
    private readonly Dictionary<int, double>? _multipliers;
    private readonly HashSet<int>? _blocked;

    private SignalFilter(FilterKind kind, double threshold, int k, HashSet<int>? blocked, Dictionary<int, double>? multipliers)
    {
        Kind = kind;
        _threshold = threshold;
        _k = k;
        _blocked = blocked;
        _multipliers = multipliers;
    }

    public FilterKind Kind { get; }

    /// <summary>Sets s to 0 where |s| &lt; <paramref name="threshold"/>: small signals cost more to trade than they earn.</summary>
    public static SignalFilter Threshold(double threshold) =>
        double.IsFinite(threshold) && threshold >= 0
            ? new(FilterKind.Threshold, threshold, 0, null, null)
            : throw new ModelConfigurationException($"filter threshold must be a finite number >= 0, not {threshold}");

    /// <summary>
    /// Per date (rows with the same time), keeps the <paramref name="k"/> rows with the largest |s|
    /// and sets the others to 0; ties at the cut keep the earlier row.
    /// </summary>
    public static SignalFilter TopK(int k) =>
        k >= 1
            ? new(FilterKind.TopK, 0, k, null, null)
            : throw new ModelConfigurationException($"top-k filter needs k >= 1, not {k}");

    /// <summary>
    /// Sets s to 0 where the regime model's predicted class is in <paramref name="blockedClasses"/>
    /// or unknown (a negative class: no regime prediction means no position).
    /// </summary>
    public static SignalFilter RegimeGate(IEnumerable<int> blockedClasses) =>
        new(FilterKind.RegimeGate, 0, 0, [.. blockedClasses ?? throw new ArgumentNullException(nameof(blockedClasses))], null);

    /// <summary>
    /// Multiplies s by the multiplier of the row's predicted regime class (1 for a class not listed,
    /// 0 for an unknown regime), then clips to [-1, 1].
    /// </summary>
    public static SignalFilter RegimeScale(IReadOnlyDictionary<int, double> multipliers)
    {
        ArgumentNullException.ThrowIfNull(multipliers);
        foreach (var (regime, multiplier) in multipliers)
        {
            if (!double.IsFinite(multiplier) || multiplier < 0)
            {
                throw new ModelConfigurationException($"regime {regime} multiplier must be a finite number >= 0, not {multiplier}");
            }
        }
        return new(FilterKind.RegimeGate, 0, 0, null, new Dictionary<int, double>(multipliers));
    }

    /// <summary>
    /// The filtered signal. <paramref name="times"/> is needed by TopK; <paramref name="regimeClasses"/>
    /// (the regime model's predicted class per row, negative for unknown; see
    /// <c>ClassificationMetrics.PredictedClasses</c>) by RegimeGate.
    /// </summary>
    public double[] Apply(ReadOnlySpan<double> signal, ReadOnlySpan<DateTime> times = default, ReadOnlySpan<int> regimeClasses = default)
    {
        var result = signal.ToArray();
        switch (Kind)
        {
            case FilterKind.Threshold:
                for (var i = 0; i < result.Length; i++)
                {
                    if (Math.Abs(result[i]) < _threshold)
                    {
                        result[i] = 0;
                    }
                }
                break;
            case FilterKind.TopK:
                CheckLength("times", times.Length, result.Length);
                ApplyTopK(result, times);
                break;
            default:
                CheckLength("regime classes", regimeClasses.Length, result.Length);
                for (var i = 0; i < result.Length; i++)
                {
                    var regime = regimeClasses[i];
                    if (double.IsNaN(result[i]))
                    {
                        continue;
                    }
                    if (regime < 0)
                    {
                        result[i] = 0;
                    }
                    else if (_blocked is not null)
                    {
                        result[i] = _blocked.Contains(regime) ? 0 : result[i];
                    }
                    else
                    {
                        var multiplier = _multipliers!.TryGetValue(regime, out var m) ? m : 1;
                        result[i] = Math.Clamp(result[i] * multiplier, -1, 1);
                    }
                }
                break;
        }
        return result;
    }

    private void ApplyTopK(double[] result, ReadOnlySpan<DateTime> times)
    {
        var dates = new Dictionary<long, List<int>>();
        for (var i = 0; i < result.Length; i++)
        {
            if (double.IsNaN(result[i]))
            {
                continue;
            }
            if (!dates.TryGetValue(times[i].Ticks, out var rows))
            {
                dates[times[i].Ticks] = rows = [];
            }
            rows.Add(i);
        }
        foreach (var rows in dates.Values)
        {
            if (rows.Count <= _k)
            {
                continue;
            }
            // OrderBy is stable: equal |s| keep row order, so the earlier row wins the tie.
            foreach (var row in rows.OrderByDescending(r => Math.Abs(result[r])).Skip(_k).ToList())
            {
                result[row] = 0;
            }
        }
    }

    private static void CheckLength(string what, int length, int rows)
    {
        if (length != rows)
        {
            throw new TrainingDataException($"the filter needs {what} for each of the {rows} signal rows, but {length} were given");
        }
    }
}
