using OptAIC.Engine.ML.Training;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Training;

public class GateEvaluatorTests
{
    private static readonly Dictionary<string, double> Metrics = new()
    {
        ["ic"] = 0.04,
        ["rank_ic"] = 0.03,
        ["turnover"] = 0.2,
        ["icir"] = double.NaN,
    };

    [Theory]
    [InlineData("ic", ">", 0.04, false)]
    [InlineData("ic", ">=", 0.04, true)]
    [InlineData("turnover", "<", 0.2, false)]
    [InlineData("turnover", "<=", 0.2, true)]
    [InlineData("rank_ic", ">", 0.02, true)]
    public void Each_operator_compares_the_metric_with_the_threshold(string metric, string op, double threshold, bool passed)
    {
        var result = GateEvaluator.Evaluate(Metrics, [new GateSpec(metric, op, threshold)]).ShouldHaveSingleItem();

        result.Passed.ShouldBe(passed);
        result.Value.ShouldBe(Metrics[metric]);
        result.Reason.ShouldStartWith($"{metric} {op} {threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)} {(passed ? "passed" : "failed")}");
    }

    [Fact]
    public void A_gate_on_a_metric_that_was_not_computed_fails_and_names_the_available_ones()
    {
        var result = GateEvaluator.Evaluate(Metrics, [new GateSpec("sharpe", ">", 1)]).ShouldHaveSingleItem();

        result.Passed.ShouldBeFalse();
        result.Value.ShouldBeNull();
        result.Reason.ShouldContain("metric 'sharpe' was not computed; available metrics: ic, icir, rank_ic, turnover");
    }

    [Fact]
    public void A_gate_on_a_nan_metric_fails_with_the_reason()
    {
        var result = GateEvaluator.Evaluate(Metrics, [new GateSpec("icir", ">", 0.5)]).ShouldHaveSingleItem();

        result.Passed.ShouldBeFalse();
        result.Value.ShouldBeNull();
        result.Reason.ShouldContain("could not be computed");
    }

    [Fact]
    public void Metric_names_match_across_spellings()
    {
        GateEvaluator.Evaluate(Metrics, [new GateSpec("rankIC", ">", 0.02)]).ShouldHaveSingleItem().Passed.ShouldBeTrue();
    }

    [Fact]
    public void An_unknown_operator_is_a_configuration_error()
    {
        Should.Throw<ModelConfigurationException>(() => GateEvaluator.Evaluate(Metrics, [new GateSpec("ic", "==", 0.1)]))
            .Message.ShouldContain("operator '=='");
    }

    [Fact]
    public void Metric_names_normalise_and_unknown_ones_list_the_known()
    {
        MetricSet.Parse(["Rank-IC", "hitRate", "rank_ic", "LOG_LOSS"]).Names.ShouldBe(["rank_ic", "hit_rate", "log_loss"]);
        MetricSet.Normalise("Recall1").ShouldBe("recall_1");
        Should.Throw<ModelConfigurationException>(() => MetricSet.Parse(["sharpe"]))
            .Message.ShouldContain("known metrics: ic, rank_ic, icir, hit_rate, turnover, rmse");
    }
}
