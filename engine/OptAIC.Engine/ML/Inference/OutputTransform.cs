using System.Globalization;

namespace OptAIC.Engine.ML.Inference;

public enum OutputTransformKind
{
    None,
    TanhZScore,
    Rank,
    Clip,
    SoftmaxArgmax,
    Argmax,
}

/// <summary>
/// Maps a model's raw output to the score a model definition publishes. Text forms (as written in a
/// definition's <c>inference.outputTransform</c>):
/// <list type="bullet">
/// <item><c>none</c>: the raw score s.</item>
/// <item><c>tanh-zscore</c>: tanh((s - mean) / std), with mean and (sample, n-1) std of the model's
/// predictions on its TRAINING data (<see cref="TransformState"/>, stored with the model). Never the
/// scored batch's own statistics: those would use the future of each row.</item>
/// <item><c>rank</c>: for a panel (rows with an entity), the cross-sectional rank of s among the rows of
/// the same date mapped to [-1, 1]: 2 (r - 1) / (n - 1) - 1 with r the 1-based rank (ties get the average
/// rank) of n finite scores; 0 when a date has one score. For a single series: the position of s in the
/// empirical distribution of the training predictions, 2 F(s) - 1 with F(s) = (#{t &lt; s} + #{t = s} / 2) / N
/// (over <see cref="TransformState.Quantiles"/>).</item>
/// <item><c>clip(lo, hi)</c>: min(max(s, lo), hi).</item>
/// <item><c>softmax-argmax</c>: multiclass; the K outputs are logits: p_k = exp(z_k - max z) / sum_j exp(z_j - max z),
/// class = argmax_k p_k (the first one on ties).</item>
/// <item><c>argmax</c> (chosen by the engine for classifiers, not written in specs): multiclass; the K outputs are already probabilities (ML.NET classifiers, an ONNX
/// classifier's probabilities or ZipMap): published as they are, class = argmax_k p_k (the first one on ties).</item>
/// </list>
/// NaN scores stay NaN under every transform.
/// </summary>
public sealed record OutputTransform
{
    private OutputTransform(OutputTransformKind kind, double low = double.NaN, double high = double.NaN)
    {
        Kind = kind;
        Low = low;
        High = high;
    }

    public OutputTransformKind Kind { get; }

    /// <summary>Lower bound of <c>clip</c>; NaN otherwise.</summary>
    public double Low { get; }

    /// <summary>Upper bound of <c>clip</c>; NaN otherwise.</summary>
    public double High { get; }

    public static OutputTransform None { get; } = new(OutputTransformKind.None);

    public static OutputTransform TanhZScore { get; } = new(OutputTransformKind.TanhZScore);

    public static OutputTransform Rank { get; } = new(OutputTransformKind.Rank);

    public static OutputTransform SoftmaxArgmax { get; } = new(OutputTransformKind.SoftmaxArgmax);

    public static OutputTransform Argmax { get; } = new(OutputTransformKind.Argmax);

    public static OutputTransform Clip(double low, double high)
    {
        if (!(low < high) || double.IsNaN(low) || double.IsNaN(high))
        {
            throw new OutputTransformException($"clip({low}, {high}): the lower bound must be below the upper bound");
        }
        return new OutputTransform(OutputTransformKind.Clip, low, high);
    }

    /// <summary>True when the model outputs K class values (logits or probabilities) instead of one score.</summary>
    public bool IsMulticlass => Kind is OutputTransformKind.SoftmaxArgmax or OutputTransformKind.Argmax;

