namespace OptAIC.Engine.ML.Monitoring;

/// <summary>
/// Rolling performance of a signal once its labels (realised targets) arrived. A period is a date.
/// <list type="bullet">
/// <item>Panel (an entity per row): each date's rank IC is the Spearman correlation (average ranks for ties)
/// of score and label across that date's rows where both are finite (NaN with fewer than 3 rows), and its
/// hit rate the share of those rows where sign(score) = sign(label) (rows where either is 0 left out). The
/// rolling value at a date is the mean of the finite per-date values over the last <c>window</c> dates.</item>
/// <item>Single series (one row per date): the rolling rank IC at a date is the Spearman correlation of the
/// last <c>window</c> (score, label) pairs, the rolling hit rate their share of matching signs.</item>
/// </list>
/// Rolling values are NaN until a full window of dates exists. Decay: the latest rolling rank IC is below
/// <see cref="DecayThreshold"/>.
/// </summary>
public sealed class RollingPerformance
{
    private RollingPerformance(int window, double decayThreshold, DateTime[] periods, double[] rankIc, double[] rollingRankIc, double[] rollingHitRate)
    {
        Window = window;
        DecayThreshold = decayThreshold;
        Periods = periods;
        RankIc = rankIc;
        RollingRankIc = rollingRankIc;
        RollingHitRate = rollingHitRate;
    }

    public int Window { get; }

    public double DecayThreshold { get; }

    /// <summary>The dates with at least one labelled row, ascending.</summary>
    public IReadOnlyList<DateTime> Periods { get; }

    /// <summary>Per-date rank IC (panel) or NaN (single series, where one date has one row).</summary>
    public IReadOnlyList<double> RankIc { get; }

    public IReadOnlyList<double> RollingRankIc { get; }

    public IReadOnlyList<double> RollingHitRate { get; }

    public double LatestRollingRankIc => RollingRankIc.Count == 0 ? double.NaN : RollingRankIc[^1];

    public double LatestRollingHitRate => RollingHitRate.Count == 0 ? double.NaN : RollingHitRate[^1];

    /// <summary>The latest rolling rank IC is below the threshold (false while it does not exist yet).</summary>
    public bool Decayed => LatestRollingRankIc < DecayThreshold;

    /// <summary>
    /// Computes the rolling series from scores and labels; <paramref name="entity"/> null for a single series.
    /// Rows where the score or the label is NaN are left out (a label not known yet).
    /// </summary>
    public static RollingPerformance Compute(
        IReadOnlyList<DateTime> time,
        IReadOnlyList<string>? entity,
        IReadOnlyList<double> score,
        IReadOnlyList<double> label,
        int window,
        double decayThreshold = 0.0)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(label);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 2);
        if (score.Count != time.Count || label.Count != time.Count || (entity is not null && entity.Count != time.Count))
        {
            throw new ArgumentException("time, entity, score and label need one value per row");
        }

        var rows = Enumerable.Range(0, time.Count)
            .Where(i => !double.IsNaN(score[i]) && !double.IsNaN(label[i]))
            .OrderBy(i => time[i])
            .ToArray();
        var groups = rows.GroupBy(i => time[i]).ToArray();
        var periods = groups.Select(g => g.Key).ToArray();
        var n = periods.Length;
        var rankIc = new double[n];
        var rollingIc = new double[n];
        var rollingHit = new double[n];
        Array.Fill(rollingIc, double.NaN);
        Array.Fill(rollingHit, double.NaN);

        if (entity is not null)
        {
            var hit = new double[n];
            for (var p = 0; p < n; p++)
            {
                var members = groups[p].ToArray();
                rankIc[p] = members.Length < 3 ? double.NaN : Spearman([.. members.Select(i => score[i])], [.. members.Select(i => label[i])]);
                hit[p] = HitRate(members.Select(i => score[i]), members.Select(i => label[i]));
            }
            for (var p = window - 1; p < n; p++)
            {
                rollingIc[p] = MeanFinite(rankIc.AsSpan(p - window + 1, window));
                rollingHit[p] = MeanFinite(hit.AsSpan(p - window + 1, window));
            }
        }
        else
        {
            if (groups.Any(g => g.Count() > 1))
            {
                var duplicate = groups.First(g => g.Count() > 1).Key;
                throw new ArgumentException($"a single series has one row per date, but {duplicate:yyyy-MM-dd} has several; pass the entity column for a panel");
            }
            Array.Fill(rankIc, double.NaN);
            var s = rows.Select(i => score[i]).ToArray();
            var l = rows.Select(i => label[i]).ToArray();
            for (var p = window - 1; p < n; p++)
            {
                var from = p - window + 1;
                rollingIc[p] = Spearman(s.AsSpan(from, window), l.AsSpan(from, window));
                rollingHit[p] = HitRate(s.Skip(from).Take(window), l.Skip(from).Take(window));
            }
        }
        return new RollingPerformance(window, decayThreshold, periods, rankIc, rollingIc, rollingHit);
    }

    /// <summary>The report's summary: latest rolling values, the mean per-period IC, the decay flag.</summary>
    public PerformanceSummary Summary()
    {
        var finiteIc = RankIc.Where(double.IsFinite).ToArray();
        double? meanIc = finiteIc.Length > 0 ? finiteIc.Average() : null;
        if (Periods.Count > 0 && RankIc.All(double.IsNaN))
        {
            // Single series: the mean of the rolling values stands in for the mean per-period IC.
            var rolling = RollingRankIc.Where(double.IsFinite).ToArray();
            meanIc = rolling.Length > 0 ? rolling.Average() : null;
        }
        return new PerformanceSummary
        {
            Window = Window,
            Periods = Periods.Count,
            LastPeriod = Periods.Count > 0 ? Periods[^1] : null,
            RollingRankIc = Finite(LatestRollingRankIc),
            RollingHitRate = Finite(LatestRollingHitRate),
            MeanRankIc = meanIc,
            DecayThreshold = DecayThreshold,
            Decayed = Decayed,
        };
    }

    /// <summary>Spearman rank correlation: Pearson correlation of average ranks. NaN when either side is constant.</summary>
    public static double Spearman(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("Spearman needs pairs");
        }
        // One definition of rank IC for training metrics and live monitoring alike.
        return ML.Metrics.SignalMetrics.RankIc(x, y);
    }

    private static double HitRate(IEnumerable<double> score, IEnumerable<double> label)
    {
        int hits = 0, count = 0;
        foreach (var (s, l) in score.Zip(label))
        {
            if (s == 0 || l == 0)
            {
                continue;
            }
            count++;
            if (Math.Sign(s) == Math.Sign(l))
            {
                hits++;
            }
        }
        return count == 0 ? double.NaN : (double)hits / count;
    }

    private static double MeanFinite(ReadOnlySpan<double> values)
    {
        double sum = 0;
        var count = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                sum += v;
                count++;
            }
        }
        return count == 0 ? double.NaN : sum / count;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
