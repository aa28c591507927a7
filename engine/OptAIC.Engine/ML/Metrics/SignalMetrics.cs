namespace OptAIC.Engine.ML.Metrics;

/// <summary>
/// Metrics of a signal (a prediction meant to be traded on) against the realised label. All are
/// NaN-aware: a row counts only when both its prediction and its label are finite. A metric that
/// cannot be computed (too few rows, zero variance) is NaN.
/// </summary>
public static class SignalMetrics
{
    /// <summary>The fewest valid rows a period needs for its IC to count towards ICIR.</summary>
    public const int MinimumRowsPerPeriod = 3;

    /// <summary>
    /// Information coefficient: the Pearson correlation
    /// sum((p - mean p)(y - mean y)) / sqrt(sum((p - mean p)^2) sum((y - mean y)^2)).
    /// </summary>
    public static double Ic(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label)
    {
        CheckLengths(prediction.Length, label.Length);
        double sumP = 0, sumY = 0;
        var n = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
            {
                sumP += prediction[i];
                sumY += label[i];
                n++;
            }
        }
        if (n < 2)
        {
            return double.NaN;
        }
        double meanP = sumP / n, meanY = sumY / n;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
            {
                var dp = prediction[i] - meanP;
                var dy = label[i] - meanY;
                sxy += dp * dy;
                sxx += dp * dp;
                syy += dy * dy;
            }
        }
        return sxx > 0 && syy > 0 ? Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1) : double.NaN;
    }

    /// <summary>
    /// Rank information coefficient: the Spearman correlation, i.e. the Pearson correlation of the
    /// ranks of the valid pairs, tied values sharing their average rank.
    /// </summary>
    public static double RankIc(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label)
    {
        CheckLengths(prediction.Length, label.Length);
        var p = new List<double>(prediction.Length);
        var y = new List<double>(prediction.Length);
        for (var i = 0; i < prediction.Length; i++)
        {
            if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
            {
                p.Add(prediction[i]);
                y.Add(label[i]);
            }
        }
        return p.Count < 2 ? double.NaN : Ic(Ranks([.. p]), Ranks([.. y]));
    }

    /// <summary>
    /// IC information ratio: mean(IC) / sample standard deviation(IC) over periods (finite ICs
    /// only); NaN with fewer than two periods or no variation.
    /// </summary>
    public static double IcIr(ReadOnlySpan<double> periodIcs)
    {
        double sum = 0;
        var n = 0;
        foreach (var ic in periodIcs)
        {
            if (double.IsFinite(ic))
            {
                sum += ic;
                n++;
            }
        }
        if (n < 2)
        {
            return double.NaN;
        }
        var mean = sum / n;
        double squares = 0;
        foreach (var ic in periodIcs)
        {
            if (double.IsFinite(ic))
            {
                squares += (ic - mean) * (ic - mean);
            }
        }
        var std = Math.Sqrt(squares / (n - 1));
        return std > 0 ? mean / std : double.NaN;
    }

    /// <summary>
    /// ICIR over periods: for a panel (<paramref name="entities"/> given) one period per date, the
    /// IC taken across entities (the cross-sectional IC); for a single series one period per calendar
    /// month, the IC taken over that month's rows. See <see cref="PeriodIcs"/>.
    /// </summary>
    public static double IcIr(
        ReadOnlySpan<double> prediction, ReadOnlySpan<double> label, ReadOnlySpan<DateTime> times, string[]? entities) =>
        IcIr(PeriodIcs(prediction, label, times, entities));

    /// <summary>
    /// The IC of each period in time order: per date for a panel, per calendar month for a single
    /// series. A period with fewer than <see cref="MinimumRowsPerPeriod"/> valid rows is NaN.
    /// </summary>
    public static double[] PeriodIcs(
        ReadOnlySpan<double> prediction, ReadOnlySpan<double> label, ReadOnlySpan<DateTime> times, string[]? entities)
    {
        CheckLengths(prediction.Length, label.Length);
        CheckLengths(prediction.Length, times.Length);
        var periods = new SortedDictionary<long, List<int>>();
        for (var i = 0; i < prediction.Length; i++)
        {
            var key = entities is null ? times[i].Year * 12L + times[i].Month : times[i].Ticks;
            if (!periods.TryGetValue(key, out var rows))
            {
                periods[key] = rows = [];
            }
            rows.Add(i);
        }
        var result = new double[periods.Count];
        var k = 0;
        var p = new List<double>();
        var y = new List<double>();
        foreach (var rows in periods.Values)
        {
            p.Clear();
            y.Clear();
            foreach (var i in rows)
            {
                if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
                {
                    p.Add(prediction[i]);
                    y.Add(label[i]);
                }
            }
            result[k++] = p.Count < MinimumRowsPerPeriod ? double.NaN : Ic(p.ToArray(), y.ToArray());
        }
        return result;
    }

    /// <summary>
    /// The share of rows where sign(prediction) equals sign(label), over rows where both are finite
    /// and non-zero (a zero makes no call, or has no direction to be right about).
    /// </summary>
    public static double HitRate(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label)
    {
        CheckLengths(prediction.Length, label.Length);
        int hits = 0, n = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            double p = prediction[i], y = label[i];
            if (double.IsFinite(p) && double.IsFinite(y) && p != 0 && y != 0)
            {
                n++;
                hits += Math.Sign(p) == Math.Sign(y) ? 1 : 0;
            }
        }
        return n == 0 ? double.NaN : (double)hits / n;
    }

    /// <summary>
    /// Turnover: per entity (the whole series when <paramref name="entities"/> is null), rows taken
    /// in time order, the mean over consecutive pairs of |s_t - s_(t-1)| / 2 (pairs with a NaN are
    /// skipped); then the mean over entities, each entity weighing the same. For a signal in [-1, 1]
    /// a full flip long to short is a turnover of 1.
    /// </summary>
    public static double Turnover(ReadOnlySpan<double> signal, ReadOnlySpan<DateTime> times, string[]? entities)
    {
        CheckLengths(signal.Length, times.Length);
        if (entities is not null)
        {
            CheckLengths(signal.Length, entities.Length);
        }
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < signal.Length; i++)
        {
            var key = entities?[i] ?? "";
            if (!groups.TryGetValue(key, out var rows))
            {
                groups[key] = rows = [];
            }
            rows.Add(i);
        }
        double total = 0;
        var counted = 0;
        foreach (var rows in groups.Values)
        {
            var keys = new long[rows.Count];
            var order = rows.ToArray();
            for (var i = 0; i < order.Length; i++)
            {
                keys[i] = times[order[i]].Ticks;
            }
            Array.Sort(keys, order);
            double sum = 0;
            var pairs = 0;
            for (var i = 1; i < order.Length; i++)
            {
                double previous = signal[order[i - 1]], current = signal[order[i]];
                if (double.IsFinite(previous) && double.IsFinite(current))
                {
                    sum += Math.Abs(current - previous) / 2;
                    pairs++;
                }
            }
            if (pairs > 0)
            {
                total += sum / pairs;
                counted++;
            }
        }
        return counted == 0 ? double.NaN : total / counted;
    }

    /// <summary>1-based ranks, ties sharing the average of the ranks they span.</summary>
    internal static double[] Ranks(double[] values)
    {
        var order = new int[values.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        var keys = (double[])values.Clone();
        Array.Sort(keys, order);
        var ranks = new double[values.Length];
        for (var start = 0; start < keys.Length;)
        {
            var end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }
            var rank = (start + end + 1) / 2.0;
            for (var i = start; i < end; i++)
            {
                ranks[order[i]] = rank;
            }
            start = end;
        }
        return ranks;
    }

    internal static void CheckLengths(int a, int b)
    {
        if (a != b)
        {
            throw new ArgumentException($"the inputs have different lengths ({a} and {b}): pass one value per row to each");
        }
    }
}