    /// <summary>Parses the text form; the error names the text and the accepted forms.</summary>
    public static OutputTransform Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        switch (t.ToLowerInvariant())
        {
            case "none":
                return None;
            case "tanh-zscore":
                return TanhZScore;
            case "rank":
                return Rank;
            case "softmax-argmax":
                return SoftmaxArgmax;
        }
        if (t.StartsWith("clip(", StringComparison.OrdinalIgnoreCase) && t.EndsWith(')'))
        {
            var parts = t[5..^1].Split(',');
            if (parts.Length == 2
                && double.TryParse(parts[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
                && double.TryParse(parts[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var high))
            {
                return Clip(low, high);
            }
            throw new OutputTransformException($"output transform '{text}': clip takes two numbers, e.g. clip(-1, 1)");
        }
        throw new OutputTransformException(
            $"unknown output transform '{text}'; use none, tanh-zscore, rank, clip(lo, hi) or softmax-argmax");
    }

    public override string ToString() => Kind switch
    {
        OutputTransformKind.None => "none",
        OutputTransformKind.TanhZScore => "tanh-zscore",
        OutputTransformKind.Rank => "rank",
        OutputTransformKind.Clip => string.Create(CultureInfo.InvariantCulture, $"clip({Low}, {High})"),
        OutputTransformKind.Argmax => "argmax",
        _ => "softmax-argmax",
    };

    /// <summary>Throws when this transform needs training statistics that are not given.</summary>
    public void CheckState(TransformState? state, bool panel)
    {
        var needs = Kind == OutputTransformKind.TanhZScore || (Kind == OutputTransformKind.Rank && !panel);
        if (!needs)
        {
            return;
        }
        if (state is null || state.Count == 0)
        {
            throw new OutputTransformException(
                $"output transform '{this}' needs the statistics of the model's training predictions (TransformState), " +
                "stored with the model version; none were given");
        }
        if (Kind == OutputTransformKind.TanhZScore && !(state.Std > 0))
        {
            throw new OutputTransformException(
                $"output transform 'tanh-zscore': the training predictions have standard deviation {state.Std}; " +
                "a constant model cannot be z-scored (use none or clip)");
        }
    }

    /// <summary>
    /// Transforms single scores in place. <paramref name="time"/> (one per score) groups a panel's rows by
    /// date for <c>rank</c>; pass <paramref name="panel"/> = false for a single series.
    /// </summary>
    public void Apply(Span<double> scores, ReadOnlySpan<DateTime> time, bool panel, TransformState? state)
    {
        if (IsMulticlass)
        {
            throw new InvalidOperationException("softmax-argmax transforms class outputs: use ApplyMulticlass");
        }
        CheckState(state, panel);
        switch (Kind)
        {
            case OutputTransformKind.TanhZScore:
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = Math.Tanh((scores[i] - state!.Mean) / state.Std);
                }
                break;
            case OutputTransformKind.Clip:
                for (var i = 0; i < scores.Length; i++)
                {
                    // Math.Clamp keeps NaN as NaN.
                    scores[i] = Math.Clamp(scores[i], Low, High);
                }
                break;
            case OutputTransformKind.Rank when panel:
                CrossSectionalRank(scores, time);
                break;
            case OutputTransformKind.Rank:
                for (var i = 0; i < scores.Length; i++)
                {
                    scores[i] = state!.EmpiricalPosition(scores[i]);
                }
                break;
        }
    }

    /// <summary>
    /// A multiclass transform: <paramref name="raw"/> is row-major rows x K (logits for softmax-argmax,
    /// probabilities for argmax); writes each row's K probabilities and its class (-1 when a value is not finite).
    /// </summary>
    public void Classify(ReadOnlySpan<float> raw, int rows, int classes, Span<double> probabilities, Span<int> predicted)
    {
        if (Kind == OutputTransformKind.SoftmaxArgmax)
        {
            ApplyMulticlass(raw, rows, classes, probabilities, predicted);
            return;
        }
        if (Kind != OutputTransformKind.Argmax)
        {
            throw new InvalidOperationException($"{this} does not classify");
        }
        for (var r = 0; r < rows; r++)
        {
            var z = raw.Slice(r * classes, classes);
            var p = probabilities.Slice(r * classes, classes);
            var best = 0;
            var bad = false;
            for (var k = 0; k < classes; k++)
            {
                bad |= !float.IsFinite(z[k]);
                p[k] = z[k];
                best = z[k] > z[best] ? k : best;
            }
            if (bad)
            {
                p.Fill(double.NaN);
            }
            predicted[r] = bad ? -1 : best;
        }
    }

    /// <summary>
    /// softmax-argmax: <paramref name="logits"/> is row-major rows x K; writes each row's K probabilities
    /// (row-major) and its class; a row with a NaN logit gets NaN probabilities and class -1.
    /// </summary>
    public static void ApplyMulticlass(ReadOnlySpan<float> logits, int rows, int classes, Span<double> probabilities, Span<int> predicted)
    {
        for (var r = 0; r < rows; r++)
        {
            var z = logits.Slice(r * classes, classes);
            var p = probabilities.Slice(r * classes, classes);
            var max = double.NegativeInfinity;
            var bad = false;
            foreach (var v in z)
            {
                bad |= !float.IsFinite(v);
                max = Math.Max(max, v);
            }
            if (bad)
            {
                p.Fill(double.NaN);
                predicted[r] = -1;
                continue;
            }
            var sum = 0.0;
            var best = 0;
            for (var k = 0; k < classes; k++)
            {
                p[k] = Math.Exp(z[k] - max);
                sum += p[k];
                if (z[k] > z[best])
                {
                    best = k;
                }
            }
            for (var k = 0; k < classes; k++)
            {
                p[k] /= sum;
            }
            predicted[r] = best;
        }
    }

    private static void CrossSectionalRank(Span<double> scores, ReadOnlySpan<DateTime> time)
    {
        if (time.Length != scores.Length)
        {
            throw new ArgumentException("rank over a panel needs one time per score");
        }
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        // Group rows by date, finite scores ascending within a date, NaN last.
        var timeCopy = time.ToArray();
        var scoreCopy = scores.ToArray();
        Array.Sort(order, (a, b) =>
        {
            var c = timeCopy[a].CompareTo(timeCopy[b]);
            if (c != 0)
            {
                return c;
            }
            var na = double.IsNaN(scoreCopy[a]);
            var nb = double.IsNaN(scoreCopy[b]);
            return na || nb ? na.CompareTo(nb) : scoreCopy[a].CompareTo(scoreCopy[b]);
        });
        var start = 0;
        while (start < order.Length)
        {
            var end = start;
            while (end < order.Length && timeCopy[order[end]] == timeCopy[order[start]])
            {
                end++;
            }
            var finiteEnd = start;
            while (finiteEnd < end && !double.IsNaN(scoreCopy[order[finiteEnd]]))
            {
                finiteEnd++;
            }
            var n = finiteEnd - start;
            var i = start;
            while (i < finiteEnd)
            {
                var j = i;
                while (j + 1 < finiteEnd && scoreCopy[order[j + 1]] == scoreCopy[order[i]])
                {
                    j++;
                }
                // Average 1-based rank of the tie block i..j.
                var rank = ((i - start + 1) + (j - start + 1)) / 2.0;
                var value = n == 1 ? 0.0 : (2.0 * (rank - 1) / (n - 1)) - 1.0;
                for (var k = i; k <= j; k++)
                {
                    scores[order[k]] = value;
                }
                i = j + 1;
            }
            start = end;
        }
    }
}

/// <summary>
/// Statistics of a model's predictions on its training data, stored with the model version so that
/// inference transforms scores with what was known at training time. Plain properties: serialisable.
/// </summary>
public sealed record TransformState
{
    /// <summary>At most this many sorted points are kept for the single-series rank transform.</summary>
    public const int MaxQuantiles = 2001;

