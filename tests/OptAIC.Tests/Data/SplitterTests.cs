using FsCheck.Xunit;
using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

public class SplitterTests
{
    private static readonly DateTime Day0 = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static DateTime[] Series(int steps) => [.. Enumerable.Range(0, steps).Select(i => Day0.AddDays(i))];

    /// <summary>A panel with <paramref name="perDate"/> rows on each of <paramref name="steps"/> dates.</summary>
    private static DateTime[] Panel(int steps, int perDate) => [.. Enumerable.Range(0, steps).SelectMany(i => Enumerable.Repeat(Day0.AddDays(i), perDate))];

    private static int[] Range(int from, int toExclusive) => [.. Enumerable.Range(from, toExclusive - from)];

    [Fact]
    public void Walk_forward_expanding_trains_on_everything_before_the_gap()
    {
        // 10 steps, 3 folds: test blocks of 10 / 4 = 2 steps at [4,6), [6,8), [8,10); horizon 1 purges one step before each.
        var folds = new WalkForwardSplitter(3, labelHorizon: 1).Split(Series(10));

        folds.Select(f => f.Test).ShouldBe([Range(4, 6), Range(6, 8), Range(8, 10)]);
        folds.Select(f => f.Train).ShouldBe([Range(0, 3), Range(0, 5), Range(0, 7)]);
    }

    [Fact]
    public void Walk_forward_rolling_keeps_a_fixed_window_and_embargo_widens_the_gap()
    {
        var folds = new WalkForwardSplitter(3, TrainWindow.Rolling, trainSize: 2, testSize: 2, labelHorizon: 1, embargo: 1).Split(Series(12));

        folds.Select(f => f.Test).ShouldBe([Range(6, 8), Range(8, 10), Range(10, 12)]);
        folds.Select(f => f.Train).ShouldBe([Range(2, 4), Range(4, 6), Range(6, 8)]);
    }

    [Fact]
    public void Purged_k_fold_purges_overlapping_labels_and_embargoes_after_each_test_fold()
    {
        // 20 steps, 4 folds of 5; horizon 2, embargo 1. Fold 2 tests [5, 9]: steps 3-4 are purged
        // (labels reach step 5), 10-11 purged (they overlap test labels up to step 11), 12 embargoed.
        var folds = new PurgedKFoldSplitter(4, labelHorizon: 2, embargo: 1).Split(Series(20));

        folds.Select(f => f.Test).ShouldBe([Range(0, 5), Range(5, 10), Range(10, 15), Range(15, 20)]);
        folds[1].Train.ShouldBe([0, 1, 2, .. Range(13, 20)]);
        folds[0].Train.ShouldBe(Range(8, 20));
        folds[3].Train.ShouldBe(Range(0, 13));
    }

    [Fact]
    public void Panels_split_by_date_so_all_rows_of_a_date_stay_on_one_side()
    {
        var time = Panel(steps: 9, perDate: 3);

        foreach (var fold in new PurgedKFoldSplitter(3, labelHorizon: 1).Split(time).Concat(new WalkForwardSplitter(2).Split(time)))
        {
            var trainDates = fold.Train.Select(i => time[i]).ToHashSet();
            var testDates = fold.Test.Select(i => time[i]).ToHashSet();
            trainDates.Overlaps(testDates).ShouldBeFalse();
            fold.Test.Length.ShouldBe(testDates.Count * 3);
            fold.Train.Length.ShouldBe(trainDates.Count * 3);
        }
    }

    [Theory]
    [InlineData(4, 4, 0, 0, "4 time steps are too few for 4 walk-forward folds")]
    [InlineData(10, 3, 3, 1, "at least 11 are needed")]
    public void Walk_forward_says_when_there_are_too_few_rows(int steps, int folds, int horizon, int embargo, string message)
    {
        Should.Throw<SplitException>(() => new WalkForwardSplitter(folds, labelHorizon: horizon, embargo: embargo).Split(Series(steps)))
            .Message.ShouldContain(message);
    }

