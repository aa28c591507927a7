using OptAIC.Engine.ML.Models;
using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

public class SignalFilterTests
{
    [Fact]
    public void Threshold_zeroes_small_signals_and_keeps_nan()
    {
        var filtered = SignalFilter.Threshold(0.2).Apply([0.1, -0.19, 0.2, -0.5, double.NaN]);

        filtered[..4].ShouldBe([0, 0, 0.2, -0.5]);
        double.IsNaN(filtered[4]).ShouldBeTrue();
    }

    [Fact]
    public void Top_k_keeps_the_largest_absolute_signals_of_each_date()
    {
        var d1 = new DateTime(2023, 3, 1);
        var d2 = new DateTime(2023, 3, 2);
        double[] signal = [0.1, -0.9, 0.5, 0.3, 0.4, -0.4, 0.2, double.NaN];
        DateTime[] times = [d1, d1, d1, d1, d2, d2, d2, d2];

        var filtered = SignalFilter.TopK(2).Apply(signal, times);

        // d1 keeps -0.9 and 0.5; d2 has a tie at 0.4 / -0.4: both fit in k = 2; NaN stays NaN.
        filtered[..7].ShouldBe([0, -0.9, 0.5, 0, 0.4, -0.4, 0]);
        double.IsNaN(filtered[7]).ShouldBeTrue();
        SignalFilter.TopK(1).Apply(signal, times)[4..7].ShouldBe([0.4, 0, 0]);
    }

    [Fact]
    public void Regime_gate_zeroes_blocked_and_unknown_regimes()
    {
        var filtered = SignalFilter.RegimeGate([2]).Apply([0.5, 0.5, 0.5, 0.5], regimeClasses: [0, 2, 1, -1]);

        filtered.ShouldBe([0.5, 0, 0.5, 0]);
    }

    [Fact]
    public void Regime_scale_multiplies_per_regime_and_clips()
    {
        var filter = SignalFilter.RegimeScale(new Dictionary<int, double> { [0] = 0.5, [1] = 3 });

        filter.Apply([0.8, 0.8, -0.8, 0.8], regimeClasses: [0, 1, 1, 2]).ShouldBe([0.4, 1, -1, 0.8], 1e-12);
    }

    [Fact]
    public void A_filter_without_the_inputs_it_needs_says_so()
    {
        Should.Throw<TrainingDataException>(() => SignalFilter.TopK(1).Apply([0.1, 0.2]))
            .Message.ShouldContain("needs times for each of the 2 signal rows");
        Should.Throw<TrainingDataException>(() => SignalFilter.RegimeGate([1]).Apply([0.1], regimeClasses: [0, 1]))
            .Message.ShouldContain("regime classes");
        Should.Throw<ModelConfigurationException>(() => SignalFilter.TopK(0));
        Should.Throw<ModelConfigurationException>(() => SignalFilter.Threshold(double.NaN));
        Should.Throw<ModelConfigurationException>(() => SignalFilter.RegimeScale(new Dictionary<int, double> { [0] = -1 }));
    }
}
