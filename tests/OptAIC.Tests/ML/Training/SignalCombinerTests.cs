using OptAIC.Engine.ML.Metrics;
using OptAIC.Engine.ML.Models;
using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

public class SignalCombinerTests
{
    /// <summary>Three independent uniform signals in [-1, 1]; label = 0.6 s0 + 0.3 s1 + 0 s2 + noise.</summary>
    private static (double[][] Signals, double[] Label) Synthetic(int rows, int seed = 3)
    {
        var random = new Random(seed);
        var signals = new double[3][];
        for (var k = 0; k < 3; k++)
        {
            signals[k] = [.. Enumerable.Range(0, rows).Select(_ => random.NextDouble() * 2 - 1)];
        }
        var label = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            label[i] = 0.6 * signals[0][i] + 0.3 * signals[1][i] + 0.05 * TrainingTestData.Normal(random);
        }
        return (signals, label);
    }

    [Fact]
    public void Ridge_without_penalty_recovers_the_true_weights()
    {
        var (signals, label) = Synthetic(4000);

        var model = SignalCombiner.Ridge(0).Fit(signals, label);

        model.Weights.ShouldBe([0.6, 0.3, 0.0], 0.01);
    }

    [Fact]
    public void Ridge_matches_the_closed_form_with_the_penalty_per_row()
    {
        // Two signals: solve the 2 x 2 system (X'X/n + lambda I) w = X'y/n by Cramer's rule.
        var (signals, label) = Synthetic(500);
        var two = signals[..2];
        const double lambda = 0.5;
        var n = label.Length;
        double a = 0, b = 0, d = 0, u = 0, v = 0;
        for (var i = 0; i < n; i++)
        {
            a += two[0][i] * two[0][i] / n;
            b += two[0][i] * two[1][i] / n;
            d += two[1][i] * two[1][i] / n;
            u += two[0][i] * label[i] / n;
            v += two[1][i] * label[i] / n;
        }
        a += lambda;
        d += lambda;
        var det = a * d - b * b;

        var model = SignalCombiner.Ridge(lambda).Fit(two, label);

        model.Weights.ShouldBe([(u * d - b * v) / det, (a * v - b * u) / det], 1e-12);
    }

    [Fact]
    public void Ic_weights_are_proportional_to_positive_ics()
    {
        var (signals, label) = Synthetic(2000);
        var flipped = signals[2].Select((s, i) => -signals[0][i]).ToArray();
        double[][] inputs = [signals[0], signals[1], flipped];
        var ic0 = SignalMetrics.Ic(signals[0], label);
        var ic1 = SignalMetrics.Ic(signals[1], label);

        var model = SignalCombiner.IcWeighted().Fit(inputs, label);

        model.Weights.ShouldBe([ic0 / (ic0 + ic1), ic1 / (ic0 + ic1), 0], 1e-12);
    }

    [Fact]
    public void Ic_weights_fall_back_to_equal_when_no_signal_has_a_positive_ic()
    {
        var (signals, label) = Synthetic(500);
        double[][] inputs = [[.. signals[0].Select(s => -s)], [.. signals[1].Select(s => -s)]];

        SignalCombiner.IcWeighted().Fit(inputs, label).Weights.ShouldBe([0.5, 0.5]);
        SignalCombiner.Equal().Fit(signals, label).Weights.ShouldBe([1.0 / 3, 1.0 / 3, 1.0 / 3]);
    }

    [Fact]
    public void Combined_signals_are_clipped_and_a_missing_input_has_no_view()
    {
        var model = new CombinerModel(CombineMethod.Ridge, 0, [2, 1]);
        double[][] signals = [[0.2, 0.9, double.NaN, double.NaN, -0.8], [0.1, 0.5, 0.3, double.NaN, 0.1]];

        var combined = model.Combine(signals);

        combined[0].ShouldBe(0.5, 1e-12);
        combined[1].ShouldBe(1);
        combined[2].ShouldBe(0.3, 1e-12);
        double.IsNaN(combined[3]).ShouldBeTrue();
        combined[4].ShouldBe(-1);
    }

    [Fact]
    public void A_combiner_round_trips_through_bytes()
    {
        var (signals, label) = Synthetic(300);
        var model = SignalCombiner.Ridge(0.1).Fit(signals, label);

        var loaded = CombinerModel.FromBytes(model.ToBytes());

        loaded.Weights.ShouldBe(model.Weights);
        loaded.Method.ShouldBe(CombineMethod.Ridge);
        loaded.Lambda.ShouldBe(0.1);
        loaded.Combine(signals).ShouldBe(model.Combine(signals));
        loaded.Sha256.ShouldBe(model.Sha256);
        Should.Throw<ModelArtifactException>(() => CombinerModel.FromBytes([1, 2, 3]));
    }

    [Fact]
    public void Collinear_signals_need_a_penalty()
    {
        var (signals, label) = Synthetic(200);
        double[][] twice = [signals[0], [.. signals[0].Select(s => s * 0.5)]];

        Should.Throw<ModelConfigurationException>(() => SignalCombiner.Ridge(0).Fit(twice, label)).Message.ShouldContain("lambda > 0");
        SignalCombiner.Ridge(0.01).Fit(twice, label).Weights.ShouldAllBe(w => double.IsFinite(w));
    }

    [Fact]
    public void Misaligned_signals_are_rejected()
    {
        Should.Throw<TrainingDataException>(() => SignalCombiner.Equal().Fit([[1, 2], [1]], [1, 2]))
            .Message.ShouldContain("input signal 1 has 1 values but 2 rows");
        Should.Throw<TrainingDataException>(() => new CombinerModel(CombineMethod.Equal, 0, [0.5, 0.5]).Combine([[1.0]]))
            .Message.ShouldContain("fitted on 2 signals but 1 were given");
    }
}
