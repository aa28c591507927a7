namespace OptAIC.Engine.Features;

/// <summary>Reusable work buffers for the kernels, grown on demand so no kernel allocates per row.</summary>
internal sealed class Scratch
{
    private double[] _a = [];
    private double[] _b = [];
    private int[] _ints = [];

    public double[] A(int length) => _a.Length >= length ? _a : _a = new double[length];

    public double[] B(int length) => _b.Length >= length ? _b : _b = new double[length];

    public int[] Ints(int length) => _ints.Length >= length ? _ints : _ints = new int[length];
}

/// <summary>
/// The numeric kernels, each over one contiguous, time-ordered series (one entity). Conventions:
/// NaN propagates; a window holding any missing value yields NaN; a result that would be
/// infinite (x / 0, log(0)) is NaN; non-finite inputs count as missing inside windows.
/// </summary>
internal static class Kernels
{
    public static double Finite(double value) => double.IsFinite(value) ? value : double.NaN;

    public static double Apply(BinaryOperator op, double a, double b) => op switch
    {
        BinaryOperator.Add => a + b,
        BinaryOperator.Subtract => a - b,
        BinaryOperator.Multiply => a * b,
        BinaryOperator.Divide => Finite(a / b),
        BinaryOperator.Greater => Compare(a > b, a, b),
        BinaryOperator.Less => Compare(a < b, a, b),
        BinaryOperator.GreaterOrEqual => Compare(a >= b, a, b),
        BinaryOperator.LessOrEqual => Compare(a <= b, a, b),
        BinaryOperator.Equal => Compare(a == b, a, b),
        _ => Compare(a != b, a, b),
    };

