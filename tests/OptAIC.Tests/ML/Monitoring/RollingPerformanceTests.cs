using OptAIC.Engine.ML.Monitoring;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Monitoring;

public class RollingPerformanceTests
{
    [Fact]
    public void Spearman_matches_scipys_documented_example() =>
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) -> statistic 0.8207826816681233
        RollingPerformance.Spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).ShouldBe(0.8207826816681233, 1e-15);

    [Fact]
    public void Panel_rank_ic_is_per_date_and_rolls_over_the_window_then_flags_decay()
    {
        // 5 dates x 4 assets. On dates 1-2 the label orders assets like the score (IC 1, all signs right);
        // on dates 3-5 in reverse (IC -1, signs all wrong).
        var time = new List<DateTime>();
        var entity = new List<string>();
        var score = new List<double>();
        var label = new List<double>();
        double[] s = [-0.6, -0.2, 0.3, 0.9];
        for (var d = 0; d < 5; d++)
        {
            for (var a = 0; a < 4; a++)
            {
                time.Add(new DateTime(2024, 1, 1).AddDays(d));
                entity.Add($"A{a}");
                score.Add(s[a]);
                label.Add(d < 2 ? s[a] * 0.01 : -s[a] * 0.01);
            }
        }
        // A row whose label is not known yet is left out.
        time.Add(new DateTime(2024, 1, 5));
        entity.Add("A9");
        score.Add(5);
        label.Add(double.NaN);

        var performance = RollingPerformance.Compute(time, entity, score, label, window: 3, decayThreshold: 0);

        performance.RankIc.ShouldBe([1.0, 1.0, -1.0, -1.0, -1.0], tolerance: 1e-12);
        double.IsNaN(performance.RollingRankIc[1]).ShouldBeTrue();
        performance.RollingRankIc.Skip(2).ShouldBe([1.0 / 3, -1.0 / 3, -1.0], tolerance: 1e-12);
        performance.RollingHitRate.Skip(2).ShouldBe([2.0 / 3, 1.0 / 3, 0.0], tolerance: 1e-12);
        performance.Decayed.ShouldBeTrue();
        var summary = performance.Summary();
        summary.Periods.ShouldBe(5);
        summary.LastPeriod.ShouldBe(new DateTime(2024, 1, 5));
        summary.RollingRankIc!.Value.ShouldBe(-1.0, 1e-12);
        summary.MeanRankIc!.Value.ShouldBe(-0.2, 1e-12);
        summary.Decayed.ShouldBeTrue();
    }

    [Fact]
    public void A_single_series_rolls_spearman_over_the_last_window_rows()
    {
        var random = new Random(3);
        var n = 60;
        var time = Enumerable.Range(0, n).Select(i => new DateTime(2024, 1, 1).AddDays(i)).ToArray();
        var score = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        var label = score.Select((v, i) => i < 40 ? v + ((random.NextDouble() - 0.5) * 0.2) : -v).ToArray();

        var performance = RollingPerformance.Compute(time, null, score, label, window: 10, decayThreshold: 0.05);

        for (var p = 9; p < n; p++)
        {
            performance.RollingRankIc[p].ShouldBe(RollingPerformance.Spearman(score.AsSpan(p - 9, 10), label.AsSpan(p - 9, 10)), 1e-12);
        }
        performance.LatestRollingRankIc.ShouldBe(-1.0, 1e-12);
        performance.LatestRollingHitRate.ShouldBe(0.0);
        performance.Decayed.ShouldBeTrue();
        Should.Throw<ArgumentException>(() => RollingPerformance.Compute([time[0], time[0]], null, [1.0, 2.0], [1.0, 2.0], 2))
            .Message.ShouldContain("pass the entity column for a panel");
    }

    [Fact]
    public void Without_a_full_window_there_is_no_value_and_no_decay()
    {
        var time = Enumerable.Range(0, 5).Select(i => new DateTime(2024, 1, 1).AddDays(i)).ToArray();

        var performance = RollingPerformance.Compute(time, null, [1.0, 2, 3, 4, 5], [-1.0, -2, -3, -4, -5], window: 20);

        double.IsNaN(performance.LatestRollingRankIc).ShouldBeTrue();
        performance.Decayed.ShouldBeFalse();
        performance.Summary().RollingRankIc.ShouldBeNull();
    }
}