    [Fact]
    public void Bad_settings_and_unsorted_rows_are_refused_with_clear_messages()
    {
        Should.Throw<SplitException>(() => new PurgedKFoldSplitter(1)).Message.ShouldContain("at least 2 folds");
        Should.Throw<SplitException>(() => new PurgedKFoldSplitter(3, embargo: -1)).Message.ShouldContain("embargo cannot be negative");
        Should.Throw<SplitException>(() => new PurgedKFoldSplitter(5).Split(Series(4))).Message.ShouldContain("4 time steps are too few for 5 purged folds");
        Should.Throw<SplitException>(() => new PurgedKFoldSplitter(2, labelHorizon: 10).Split(Series(4))).Message.ShouldContain("no training rows left");
        Should.Throw<SplitException>(() => new WalkForwardSplitter(2).Split([Day0.AddDays(1), Day0])).Message.ShouldContain("sorted by time");
    }

    [Property(MaxTest = 300)]
    public void Purged_k_fold_never_lets_a_training_label_overlap_a_test_period_and_covers_every_row_once(byte stepsSeed, byte foldsSeed, byte horizonSeed, byte embargoSeed, bool panel)
    {
        var steps = (stepsSeed % 60) + 2;
        var k = (foldsSeed % 6) + 2;
        var h = horizonSeed % 5;
        var e = embargoSeed % 4;
        var time = panel ? Panel(steps, 2) : Series(steps);
        var step = time.Select(t => (int)(t - Day0).TotalDays).ToArray();

        IReadOnlyList<Fold> folds;
        try
        {
            folds = new PurgedKFoldSplitter(k, h, e).Split(time);
        }
        catch (SplitException)
        {
            // Only when some fold would be left without training rows.
            (steps < k || Enumerable.Range(0, k).Any(f => TrainStepsLeft(steps, k, f, h, e) == 0)).ShouldBeTrue();
            return;
        }

        folds.SelectMany(f => f.Test).Order().ShouldBe(Enumerable.Range(0, time.Length));
        foreach (var fold in folds)
        {
            var a = step[fold.Test[0]];
            var b = step[fold.Test[^1]];
            fold.Test.Select(i => step[i]).Distinct().Count().ShouldBe(b - a + 1); // contiguous in time
            foreach (var i in fold.Train)
            {
                var t = step[i];
                (t + h < a || t > b + h).ShouldBeTrue($"train step {t} label [{t}, {t + h}] overlaps test [{a}, {b}] (labels to {b + h})");
                (t > b && t <= b + h + e).ShouldBeFalse($"train step {t} is inside the embargo after test [{a}, {b}]");
            }
        }
    }

    [Property(MaxTest = 300)]
    public void Walk_forward_trains_only_before_each_test_block_with_labels_ending_before_it(byte stepsSeed, byte foldsSeed, byte horizonSeed, byte embargoSeed, bool rolling)
    {
        var steps = (stepsSeed % 80) + 1;
        var k = (foldsSeed % 5) + 1;
        var h = horizonSeed % 5;
        var e = embargoSeed % 3;
        var time = Series(steps);

        IReadOnlyList<Fold> folds;
        try
        {
            folds = new WalkForwardSplitter(k, rolling ? TrainWindow.Rolling : TrainWindow.Expanding, labelHorizon: h, embargo: e).Split(time);
        }
        catch (SplitException)
        {
            var testSize = steps / (k + 1);
            (testSize < 1 || (k * testSize) + h + e >= steps).ShouldBeTrue();
            return;
        }

        folds.Count.ShouldBe(k);
        for (var f = 0; f < k; f++)
        {
            var a = folds[f].Test[0];
            folds[f].Test.ShouldBe(Range(a, a + folds[f].Test.Length));
            folds[f].Train.ShouldNotBeEmpty();
            folds[f].Train.Max().ShouldBeLessThan(a - h - e);
            if (f > 0)
            {
                a.ShouldBe(folds[f - 1].Test[^1] + 1);
            }
        }
        folds[^1].Test[^1].ShouldBe(steps - 1);
    }

    private static int TrainStepsLeft(int steps, int k, int f, int h, int e)
    {
        var start = 0;
        for (var i = 0; i < f; i++)
        {
            start += (steps / k) + (i < steps % k ? 1 : 0);
        }
        var size = (steps / k) + (f < steps % k ? 1 : 0);
        var b = start + size - 1;
        return Math.Max(0, start - h) + Math.Max(0, steps - (b + h + e + 1));
    }
}
