using OptAIC.Engine.ML.Monitoring;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Monitoring;

/// <summary>
/// Known answers for the drift statistics. There is no Python here, so each expected value is either a value
/// printed in scipy's documentation (said so where used), a hand computation written out, or an independent
/// naive implementation in the test (brute force over all points or all orderings, closed forms).
/// </summary>
public class DriftStatisticsTests
{
    private static double[] Sorted(IEnumerable<double> values) => [.. values.Order()];

    /// <summary>Naive KS: the ECDF gap evaluated at every point of both samples (what ks_2samp's searchsorted does).</summary>
    private static double BruteForceKs(double[] a, double[] b) =>
        a.Concat(b).Max(x => Math.Abs(((double)a.Count(v => v <= x) / a.Length) - ((double)b.Count(v => v <= x) / b.Length)));

    [Fact]
    public void Ks_statistic_matches_brute_force_over_all_points_with_ties()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 30; trial++)
        {
            var n = random.Next(1, 40);
            var m = random.Next(1, 40);
            // Rounded to one decimal so the samples share values.
            var a = Sorted(Enumerable.Range(0, n).Select(_ => Math.Round(random.NextDouble() * 3, 1)));
            var b = Sorted(Enumerable.Range(0, m).Select(_ => Math.Round((random.NextDouble() * 3) + 0.3, 1)));

            DriftStatistics.KsStatistic(a, b).ShouldBe(BruteForceKs(a, b), 1e-15);
        }
    }

    [Fact]
    public void Exact_ks_p_values_match_scipy_for_fully_separated_samples()
    {
        // scipy.stats.ks_2samp([1,2,3], [4,5,6]) -> statistic 1.0, pvalue 0.1 (2 of the C(6,3) = 20 orderings).
        DriftStatistics.KsPValue(DriftStatistics.KsStatistic([1, 2, 3], [4, 5, 6]), 3, 3).ShouldBe(0.1, 1e-12);
        // scipy.stats.ks_2samp(range(5), range(5, 10)) -> pvalue 0.007936507936507936 (2 / 252).
        DriftStatistics.KsPValue(1.0, 5, 5).ShouldBe(2.0 / 252, 1e-15);
    }

    [Theory]
    [InlineData(5, 7)]
    [InlineData(6, 4)]
    [InlineData(8, 8)]
    [InlineData(3, 10)]
    public void Exact_ks_p_value_equals_the_share_of_all_orderings_with_a_gap_at_least_d(int n, int m)
    {
        // Brute force: every way to interleave n reference and m current values is equally likely under the
        // null; p(d) = share of orderings whose statistic is >= d. This is what ks_2samp(method='exact') computes.
        var statistics = new List<double>();
        foreach (var mask in Orderings(n, m))
        {
            double i = 0, j = 0, d = 0;
            foreach (var fromReference in mask)
            {
                if (fromReference)
                {
                    i++;
                }
                else
                {
                    j++;
                }
                d = Math.Max(d, Math.Abs((i / n) - (j / m)));
            }
            statistics.Add(d);
        }
        foreach (var d in statistics.Distinct())
        {
            var expected = (double)statistics.Count(s => s >= d - 1e-12) / statistics.Count;
            DriftStatistics.KsPValueExact(d, n, m).ShouldBe(expected, 1e-12, $"d = {d}");
        }
    }

    [Theory]
    [InlineData(50, 10)]
    [InlineData(200, 25)]
    [InlineData(1000, 60)]
    public void Exact_ks_p_value_for_equal_samples_matches_the_closed_form(int n, int k)
    {
        // For n = m: P(D >= k/n) = 2 sum_{j>=1} (-1)^(j-1) C(2n, n - jk) / C(2n, n) (Gnedenko-Korolyuk),
        // which is what scipy's exact method evaluates for equal sizes (_compute_prob_outside_square).
        double expected = 0;
        for (var j = 1; n - (j * k) >= 0; j++)
        {
            expected += (j % 2 == 1 ? 2 : -2) * Math.Exp(LogChoose(2 * n, n - (j * k)) - LogChoose(2 * n, n));
        }

        DriftStatistics.KsPValueExact((double)k / n, n, n).ShouldBe(expected, 1e-10);
    }

    [Theory]
    [InlineData(1.3580986393225505, 0.05)] // scipy.stats.kstwobign.isf(0.05)
    [InlineData(1.6276236115189, 0.01)] // scipy.stats.kstwobign.isf(0.01)
    [InlineData(1.2238478702170825, 0.10)] // scipy.stats.kstwobign.isf(0.10)
    public void Kolmogorov_survival_gives_the_published_critical_values(double x, double p) =>
        DriftStatistics.KolmogorovSurvival(x).ShouldBe(p, 1e-9);

    [Theory]
    [InlineData(0.4)]
    [InlineData(0.6)]
    [InlineData(0.9)]
    [InlineData(1.0)]
    [InlineData(1.7)]
    [InlineData(3.0)]
    public void Kolmogorov_survival_equals_the_alternating_series_summed_in_the_test(double x)
    {
        double series = 0;
        for (var k = 1; k <= 400; k++)
        {
            series += (k % 2 == 1 ? 2 : -2) * Math.Exp(-2.0 * k * k * x * x);
        }

        DriftStatistics.KolmogorovSurvival(x).ShouldBe(series, 1e-12);
    }

    [Fact]
    public void Large_samples_use_the_asymptotic_p_value_of_their_statistic()
    {
        // 20,000 vs 15,000 values: above the exact limit, so p = Q(sqrt(nm/(n+m)) D), summed here.
        var a = Sorted(Enumerable.Range(0, 20_000).Select(i => i / 20_000.0));
        var b = Sorted(Enumerable.Range(0, 15_000).Select(i => (i / 15_000.0) + 0.012));
        var d = DriftStatistics.KsStatistic(a, b);
        d.ShouldBe(0.012, 1e-4);
        var x = Math.Sqrt(20_000.0 * 15_000 / 35_000) * d;
        double expected = 0;
        for (var k = 1; k <= 100; k++)
        {
            expected += (k % 2 == 1 ? 2 : -2) * Math.Exp(-2.0 * k * k * x * x);
        }

        DriftStatistics.KsPValue(d, 20_000, 15_000).ShouldBe(expected, 1e-12);
    }

    [Fact]
    public void Wasserstein_matches_scipys_documented_example() =>
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) -> 5.0
        DriftStatistics.Wasserstein([0, 1, 3], [5, 6, 8]).ShouldBe(5.0, 1e-12);

    [Fact]
    public void Wasserstein_equals_the_integral_of_the_quantile_gap()
    {
        var random = new Random(8);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = random.Next(1, 60);
            var m = random.Next(1, 60);
            var a = Sorted(Enumerable.Range(0, n).Select(_ => Math.Round(random.NextDouble() * 5, 1)));
            var b = Sorted(Enumerable.Range(0, m).Select(_ => Math.Round((random.NextDouble() * 4) + 1, 1)));

            // Independent: W1 = integral over t in (0,1) of |Qa(t) - Qb(t)|, with Q piecewise constant between
            // the breakpoints i/n and j/m.
            var breaks = Enumerable.Range(0, n + 1).Select(i => (double)i / n)
                .Concat(Enumerable.Range(0, m + 1).Select(j => (double)j / m)).Distinct().Order().ToArray();
            double expected = 0;
            for (var k = 0; k + 1 < breaks.Length; k++)
            {
                var t = (breaks[k] + breaks[k + 1]) / 2;
                expected += Math.Abs(a[(int)(t * n)] - b[(int)(t * m)]) * (breaks[k + 1] - breaks[k]);
            }

            DriftStatistics.Wasserstein(a, b).ShouldBe(expected, 1e-9);
        }
    }

    [Fact]
    public void Normalised_wasserstein_divides_by_the_population_std_of_the_reference()
    {
        double[] reference = [1, 2, 3, 4];
        double[] current = [2, 3, 4, 5]; // every value moved up by 1: W = 1
        var std = Math.Sqrt(1.25); // population std of 1..4

        DriftStatistics.PopulationStd(reference).ShouldBe(std, 1e-15);
        DriftStatistics.NormalisedWasserstein(reference, current, std).ShouldBe(1 / std, 1e-12);
        DriftStatistics.NormalisedWasserstein([2, 2], [3, 3], 0).ShouldBe(1 / 0.001, 1e-9); // floor on the std
    }

    [Fact]
    public void Psi_uses_reference_deciles_with_out_of_range_values_in_the_edge_bins()
    {
        // Reference 1..100: deciles (numpy linear) 10.9, 20.8, ..., 90.1: ten bins of 10 values, share 0.1 each.
        var reference = Sorted(Enumerable.Range(1, 100).Select(i => (double)i));
        DriftStatistics.PsiEdges(reference).ShouldBe([10.9, 20.8, 30.7, 40.6, 50.5, 60.4, 70.3, 80.2, 90.1], tolerance: 1e-9);
        // Current: 1..50 fill the first five bins (0.1 each); fifty values of 200, beyond the reference's range,
        // fall in the last bin (0.5); bins 6 to 9 are empty and count as 1e-4.
        var current = Sorted(Enumerable.Range(1, 50).Select(i => (double)i).Concat(Enumerable.Repeat(200.0, 50)));
        var expected = (4 * (1e-4 - 0.1) * Math.Log(1e-4 / 0.1)) + ((0.5 - 0.1) * Math.Log(0.5 / 0.1));

        DriftStatistics.Psi(reference, current).ShouldBe(expected, 1e-12);
        expected.ShouldBe(3.404114, 1e-6);
        DriftStatistics.Psi(reference, reference).ShouldBe(0.0);
    }

    [Fact]
    public void Jensen_shannon_matches_scipys_documented_examples_with_the_natural_log()
    {
        // scipy.spatial.distance.jensenshannon([1.0, 0.0], [0.5, 0.5]) -> 0.46450140402245893
        DriftStatistics.JensenShannon([1.0, 0.0], [0.5, 0.5]).ShouldBe(0.46450140402245893, 1e-15);
        // jensenshannon([1, 0, 0], [0, 1, 0], 2.0) -> 1.0, so with base e: sqrt(ln 2).
        DriftStatistics.JensenShannon([1.0, 0, 0], [0, 1.0, 0]).ShouldBe(Math.Sqrt(Math.Log(2)), 1e-15);
        // Counts are normalised like shares.
        DriftStatistics.JensenShannon([4.0, 0], [3.0, 3.0]).ShouldBe(0.46450140402245893, 1e-15);
    }

    [Fact]
    public void Jensen_shannon_of_text_samples_works_on_category_shares_without_nulls()
    {
        string?[] reference = ["a", "a", "b", "c"];
        string?[] current = ["a", "b", "b", "d", null];
        // Over a, b, c, d: p = (.5, .25, .25, 0), q = (.25, .5, 0, .25), m = (.375, .375, .125, .125).
        var kl1 = (0.5 * Math.Log(0.5 / 0.375)) + (0.25 * Math.Log(0.25 / 0.375)) + (0.25 * Math.Log(0.25 / 0.125));
        var kl2 = (0.25 * Math.Log(0.25 / 0.375)) + (0.5 * Math.Log(0.5 / 0.375)) + (0.25 * Math.Log(0.25 / 0.125));

        DriftStatistics.JensenShannon(reference, current).ShouldBe(Math.Sqrt((kl1 + kl2) / 2), 1e-15);
    }

    [Fact]
    public void Binned_jensen_shannon_uses_thirty_equal_width_bins_over_both_samples()
    {
        // Range [0, 30]: bins of width 1; the reference fills bins 0..9, the current bins 20..29 (30 lands in the
        // closed last bin): disjoint supports, so the distance is sqrt(ln 2).
        var reference = Sorted(Enumerable.Range(0, 10).Select(i => i + 0.5));
        var current = Sorted(Enumerable.Range(21, 10).Select(i => (double)i));

        DriftStatistics.JensenShannonBinned(reference, current).ShouldBe(Math.Sqrt(Math.Log(2)), 1e-15);
        DriftStatistics.JensenShannonBinned(reference, reference).ShouldBe(0.0);
    }

    [Fact]
    public void Missing_values_are_left_out_before_sorting()
    {
        DriftStatistics.SortedFinite([3, double.NaN, 1, double.PositiveInfinity, 2]).ShouldBe([1.0, 2.0, 3.0]);
        Should.Throw<ArgumentException>(() => DriftStatistics.KsStatistic([], [1.0]));
    }

    private static IEnumerable<bool[]> Orderings(int n, int m)
    {
        var total = n + m;
        for (var bits = 0; bits < 1 << total; bits++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)bits) == n)
            {
                yield return [.. Enumerable.Range(0, total).Select(k => (bits & (1 << k)) != 0)];
            }
        }
    }

    private static double LogChoose(int n, int k)
    {
        double s = 0;
        for (var i = 1; i <= k; i++)
        {
            s += Math.Log(n - k + i) - Math.Log(i);
        }
        return s;
    }
}
