using FsCheck.Xunit;
using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

public class PointInTimeTests
{
    private static readonly DateTime Day0 = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static DateTime D(double days) => Day0.AddDays(days);

    [Fact]
    public void Each_decision_sees_the_latest_row_known_by_then_and_nan_before_anything_is_known()
    {
        // Daily closes known the next morning (lag 9h after a 16:00 close: 01:00 next day).
        var time = new[] { D(0.67), D(1.67), D(2.67) };
        var source = new Frame(time, knownAt: [.. time.Select(t => t.AddHours(9))]).AddNumeric("close", [10, 11, 12]);
        var decisions = new Frame([D(0.9), D(1.5), D(2.0), D(2.5), D(3.5)]);

        var joined = PointInTime.AsOfJoin(decisions, source, ["close"], "spx_");

        // At day 1.5 the day-1 close (known 2.045) is not yet out; the day-0 close (known 1.045) is.
        joined.Numeric("spx_close").ShouldBe([double.NaN, 10, 10, 11, 12]);
        joined.Time.ShouldBeSameAs(decisions.Time);
    }

    [Fact]
    public void Panels_join_per_entity_and_a_single_series_joins_to_every_entity()
    {
        var source = new Frame([D(0), D(0), D(1)], ["A", "B", "A"]).AddNumeric("x", [1, 2, 3]).AddText("tag", ["a0", "b0", "a1"]);
        var market = new Frame([D(0), D(1)]).AddNumeric("vix", [20, 30]);
        var decisions = new Frame([D(1), D(1), D(1)], ["A", "B", "C"]);

        var joined = PointInTime.AsOfJoin(PointInTime.AsOfJoin(decisions, source, ["x", "tag"]), market, ["vix"]);

        joined.Numeric("x").ShouldBe([3, 2, double.NaN]);
        joined.Text("tag").ShouldBe(["a1", "b0", null]);
        joined.Numeric("vix").ShouldBe([30.0, 30, 30]);
    }

    [Fact]
    public void A_later_revision_of_the_same_date_wins_once_it_is_known()
    {
        // Day-0 value first published at day 1 (5.0) and revised at day 3 (5.5).
        var source = new Frame([D(0), D(0)], knownAt: [D(1), D(3)]).AddNumeric("gdp", [5.0, 5.5]);
        var decisions = new Frame([D(2), D(3)]);

        PointInTime.AsOfJoin(decisions, source, ["gdp"]).Numeric("gdp").ShouldBe([5.0, 5.5]);
    }

    [Fact]
    public void Joining_refuses_unknown_columns_name_clashes_and_a_panel_source_for_a_single_series()
    {
        var source = new Frame([D(0)], ["A"]).AddNumeric("x", [1]);

        Should.Throw<ArgumentException>(() => PointInTime.AsOfJoin(new Frame([D(1)], ["A"]), source, ["y"])).Message.ShouldContain("no column 'y'");
        Should.Throw<ArgumentException>(() => PointInTime.AsOfJoin(new Frame([D(1)], ["A"]).AddNumeric("x", [0]), source, ["x"])).Message.ShouldContain("pass a prefix");
        Should.Throw<ArgumentException>(() => PointInTime.AsOfJoin(new Frame([D(1)]), source, ["x"])).Message.ShouldContain("single series");
    }

    [Fact]
    public void Slice_keeps_rows_inside_an_inclusive_window()
    {
        var frame = new Frame([D(0), D(1), D(2), D(3)]).AddNumeric("x", [0, 1, 2, 3]);

        PointInTime.Slice(frame, new TimeWindow(D(1), D(2))).Numeric("x").ShouldBe([1.0, 2]);
        PointInTime.Slice(frame, new TimeWindow(null, D(0))).Numeric("x").ShouldBe([0.0]);
        PointInTime.Slice(frame, TimeWindow.All).RowCount.ShouldBe(4);
        Should.Throw<ArgumentException>(() => new TimeWindow(D(2), D(1)));
    }