    private static double Compare(bool result, double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? double.NaN : result ? 1 : 0;

    /// <summary>Rows before and after the current one covered by a window of <paramref name="w"/> rows.</summary>
    public static (long Back, long Ahead) WindowSpan(long w, bool centred)
    {
        if (centred)
        {
            // pandas' center=True: the extra row of an even window falls on the past side.
            var ahead = (w - 1) / 2;
            return (w - 1 - ahead, ahead);
        }
        return w > 0 ? (w - 1, 0) : (0, -w - 1);
    }

    /// <summary>Warm-up counted for an exponential average: span - 1 rows, as for a window of span rows.</summary>
    public static long EwmWarmUp(double span) => (long)Math.Ceiling(span) - 1;

    public static double Unary(FunctionId id, double v) => id switch
    {
        FunctionId.Log => v > 0 ? Finite(Math.Log(v)) : double.NaN,
        FunctionId.Abs => Math.Abs(v),
        FunctionId.Sqrt => v >= 0 ? Math.Sqrt(v) : double.NaN,
        FunctionId.Exp => Finite(Math.Exp(v)),
        _ => double.IsNaN(v) ? double.NaN : Math.Sign(v),
    };

    // ---- shifts and changes ---------------------------------------------------------------

    /// <summary>y[t] = x[t - n] (n &lt; 0 reads ahead); NaN where that row does not exist.</summary>
    public static void Lag(ReadOnlySpan<double> x, Span<double> y, long n)
    {
        var len = x.Length;
        if (n >= 0)
        {
            var m = (int)Math.Min(n, len);
            y[..m].Fill(double.NaN);
            x[..(len - m)].CopyTo(y[m..]);
        }
        else
        {
            var k = (int)Math.Min(-n, len);
            x[k..].CopyTo(y[..(len - k)]);
            y[(len - k)..].Fill(double.NaN);
        }
    }

    public enum Change
    {
        Difference,
        Percent,
        Log,
    }

    /// <summary>Compares x[t] with x[t - n]: difference, x[t] / x[t - n] - 1, or log(x[t] / x[t - n]).</summary>
    public static void Changes(ReadOnlySpan<double> x, Span<double> y, long n, Change kind)
    {
        var len = x.Length;
        for (var i = 0; i < len; i++)
        {
            var j = i - n;
            y[i] = j < 0 || j >= len ? double.NaN : Compare(x[i], x[(int)j], kind);
        }
    }

    /// <summary>Compares x[t + n] with x[t]: x[t + n] / x[t] - 1 or log(x[t + n] / x[t]).</summary>
    public static void Forward(ReadOnlySpan<double> x, Span<double> y, int n, Change kind)
    {
        var len = x.Length;
        for (var i = 0; i < len; i++)
        {
            var j = (long)i + n;
            y[i] = j >= len ? double.NaN : Compare(x[(int)j], x[i], kind);
        }
    }

    private static double Compare(double now, double then, Change kind)
    {
        switch (kind)
        {
            case Change.Difference:
                return now - then;
            case Change.Percent:
                return Finite(now / then - 1);
            default:
                var ratio = now / then;
                return ratio > 0 && double.IsFinite(ratio) ? Math.Log(ratio) : double.NaN;
        }
    }

    /// <summary>
    /// Sample standard deviation (ddof 1) of the n one-row log returns after t: those ending at
    /// t + 1 .. t + n. Not annualised.
    /// </summary>
    public static void ForwardVolatility(ReadOnlySpan<double> x, Span<double> y, int n, Scratch scratch)
    {
        var len = x.Length;
        var returns = scratch.A(len).AsSpan(0, len);
        var std = scratch.B(len).AsSpan(0, len);
        Changes(x, returns, 1, Change.Log);
        Rolling(Window.Std, returns, std, n, scratch);
        for (var i = 0; i < len; i++)
        {
            var j = (long)i + n;
            y[i] = j < len ? std[(int)j] : double.NaN;
        }
    }

    // ---- rolling windows ------------------------------------------------------------------

    public enum Window
    {
        Sum,
        Mean,
        Std,
        Zscore,
        Min,
        Max,
    }

    /// <summary>
    /// A window of |w| rows placed by <see cref="WindowSpan"/>: computed as a trailing window, then
    /// moved back by the rows it reads ahead.
    /// </summary>
    public static void RollingPlaced(Window kind, ReadOnlySpan<double> x, Span<double> y, long w, bool centred, Scratch scratch)
    {
        var (_, ahead) = WindowSpan(w, centred);
        var size = (int)Math.Abs(w);
        if (kind == Window.Zscore && ahead > 0)
        {
            // The z-score compares the window's own current row, so it needs its mean and std moved, not its value.
            var len = x.Length;
            var mean = scratch.A(len).AsSpan(0, len);
            var local = scratch.B(len).AsSpan(0, len);
            Rolling(Window.Mean, x, mean, size, scratch);
            Rolling(Window.Std, x, local, size, scratch);
            for (var i = 0; i < len; i++)
            {
                var j = i + ahead;
                if (j >= len)
                {
                    y[i] = double.NaN;
                    continue;
                }
                var sd = local[(int)j];
                y[i] = sd > 0 ? Finite((x[i] - mean[(int)j]) / sd) : double.NaN;
            }
            return;
        }
        Rolling(kind, x, y, size, scratch);
        if (ahead > 0)
        {
            var len = y.Length;
            var k = (int)Math.Min(ahead, len);
            y[k..].CopyTo(y);
            y[(len - k)..].Fill(double.NaN);
        }
    }

    /// <summary>Trailing window of <paramref name="w"/> rows including the current one.</summary>
    public static void Rolling(Window kind, ReadOnlySpan<double> x, Span<double> y, int w, Scratch scratch)
    {
        switch (kind)
        {
            case Window.Sum:
            case Window.Mean:
                RollingSum(x, y, w, kind == Window.Mean);
                break;
            case Window.Std:
            case Window.Zscore:
                RollingStd(x, y, w, kind == Window.Zscore);
                break;
            default:
                RollingExtreme(x, y, w, kind == Window.Max, scratch);
                break;
        }
    }

    // Running sum over the finite values in the window; re-summed exactly every w rows so rounding
    // error cannot build up over long series.
    private static void RollingSum(ReadOnlySpan<double> x, Span<double> y, int w, bool mean)
    {
        var len = x.Length;
        var lastMissing = -1 - w;
        var sum = 0.0;
        var sinceExact = 0;
        for (var i = 0; i < len; i++)
        {
            var v = x[i];
            if (double.IsFinite(v))
            {
                sum += v;
            }
            else
            {
                lastMissing = i;
            }
            if (i >= w)
            {
                var old = x[i - w];
                if (double.IsFinite(old))
                {
                    sum -= old;
                }
            }
            if (++sinceExact == w)
            {
                sinceExact = 0;
                sum = 0;
                for (var j = Math.Max(0, i - w + 1); j <= i; j++)
                {
                    if (double.IsFinite(x[j]))
                    {
                        sum += x[j];
                    }
                }
            }
            y[i] = i < w - 1 || lastMissing > i - w ? double.NaN : mean ? sum / w : sum;
        }
    }

    // Sums of (v - K) and (v - K)^2 with K the window mean at the last exact re-computation (every
    // w rows), which keeps the variance accurate for series far from zero (prices).
    private static void RollingStd(ReadOnlySpan<double> x, Span<double> y, int w, bool zscore)
    {
        var len = x.Length;
        var lastMissing = -1 - w;
        double shift = 0, s1 = 0, s2 = 0;
        var sinceExact = 0;
        var run = 0;
        var previous = double.NaN;
        for (var i = 0; i < len; i++)
        {
            var v = x[i];
            if (double.IsFinite(v))
            {
                var d = v - shift;
                s1 += d;
                s2 += d * d;
                run = v == previous ? run + 1 : 1;
            }
            else
            {
                lastMissing = i;
                run = 0;
            }
            previous = v;
            if (i >= w)
            {
                var old = x[i - w];
                if (double.IsFinite(old))
                {
                    var d = old - shift;
                    s1 -= d;
                    s2 -= d * d;
                }
            }
            if (++sinceExact == w)
            {
                sinceExact = 0;
                var from = Math.Max(0, i - w + 1);
                double total = 0;
                var count = 0;
                for (var j = from; j <= i; j++)
                {
                    if (double.IsFinite(x[j]))
                    {
                        total += x[j];
                        count++;
                    }
                }
                shift = count > 0 ? total / count : 0;
                s1 = 0;
                s2 = 0;
                for (var j = from; j <= i; j++)
                {
                    if (double.IsFinite(x[j]))
                    {
                        var d = x[j] - shift;
                        s1 += d;
                        s2 += d * d;
                    }
                }
            }
            if (i < w - 1 || lastMissing > i - w)
            {
                y[i] = double.NaN;
                continue;
            }
            var variance = run >= w ? 0 : Math.Max(0, (s2 - (s1 * s1 / w)) / (w - 1));
            var std = Math.Sqrt(variance);
            if (!zscore)
            {
                y[i] = std;
            }
            else
            {
                var windowMean = shift + (s1 / w);
                y[i] = std > 0 ? Finite((v - windowMean) / std) : double.NaN;
            }
        }
    }

    // Monotonic deque of row indices (a ring buffer): amortised O(1) per row.
    private static void RollingExtreme(ReadOnlySpan<double> x, Span<double> y, int w, bool max, Scratch scratch)
    {
        var len = x.Length;
        var capacity = Math.Min(w, len) + 1;
        var ring = scratch.Ints(capacity);
        int head = 0, count = 0;
        var lastMissing = -1 - w;
        for (var i = 0; i < len; i++)
        {
            var v = x[i];
            if (double.IsFinite(v))
            {
                while (count > 0)
                {
                    var back = head + count - 1;
                    if (back >= capacity)
                    {
                        back -= capacity;
                    }
                    var b = x[ring[back]];
                    if (max ? b <= v : b >= v)
                    {
                        count--;
                    }
                    else
                    {
                        break;
                    }
                }
                var slot = head + count;
                if (slot >= capacity)
                {
                    slot -= capacity;
                }
                ring[slot] = i;
                count++;
            }
            else
            {
                lastMissing = i;
            }
            while (count > 0 && ring[head] <= i - w)
            {
                head = head + 1 == capacity ? 0 : head + 1;
                count--;
            }
            y[i] = i < w - 1 || lastMissing > i - w || count == 0 ? double.NaN : x[ring[head]];
        }
    }

    /// <summary>x / rolling_max(x, w) - 1.</summary>
    public static void Drawdown(ReadOnlySpan<double> x, Span<double> y, int w, Scratch scratch)
    {
        RollingExtreme(x, y, w, max: true, scratch);
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = Finite((x[i] / y[i]) - 1);
        }
    }