    /// <summary>Finite training predictions the state was fitted on.</summary>
    public long Count { get; init; }

    public double Mean { get; init; }

    /// <summary>Sample standard deviation (n - 1).</summary>
    public double Std { get; init; }

    /// <summary>
    /// Sorted training predictions: all of them when there are at most <see cref="MaxQuantiles"/>, otherwise
    /// the quantiles at k / (MaxQuantiles - 1), k = 0..MaxQuantiles-1 (linear interpolation between order
    /// statistics, as numpy's default), so the rank transform is exact for small training sets and within
    /// 1 / 2000 of the exact empirical position otherwise.
    /// </summary>
    public double[] Quantiles { get; init; } = [];

    /// <summary>Fits the state on training predictions; NaN and infinite values are ignored.</summary>
    public static TransformState Fit(ReadOnlySpan<double> trainingPredictions)
    {
        var finite = new List<double>(trainingPredictions.Length);
        foreach (var v in trainingPredictions)
        {
            if (double.IsFinite(v))
            {
                finite.Add(v);
            }
        }
        if (finite.Count == 0)
        {
            throw new OutputTransformException("cannot fit output transform statistics: the training predictions hold no finite value");
        }
        var sorted = finite.ToArray();
        Array.Sort(sorted);
        var mean = 0.0;
        foreach (var v in sorted)
        {
            mean += v;
        }
        mean /= sorted.Length;
        var ss = 0.0;
        foreach (var v in sorted)
        {
            ss += (v - mean) * (v - mean);
        }
        var std = sorted.Length > 1 ? Math.Sqrt(ss / (sorted.Length - 1)) : 0.0;

        double[] quantiles;
        if (sorted.Length <= MaxQuantiles)
        {
            quantiles = sorted;
        }
        else
        {
            quantiles = new double[MaxQuantiles];
            for (var k = 0; k < MaxQuantiles; k++)
            {
                quantiles[k] = Quantile(sorted, (double)k / (MaxQuantiles - 1));
            }
        }
        return new TransformState { Count = sorted.Length, Mean = mean, Std = std, Quantiles = quantiles };
    }

    /// <summary>2 F(s) - 1 with F the mid-rank empirical CDF over <see cref="Quantiles"/>.</summary>
    public double EmpiricalPosition(double s)
    {
        if (double.IsNaN(s))
        {
            return double.NaN;
        }
        var below = Monitoring.DriftStatistics.LowerBound(Quantiles, s);
        var atOrBelow = Monitoring.DriftStatistics.UpperBound(Quantiles, s);
        var f = (below + ((atOrBelow - below) / 2.0)) / Quantiles.Length;
        return (2.0 * f) - 1.0;
    }

    /// <summary>numpy's default (linear) quantile of sorted values.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((pos - lo) * (sorted[hi] - sorted[lo]));
    }

}

/// <summary>An output transform that is unknown, malformed, or lacks the training statistics it needs.</summary>
public sealed class OutputTransformException : Exception
{
    public OutputTransformException(string message)
        : base(message)
    {
    }

    public OutputTransformException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public OutputTransformException()
    {
    }
}