    /// <summary>A random panel source with per-row knowledge lags (revisions included) and random decisions.</summary>
    private static (Frame Source, Frame Decisions) RandomCase(int seed, int sourceRows, int decisionRows)
    {
        var random = new Random(seed);
        string[] entities = ["A", "B", "C"];
        var rows = Enumerable.Range(0, sourceRows)
            .Select(_ => (Time: D(random.Next(0, 20)), Entity: entities[random.Next(3)]))
            .OrderBy(r => r.Time).ThenBy(r => r.Entity, StringComparer.Ordinal).ToArray();
        var source = new Frame(
                [.. rows.Select(r => r.Time)],
                [.. rows.Select(r => r.Entity)],
                [.. rows.Select(r => r.Time.AddMinutes(random.Next(0, 96 * 60)))])
            .AddNumeric("x", [.. rows.Select(_ => Math.Round(random.NextDouble(), 3))]);
        var decided = Enumerable.Range(0, decisionRows)
            .Select(_ => (Time: D(random.Next(0, 24) + (random.Next(0, 4) / 4.0)), Entity: entities[random.Next(3)]))
            .ToArray();
        var decisions = new Frame([.. decided.Select(d => d.Time)], [.. decided.Select(d => d.Entity)]);
        return (source, decisions);
    }

    [Property(MaxTest = 300)]
    public void Perturbing_source_rows_known_after_t_never_changes_values_joined_at_decisions_up_to_t(int seed, byte sourceRows, byte decisionRows, byte cutoff)
    {
        var (source, decisions) = RandomCase(seed, sourceRows % 60, (decisionRows % 40) + 1);
        // The cutoff is a decision time, the sharpest place for a leak to show.
        var t = decisions.Time[cutoff % decisions.RowCount];
        var random = new Random(seed ^ 0x5EED);

        // Rows not yet known at t get other values, other times and later knowledge times.
        var time = (DateTime[])source.Time.Clone();
        var known = (DateTime[])source.KnownAt.Clone();
        var x = (double[])source.Numeric("x").Clone();
        for (var i = 0; i < source.RowCount; i++)
        {
            if (known[i] > t)
            {
                x[i] = 1000 + random.Next(1000);
                time[i] = time[i].AddDays(random.Next(-5, 6));
                known[i] = known[i].AddHours(random.Next(0, 48));
            }
        }
        var perturbed = new Frame(time, source.Entity, known).AddNumeric("x", x);

        var before = PointInTime.AsOfJoin(decisions, source, ["x"]).Numeric("x");
        var after = PointInTime.AsOfJoin(decisions, perturbed, ["x"]).Numeric("x");

        for (var i = 0; i < decisions.RowCount; i++)
        {
            if (decisions.Time[i] <= t)
            {
                after[i].ShouldBe(before[i], $"decision {i} at {decisions.Time[i]:O} changed when rows known after {t:O} changed");
                (after[i] >= 1000).ShouldBeFalse();
            }
        }
    }

    [Property(MaxTest = 300)]
    public void The_join_equals_a_brute_force_scan_of_every_source_row(int seed, byte sourceRows, byte decisionRows)
    {
        var (source, decisions) = RandomCase(seed, sourceRows % 60, (decisionRows % 40) + 1);

        var joined = PointInTime.AsOfJoin(decisions, source, ["x"]).Numeric("x");

        for (var i = 0; i < decisions.RowCount; i++)
        {
            var best = -1;
            for (var j = 0; j < source.RowCount; j++)
            {
                if (source.Entity![j] != decisions.Entity![i] || source.KnownAt[j] > decisions.Time[i])
                {
                    continue;
                }
                if (best < 0 || source.Time[j] > source.Time[best] || (source.Time[j] == source.Time[best] && (source.KnownAt[j] > source.KnownAt[best] || (source.KnownAt[j] == source.KnownAt[best] && j > best))))
                {
                    best = j;
                }
            }
            joined[i].ShouldBe(best < 0 ? double.NaN : source.Numeric("x")[best]);
            if (best >= 0)
            {
                source.KnownAt[best].ShouldBeLessThanOrEqualTo(decisions.Time[i]);
            }
        }
    }
}