    // ---- exponential averages ---------------------------------------------------------------

    /// <summary>
    /// pandas ewm(span, adjust=False) mean: alpha = 2 / (span + 1), m = x at the first value, then
    /// m = (1 - alpha) m + alpha x. Missing rows give NaN and are skipped (pandas ignore_na=True).
    /// </summary>
    public static void EwmMean(ReadOnlySpan<double> x, Span<double> y, double span)
    {
        var alpha = 2 / (span + 1);
        var started = false;
        var mean = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            if (!double.IsFinite(v))
            {
                y[i] = double.NaN;
                continue;
            }
            if (!started)
            {
                mean = v;
                started = true;
            }
            else if (mean != v)
            {
                mean = ((1 - alpha) * mean) + (alpha * v);
            }
            y[i] = mean;
        }
    }

    /// <summary>
    /// pandas ewm(span, adjust=False).std() (bias=False): the exponentially weighted variance with
    /// the weights' bias correction 1 / (1 - sum of squared weights); NaN at the first value.
    /// Missing rows as in <see cref="EwmMean"/>.
    /// </summary>
    public static void EwmStd(ReadOnlySpan<double> x, Span<double> y, double span)
    {
        var alpha = 2 / (span + 1);
        var keep = 1 - alpha;
        var started = false;
        double mean = 0, variance = 0, sumSquaredWeights = 1;
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            if (!double.IsFinite(v))
            {
                y[i] = double.NaN;
                continue;
            }
            if (!started)
            {
                started = true;
                mean = v;
                variance = 0;
                sumSquaredWeights = 1;
                y[i] = double.NaN;
                continue;
            }
            var oldMean = mean;
            if (mean != v)
            {
                mean = (keep * mean) + (alpha * v);
            }
            var shiftMean = oldMean - mean;
            var deviation = v - mean;
            variance = (keep * (variance + (shiftMean * shiftMean))) + (alpha * deviation * deviation);
            sumSquaredWeights = (keep * keep * sumSquaredWeights) + (alpha * alpha);
            var denominator = 1 - sumSquaredWeights;
            y[i] = denominator > 0 ? Math.Sqrt(Math.Max(0, variance / denominator)) : double.NaN;
        }
    }

    // ---- classes ----------------------------------------------------------------------------

    /// <summary>Index of the bucket: the number of edges at or below x (0 .. edges.Length), as numpy.digitize.</summary>
    public static double Bucket(double v, double[] edges)
    {
        if (double.IsNaN(v))
        {
            return double.NaN;
        }
        int lo = 0, hi = edges.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (edges[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    // ---- cross-sections ---------------------------------------------------------------------

    /// <summary>
    /// Ranks of the finite values (ties share their average rank) scaled to [-1, 1]:
    /// 2 (rank - 1) / (m - 1) - 1; a single value ranks 0; missing stays NaN.
    /// </summary>
    public static void CrossRank(ReadOnlySpan<double> x, Span<double> y, Scratch scratch)
    {
        var len = x.Length;
        var keys = scratch.A(len);
        var positions = scratch.Ints(len);
        var m = 0;
        for (var i = 0; i < len; i++)
        {
            y[i] = double.NaN;
            if (double.IsFinite(x[i]))
            {
                keys[m] = x[i];
                positions[m] = i;
                m++;
            }
        }
        if (m == 1)
        {
            y[positions[0]] = 0;
            return;
        }
        Array.Sort(keys, positions, 0, m);
        var start = 0;
        while (start < m)
        {
            var end = start + 1;
            while (end < m && keys[end] == keys[start])
            {
                end++;
            }
            var rank = (start + end - 1) / 2.0; // 0-based average rank of the tie group
            var scaled = (2 * rank / (m - 1)) - 1;
            for (var k = start; k < end; k++)
            {
                y[positions[k]] = scaled;
            }
            start = end;
        }
    }

    /// <summary>(x - mean) / sample std across the finite values; 0 when there is no dispersion (or one value).</summary>
    public static void CrossZscore(ReadOnlySpan<double> x, Span<double> y)
    {
        double total = 0;
        var m = 0;
        foreach (var v in x)
        {
            if (double.IsFinite(v))
            {
                total += v;
                m++;
            }
        }
        var mean = m > 0 ? total / m : 0;
        double squares = 0;
        foreach (var v in x)
        {
            if (double.IsFinite(v))
            {
                squares += (v - mean) * (v - mean);
            }
        }
        var std = m > 1 ? Math.Sqrt(squares / (m - 1)) : 0;
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            y[i] = !double.IsFinite(v) ? double.NaN : std > 0 ? (v - mean) / std : 0;
        }
    }
}
