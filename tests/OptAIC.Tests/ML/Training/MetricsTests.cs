using FsCheck;
using FsCheck.Fluent;
using OptAIC.Engine.ML.Metrics;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

public class MetricsTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void Ic_is_the_pearson_correlation_of_the_pairs_without_nan()
    {
        // By hand: dx = [-2,-1,0,1,2], dy = [-2,0,1,0,1]; sxy = 6, sxx = 10, syy = 6.
        double[] prediction = [1, 2, double.NaN, 3, 4, 5, 7];
        double[] label = [2, 4, 9, 5, 4, 5, double.NaN];

        SignalMetrics.Ic(prediction, label).ShouldBe(6 / Math.Sqrt(60), Tolerance);
    }

    [Fact]
    public void Rank_ic_gives_tied_values_their_average_rank()
    {
        // By hand (as scipy.stats.spearmanr): ranks x = [1, 2.5, 2.5, 4, 5], ranks y = [2, 1, 4, 3, 5];
        // sxy = 6.5, sxx = 9.5, syy = 10, so rho = 6.5 / sqrt(95) = 0.666886...
        double[] x = [1, 2, 2, 3, 4, double.NaN];
        double[] y = [2, 1, 4, 3, 5, 1];

        SignalMetrics.RankIc(x, y).ShouldBe(6.5 / Math.Sqrt(95), Tolerance);
    }

    [Fact]
    public void Rank_ic_does_not_change_under_a_monotone_transform() =>
        Prop.ForAll(Arb.From(Gen.Choose(-1000, 1000).ArrayOf().Where(a => a.Length > 3)), values =>
        {
            var x = values.Select(v => (double)v).ToArray();
            var y = values.Select((v, i) => (double)((v * 7 + i * 13) % 101)).ToArray();
            var cubed = x.Select(v => v * v * v + 3).ToArray();
            var a = SignalMetrics.RankIc(x, y);
            var b = SignalMetrics.RankIc(cubed, y);
            return (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) < 1e-12;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Ic_matches_a_one_pass_reference_formula() =>
        Prop.ForAll(Arb.From(Gen.Choose(-500, 500).Two().ArrayOf().Where(a => a.Length > 2)), pairs =>
        {
            var x = pairs.Select(p => p.Item1 / 10.0).ToArray();
            var y = pairs.Select(p => p.Item2 / 10.0).ToArray();
            double n = x.Length, sx = x.Sum(), sy = y.Sum();
            var sxy = x.Zip(y, (a, b) => a * b).Sum();
            var sxx = x.Sum(a => a * a);
            var syy = y.Sum(b => b * b);
            var denominator = Math.Sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
            var actual = SignalMetrics.Ic(x, y);
            return denominator < 1e-6 ? double.IsNaN(actual) || Math.Abs(actual) <= 1
                : Math.Abs(actual - (n * sxy - sx * sy) / denominator) < 1e-9;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Icir_of_a_single_series_takes_one_ic_per_calendar_month()
    {
        // January: perfect (IC 1). February: by hand sxy = 3.5, sxx = 5, syy = 4.75.
        // March: sxy = 1, sxx = 2, syy = 2 (IC 0.5). April has 2 rows: too few, left out.
        var rows = new List<(DateTime T, double P, double Y)>
        {
            (new(2020, 1, 2), 1, 1), (new(2020, 1, 3), 2, 2), (new(2020, 1, 6), 3, 3),
            (new(2020, 2, 3), 1, 2), (new(2020, 2, 4), 2, 4), (new(2020, 2, 5), 3, 5), (new(2020, 2, 6), 4, 4),
            (new(2020, 3, 2), 1, 1), (new(2020, 3, 3), 2, 3), (new(2020, 3, 4), 3, 2),
            (new(2020, 4, 1), 1, 5), (new(2020, 4, 2), 2, -5),
        };
        double[] expectedIcs = [1, 3.5 / Math.Sqrt(5 * 4.75), 0.5];
        var mean = expectedIcs.Average();
        var std = Math.Sqrt(expectedIcs.Sum(v => (v - mean) * (v - mean)) / 2);

        var ics = SignalMetrics.PeriodIcs([.. rows.Select(r => r.P)], [.. rows.Select(r => r.Y)], [.. rows.Select(r => r.T)], null);
        var icir = SignalMetrics.IcIr([.. rows.Select(r => r.P)], [.. rows.Select(r => r.Y)], [.. rows.Select(r => r.T)], null);

        ics.Length.ShouldBe(4);
        ics.Take(3).ToArray().ShouldBe(expectedIcs, Tolerance);
        double.IsNaN(ics[3]).ShouldBeTrue();
        icir.ShouldBe(mean / std, Tolerance);
    }

    [Fact]
    public void Icir_of_a_panel_takes_one_cross_sectional_ic_per_date()
    {
        var d1 = new DateTime(2021, 5, 3);
        var d2 = new DateTime(2021, 5, 4);
        // d1: p = [1,2,3], y = [1,3,2] -> 0.5 (see the monthly test); d2: p = [3,2,1], y = [1,2,3] -> -1.
        DateTime[] times = [d1, d1, d1, d2, d2, d2];
        double[] p = [1, 2, 3, 3, 2, 1];
        double[] y = [1, 3, 2, 1, 2, 3];
        string[] entities = ["a", "b", "c", "a", "b", "c"];
        var mean = (0.5 - 1) / 2;
        var std = Math.Sqrt(((0.5 - mean) * (0.5 - mean) + (-1 - mean) * (-1 - mean)) / 1);

        SignalMetrics.PeriodIcs(p, y, times, entities).ShouldBe([0.5, -1], Tolerance);
        SignalMetrics.IcIr(p, y, times, entities).ShouldBe(mean / std, Tolerance);
    }

    [Fact]
    public void Hit_rate_counts_matching_signs_and_skips_zeros_and_nan()
    {
        // (1,1) hit, (-1,1) miss, (2,2) hit, (0,5) no call, (-3,-1) hit, (NaN,1) skipped, (1,0) skipped.
        double[] p = [1, -1, 2, 0, -3, double.NaN, 1];
        double[] y = [1, 1, 2, 5, -1, 1, 0];

        SignalMetrics.HitRate(p, y).ShouldBe(0.75, Tolerance);
    }

    [Fact]
    public void Turnover_is_half_the_mean_absolute_change_per_entity_then_averaged_over_entities()
    {
        var t = new DateTime(2022, 1, 3);
        // Rows out of time order: entity a is [1, -1] in time (turnover 1);
        // entity b is [0.2, 0.4, 0.4] (changes 0.2 and 0: turnover (0.1 + 0) / 2 = 0.05).
        double[] signal = [0.4, -1, 0.2, 1, 0.4];
        DateTime[] times = [t.AddDays(1), t.AddDays(1), t, t, t.AddDays(2)];
        string[] entities = ["b", "a", "b", "a", "b"];

        SignalMetrics.Turnover(signal, times, entities).ShouldBe((1 + 0.05) / 2, Tolerance);
        SignalMetrics.Turnover([0, 1, -1, -1, double.NaN], [t, t.AddDays(1), t.AddDays(2), t.AddDays(3), t.AddDays(4)], null)
            .ShouldBe((0.5 + 1 + 0) / 3, Tolerance);
    }

    [Fact]
    public void Regression_metrics_match_hand_computed_values()
    {
        // errors 0, -1, -2: RMSE sqrt(5/3), MAE 1; mean y = 3, SStot = 8, SSres = 5, R2 = 0.375.
        double[] p = [1, 2, 3, double.NaN];
        double[] y = [1, 3, 5, 100];

        RegressionMetrics.Rmse(p, y).ShouldBe(Math.Sqrt(5.0 / 3), Tolerance);
        RegressionMetrics.Mae(p, y).ShouldBe(1, Tolerance);
        RegressionMetrics.R2(p, y).ShouldBe(0.375, Tolerance);
    }

    [Fact]
    public void Classification_metrics_match_hand_computed_values()
    {
        double[] labels = [0, 1, 2, 2, 1, double.NaN];
        double[] probabilities =
        [
            0.7, 0.2, 0.1, // predicts 0, right
            0.1, 0.3, 0.6, // predicts 2, wrong
            0.2, 0.2, 0.6, // predicts 2, right
            0.5, 0.1, 0.4, // predicts 0, wrong
            0.1, 0.8, 0.1, // predicts 1, right
            0.3, 0.3, 0.4, // no label: skipped
        ];
        // F1 per class: 0 -> 2/(2+1+0), 1 -> 2/(2+0+1), 2 -> 2/(2+1+1).
        var macroF1 = (2.0 / 3 + 2.0 / 3 + 0.5) / 3;
        var logLoss = -(Math.Log(0.7) + Math.Log(0.3) + Math.Log(0.6) + Math.Log(0.4) + Math.Log(0.8)) / 5;

        ClassificationMetrics.Accuracy(labels, probabilities, 3).ShouldBe(0.6, Tolerance);
        ClassificationMetrics.MacroF1(labels, probabilities, 3).ShouldBe(macroF1, Tolerance);
        ClassificationMetrics.Recall(labels, probabilities, 3).ShouldBe([1, 0.5, 0.5], Tolerance);
        ClassificationMetrics.LogLoss(labels, probabilities, 3).ShouldBe(logLoss, Tolerance);
    }

    [Fact]
    public void Log_loss_clips_a_zero_probability_at_1e_minus_15()
    {
        ClassificationMetrics.LogLoss([1], [1, 0], 2).ShouldBe(-Math.Log(1e-15), 1e-9);
    }

    [Fact]
    public void Metrics_without_enough_data_are_nan_not_an_exception()
    {
        double.IsNaN(SignalMetrics.Ic([1], [2])).ShouldBeTrue();
        double.IsNaN(SignalMetrics.Ic([1, 1, 1], [1, 2, 3])).ShouldBeTrue();
        double.IsNaN(SignalMetrics.HitRate([0, 0], [1, 1])).ShouldBeTrue();
        double.IsNaN(RegressionMetrics.R2([1, 2], [3, 3])).ShouldBeTrue();
        double.IsNaN(SignalMetrics.IcIr([0.1])).ShouldBeTrue();
    }

    [Fact]
    public void Inputs_of_different_lengths_are_rejected_with_a_message()
    {
        Should.Throw<ArgumentException>(() => SignalMetrics.Ic([1, 2], [1])).Message.ShouldContain("different lengths");
    }
}
