using System.Text.Json;
using OptAIC.Engine.ML.Inference;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Inference;

public class OutputTransformTests
{
    private static readonly DateTime D1 = new(2024, 3, 1);
    private static readonly DateTime D2 = new(2024, 3, 4);

    [Theory]
    [InlineData("none", "none")]
    [InlineData(" Tanh-ZScore ", "tanh-zscore")]
    [InlineData("rank", "rank")]
    [InlineData("clip(-1, 1)", "clip(-1, 1)")]
    [InlineData("clip(-0.5,2.5)", "clip(-0.5, 2.5)")]
    [InlineData("softmax-argmax", "softmax-argmax")]
    public void Text_forms_parse_and_print_back(string text, string canonical) =>
        OutputTransform.Parse(text).ToString().ShouldBe(canonical);

    [Theory]
    [InlineData("sigmoid", "unknown output transform 'sigmoid'; use none, tanh-zscore, rank, clip(lo, hi) or softmax-argmax")]
    [InlineData("clip(1)", "output transform 'clip(1)': clip takes two numbers, e.g. clip(-1, 1)")]
    [InlineData("clip(1, -1)", "clip(1, -1): the lower bound must be below the upper bound")]
    public void Bad_text_forms_say_what_is_accepted(string text, string message) =>
        Should.Throw<OutputTransformException>(() => OutputTransform.Parse(text)).Message.ShouldBe(message);

    [Fact]
    public void Tanh_zscore_uses_the_training_mean_and_sample_std_not_the_batch()
    {
        // Training predictions 1..5: mean 3, sample std sqrt(2.5).
        var state = TransformState.Fit([1, 2, 3, 4, 5]);
        state.Mean.ShouldBe(3, 1e-12);
        state.Std.ShouldBe(Math.Sqrt(2.5), 1e-12);

        double[] batch = [4, 10, 10, double.NaN];
        OutputTransform.TanhZScore.Apply(batch, new DateTime[4], panel: false, state);

        batch[0].ShouldBe(Math.Tanh(1 / Math.Sqrt(2.5)), 1e-12);
        batch[1].ShouldBe(Math.Tanh(7 / Math.Sqrt(2.5)), 1e-12);
        double.IsNaN(batch[3]).ShouldBeTrue();

        // The score of a row does not depend on the other rows of the batch (no look-ahead).
        double[] alone = [4];
        OutputTransform.TanhZScore.Apply(alone, new DateTime[1], panel: false, state);
        alone[0].ShouldBe(batch[0]);
    }

    [Fact]
    public void Transforms_that_need_training_statistics_refuse_to_run_without_them()
    {
        Should.Throw<OutputTransformException>(() => OutputTransform.TanhZScore.Apply(new double[1], new DateTime[1], false, null))
            .Message.ShouldContain("needs the statistics of the model's training predictions");
        Should.Throw<OutputTransformException>(() => OutputTransform.Rank.Apply(new double[1], new DateTime[1], panel: false, null));
        Should.Throw<OutputTransformException>(() => OutputTransform.TanhZScore.Apply(new double[1], new DateTime[1], false, TransformState.Fit([2, 2, 2])))
            .Message.ShouldContain("standard deviation 0");
        // A panel rank needs nothing from training.
        OutputTransform.Rank.Apply(new double[1], new DateTime[1], panel: true, null);
    }

    [Fact]
    public void Panel_rank_maps_each_dates_ranks_to_minus_one_one_with_average_ranks_for_ties()
    {
        double[] scores = [0.3, -0.2, 7.0, 0.3, 0.9, double.NaN];
        DateTime[] time = [D1, D1, D2, D1, D1, D1];

        OutputTransform.Rank.Apply(scores, time, panel: true, null);

        // D1 has 4 finite scores: -0.2 rank 1, the two 0.3 share rank 2.5, 0.9 rank 4; 2(r-1)/3 - 1.
        scores[0].ShouldBe(0.0, 1e-12);
        scores[1].ShouldBe(-1.0, 1e-12);
        scores[3].ShouldBe(0.0, 1e-12);
        scores[4].ShouldBe(1.0, 1e-12);
        // D2 has a single score: 0; NaN stays NaN and does not count.
        scores[2].ShouldBe(0.0);
        double.IsNaN(scores[5]).ShouldBeTrue();
    }

    [Fact]
    public void Series_rank_is_the_mid_rank_position_within_the_training_predictions()
    {
        var state = TransformState.Fit([10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        double[] scores = [5, 0, 11, 5.5, 1];

        OutputTransform.Rank.Apply(scores, new DateTime[5], panel: false, state);

        // F(5) = (4 below + 1/2 equal) / 10 = 0.45 -> -0.1; F(1) = 0.5 / 10 -> -0.9.
        scores.ShouldBe([-0.1, -1.0, 1.0, 0.0, -0.9], tolerance: 1e-12);
    }

    [Fact]
    public void Series_rank_over_a_large_training_set_stays_within_its_documented_error()
    {
        var random = new Random(2);
        var training = Enumerable.Range(0, 50_000).Select(_ => random.NextDouble() * random.NextDouble()).ToArray();
        var state = TransformState.Fit(training);
        state.Quantiles.Length.ShouldBe(TransformState.MaxQuantiles);
        var sorted = training.Order().ToArray();

        foreach (var s in new[] { 0.001, 0.05, 0.2, 0.5, 0.9 })
        {
            var below = sorted.Count(v => v < s);
            var exact = (2.0 * below / sorted.Length) - 1;
            state.EmpiricalPosition(s).ShouldBe(exact, 2.0 / 2000);
        }
    }

    [Fact]
    public void Clip_bounds_values_and_keeps_nan()
    {
        double[] scores = [-3, -0.5, 0.7, 2, double.NaN];

        OutputTransform.Parse("clip(-1, 1)").Apply(scores, new DateTime[5], false, null);

        scores[..4].ShouldBe([-1, -0.5, 0.7, 1]);
        double.IsNaN(scores[4]).ShouldBeTrue();
    }

    [Fact]
    public void Softmax_argmax_gives_probabilities_and_the_most_likely_class()
    {
        float[] logits = [1, 2, 3, 0, 5, -1, 2, 2, 1];
        var probabilities = new double[9];
        var classes = new int[3];

        OutputTransform.ApplyMulticlass(logits, 3, 3, probabilities, classes);

        var e = new[] { Math.Exp(1), Math.Exp(2), Math.Exp(3) };
        probabilities[..3].ShouldBe([e[0] / e.Sum(), e[1] / e.Sum(), e[2] / e.Sum()], tolerance: 1e-12);
        classes.ShouldBe([2, 1, 0]); // the last row ties classes 0 and 1: the first wins
        probabilities[6..].Sum().ShouldBe(1.0, 1e-12);
    }

    [Fact]
    public void Transform_state_round_trips_through_json()
    {
        var state = TransformState.Fit([0.5, -1.25, 3, 2, 2]);

        var json = JsonSerializer.Serialize(state);
        var back = JsonSerializer.Deserialize<TransformState>(json)!;

        back.Count.ShouldBe(5);
        back.Mean.ShouldBe(state.Mean);
        back.Std.ShouldBe(state.Std);
        back.Quantiles.ShouldBe([-1.25, 0.5, 2, 2, 3]);
        back.EmpiricalPosition(2).ShouldBe(state.EmpiricalPosition(2));
    }
}
