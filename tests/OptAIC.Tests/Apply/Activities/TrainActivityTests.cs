using OptAIC.Engine.Apply.Activities;
using OptAIC.Tests.Plan;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply.Activities;

/// <summary>Real training on the example's real S&amp;P 500 data, as the reconciler runs it.</summary>
public class TrainActivityTests
{
    private static readonly PredictionSource NoInputs = name => throw new InvalidOperationException($"no predictions for {name} in this test");

    [Theory]
    [InlineData("spx-alpha", "rank_ic")]
    [InlineData("spx-linear", "rank_ic")]
    [InlineData("spx-regime", "accuracy")]
    [InlineData("spx-relevance", "r2")]
    public void A_learner_trains_on_the_real_data_with_its_gates_recorded(string instance, string metric)
    {
        var specs = PlannerTests.ExampleSpecs();

        var outcome = TrainActivity.Run(specs, instance, TestPaths.RepositoryRoot, NoInputs, CancellationToken.None);

        outcome.Metrics.Keys.ShouldContain(metric);
        double.IsFinite(outcome.Metrics[metric]).ShouldBeTrue();
        outcome.Gates.ShouldNotBeEmpty();
        outcome.Gates.ShouldAllBe(g => g.Value != null);
        outcome.Bundle.Model.Length.ShouldBeGreaterThan(0);
        outcome.WindowEnd.ShouldBeLessThanOrEqualTo(new DateTime(2011, 12, 15));
        outcome.PurgedRows.ShouldBeGreaterThan(0, "the last horizon of labels reads past the window's end");
    }

    [Fact]
    public void The_same_spec_and_data_train_the_same_model()
    {
        var specs = PlannerTests.ExampleSpecs();

        var first = TrainActivity.Run(specs, "spx-alpha", TestPaths.RepositoryRoot, NoInputs, CancellationToken.None);
        var second = TrainActivity.Run(specs, "spx-alpha", TestPaths.RepositoryRoot, NoInputs, CancellationToken.None);

        second.Metrics.ShouldBe(first.Metrics);
        ModelBundle.Sha256(second.Bundle.ToBytes()).ShouldBe(ModelBundle.Sha256(first.Bundle.ToBytes()));
    }

    [Fact]
    public void A_relevance_model_scores_every_feature()
    {
        var specs = PlannerTests.ExampleSpecs();

        var outcome = TrainActivity.Run(specs, "spx-relevance", TestPaths.RepositoryRoot, NoInputs, CancellationToken.None);

        var relevance = outcome.Metrics.Where(m => m.Key.StartsWith("relevance.", StringComparison.Ordinal)).ToList();
        relevance.Count.ShouldBe(13);
        relevance.Sum(r => r.Value).ShouldBe(1.0, 1e-9);
    }
}
