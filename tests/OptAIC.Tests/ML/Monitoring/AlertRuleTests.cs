using OptAIC.Engine.ML.Monitoring;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Monitoring;

public class AlertRuleTests
{
    private static readonly MonitoringReport Report = new()
    {
        Columns =
        [
            new ColumnDrift { Column = "vol_20d", Kind = "numerical", Method = "wasserstein", Statistic = 0.42, Threshold = 0.1, Drifted = true },
            new ColumnDrift { Column = "ret_5d", Kind = "numerical", Method = "wasserstein", Statistic = 0.04, Threshold = 0.1, Drifted = false },
        ],
        DriftedColumns = 1,
        DriftShare = 0.5,
        DatasetDriftThreshold = 0.5,
        DatasetDrift = true,
        PredictionDrift = new ColumnDrift { Column = "prediction", Kind = "numerical", Method = "ks", Statistic = 0.3, PValue = 0.001, Threshold = 0.05, Drifted = true },
        Performance = new PerformanceSummary { Window = 20, RollingRankIc = -0.03, RollingHitRate = 0.48, DecayThreshold = 0, Decayed = true },
    };

    [Theory]
    [InlineData("drift_share > 0.4", true)]
    [InlineData("drift_share > 0.5", false)]
    [InlineData("drift_share >= 0.5", true)]
    [InlineData("drifted_columns == 1", true)]
    [InlineData("feature_drift(vol_20d)", true)]
    [InlineData("feature_drift('ret_5d')", false)]
    [InlineData("prediction_drift", true)]
    [InlineData("prediction_drift_statistic > 0.25", true)]
    [InlineData("rolling_rank_ic < 0", true)]
    [InlineData("rolling_hit_rate < 0.45", false)]
    [InlineData("statistic(vol_20d) >= 0.4 and not feature_drift(ret_5d)", true)]
    [InlineData("dataset_drift and (rolling_rank_ic < -0.1 or performance_decay)", true)]
    [InlineData("not (dataset_drift or prediction_drift)", false)]
    [InlineData("rolling_rank_ic<-0.01", true)]
    public void Conditions_evaluate_against_the_report(string condition, bool expected) =>
        new AlertRule("r", condition, AlertSeverity.Warning).IsTrue(Report, out _).ShouldBe(expected);

    [Fact]
    public void A_metric_without_a_value_makes_its_comparison_false()
    {
        var noLabels = Report with { Performance = null };
        var rule = new AlertRule("decay", "rolling_rank_ic < 0", AlertSeverity.Critical);

        rule.IsTrue(noLabels, out var values).ShouldBeFalse();
        values.ShouldBe("rolling_rank_ic = none");
        new AlertRule("n", "not rolling_rank_ic < 0", AlertSeverity.Info).IsTrue(noLabels, out _).ShouldBeTrue();
    }

    [Fact]
    public void Fired_alerts_carry_severity_and_the_values_read()
    {
        AlertRule[] rules =
        [
            AlertRule.Create("vol-drift", "feature_drift(vol_20d) and drift_share >= 0.5", "critical"),
            AlertRule.Create("quiet", "drift_share > 0.9", "info"),
        ];

        var fired = AlertRule.Evaluate(rules, Report);

        fired.Count.ShouldBe(1);
        fired[0].ShouldBe(new FiredAlert
        {
            Name = "vol-drift",
            Severity = "critical",
            Condition = "feature_drift(vol_20d) and drift_share >= 0.5",
            Values = "feature_drift(vol_20d) = true; drift_share = 0.5",
        });
        rules[0].Columns.ShouldBe(["vol_20d"]);
    }

    [Theory]
    [InlineData("drift_share > abc", "alert rule 'r': expected a number after '>' at position 15 in 'drift_share > abc'")]
    [InlineData("feature_drift(vol_20d", "alert rule 'r': expected ')' at position 22 (end of condition) in 'feature_drift(vol_20d'")]
    [InlineData("drift_shar > 0.5", "alert rule 'r': unknown name 'drift_shar'; flags: dataset_drift, prediction_drift, performance_decay, feature_drift; metrics: drift_share, drifted_columns, prediction_drift_statistic, rolling_rank_ic, rolling_hit_rate, mean_rank_ic, statistic at position 1 in 'drift_shar > 0.5'")]
    [InlineData("dataset_drift > 0", "alert rule 'r': 'dataset_drift' is true or false and cannot be compared; write dataset_drift or not dataset_drift at position 15 in 'dataset_drift > 0'")]
    [InlineData("drift_share", "alert rule 'r': 'drift_share' is a number: compare it with > >= < <= == or !=, e.g. drift_share > 0.5 at position 12 (end of condition) in 'drift_share'")]
    [InlineData("feature_drift", "alert rule 'r': 'feature_drift' needs a column, e.g. feature_drift(vol_20d) at position 14 (end of condition) in 'feature_drift'")]
    [InlineData("drift_share > 0.5 prediction_drift", "alert rule 'r': unexpected 'prediction_drift'; join conditions with 'and' or 'or' at position 19 in 'drift_share > 0.5 prediction_drift'")]
    [InlineData("drift_share = 0.5", "alert rule 'r': unknown operator '=' at position 13 in 'drift_share = 0.5'; use > >= < <= == or !=")]
    [InlineData("", "alert rule 'r': the condition is empty at position 1 (end of condition) in ''")]
    [InlineData("prediction_drift and", "alert rule 'r': the condition ends too early; expected a flag or a comparison at position 21 (end of condition) in 'prediction_drift and'")]
    [InlineData("drift_share > 0.5 & x", "alert rule 'r': unexpected character '&' at position 19 in 'drift_share > 0.5 & x'")]
    public void Parse_errors_say_what_was_expected_and_where(string condition, string message) =>
        Should.Throw<AlertRuleException>(() => new AlertRule("r", condition, AlertSeverity.Info)).Message.ShouldBe(message);

    [Fact]
    public void Unknown_columns_and_severities_are_errors()
    {
        var rule = new AlertRule("typo", "feature_drift(vol_21d)", AlertSeverity.Warning);

        Should.Throw<AlertRuleException>(() => rule.IsTrue(Report, out _))
            .Message.ShouldBe("alert rule 'typo': column 'vol_21d' is not monitored (columns: vol_20d, ret_5d)");
        Should.Throw<AlertRuleException>(() => AlertRule.Create("x", "prediction_drift", "urgent"))
            .Message.ShouldBe("alert rule 'x': unknown severity 'urgent'; use info, warning or critical");
    }
}
