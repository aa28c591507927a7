using OptAIC.Engine.Features;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Features;

public class FeatureSetAnalysisTests
{
    private static readonly string[] Columns = ["close", "volume"];

    private static FeatureSetAnalysis Analyze(params FeatureDefinition[] definitions) =>
        ExpressionAnalyzer.AnalyzeSet(definitions, Columns, ["sector"]);

    private static FeatureDefinition F(string name, string expression) => new(name, expression);

    private static FeatureDefinition T(string name, string expression) => new(name, expression, IsTarget: true);

    [Fact]
    public void A_valid_set_has_no_diagnostics_and_an_order_with_dependencies_first()
    {
        var analysis = Analyze(
            F("spread", "ret1 - ret5"),
            F("ret1", "log_return(close, 1)"),
            F("ret5", "rolling_sum(ret1, 5)"),
            T("fwd5", "forward_return(close, 5)"));

        analysis.Diagnostics.ShouldBeEmpty();
        analysis.HasErrors.ShouldBeFalse();
        analysis.EvaluationOrder.ShouldBe(["ret1", "ret5", "spread", "fwd5"]);
        analysis.Features["ret5"].Lookback.ShouldBe(5);
        analysis.Features["spread"].Lookback.ShouldBe(5);
        analysis.Features["fwd5"].Horizon.ShouldBe(5);
    }

    [Fact]
    public void A_target_may_look_ahead_but_a_feature_that_references_it_is_flagged()
    {
        var analysis = Analyze(
            T("fwd", "forward_return(close, 5)"),
            F("signal", "2 * fwd"));

        var diagnostic = analysis.Diagnostics.ShouldHaveSingleItem();
        diagnostic.Feature.ShouldBe("signal");
        diagnostic.Code.ShouldBe(DiagnosticCodes.Lookahead);
        (diagnostic.Offset, diagnostic.Length).ShouldBe((4, 3));
        diagnostic.Message.ShouldBe(
            "feature 'signal' looks ahead 5 rows: 'fwd' is a target that reads 5 rows ahead (forward_return(close, 5) reads 5 rows ahead); " +
            "only targets may read future rows: lag it by 5 more or declare it as a target");
    }

    [Fact]
    public void Lookahead_inherited_through_another_feature_is_flagged_in_both()
    {
        var analysis = Analyze(
            T("fwd", "forward_return(close, 5)"),
            F("leaky", "fwd + 1"),
            F("downstream", "lag(leaky, 2)"),
            F("realised", "lag(leaky, 5)"));

        analysis.Diagnostics.Select(d => (d.Feature, d.Code)).ShouldBe(
            [("leaky", DiagnosticCodes.Lookahead), ("downstream", DiagnosticCodes.Lookahead)]);
        analysis.Features["downstream"].Lookahead.ShouldBe(3);
        analysis.Features["downstream"].LookaheadNode!.Text.ShouldBe("leaky");
        analysis.Features["downstream"].LookaheadNode!.Reason.ShouldContain("'leaky' is a feature that reads 5 rows ahead");
        analysis.Features["realised"].Lookahead.ShouldBe(0);
        analysis.Features["realised"].Lookback.ShouldBe(5);
    }

    [Fact]
    public void A_lead_in_a_feature_is_flagged_at_its_position()
    {
        var analysis = Analyze(F("peek", "close / lead(close, 1)"));

        var diagnostic = analysis.Diagnostics.ShouldHaveSingleItem();
        (diagnostic.Feature, diagnostic.Code, diagnostic.Offset, diagnostic.Length).ShouldBe(("peek", DiagnosticCodes.Lookahead, 8, 14));
    }

    [Fact]
    public void A_cycle_is_reported_with_its_path_at_the_closing_reference()
    {
        var analysis = Analyze(
            F("a", "b + 1"),
            F("b", "lag(c, 1)"),
            F("c", "close * a"),
            F("fine", "lag(close, 1)"));

        analysis.Cycles.ShouldHaveSingleItem().ShouldBe(["a", "b", "c", "a"]);
        var diagnostic = analysis.Diagnostics.ShouldHaveSingleItem();
        (diagnostic.Feature, diagnostic.Code, diagnostic.Offset, diagnostic.Length).ShouldBe(("c", DiagnosticCodes.Cycle, 8, 1));
        diagnostic.Message.ShouldBe("features form a cycle: a -> b -> c -> a; a feature cannot depend on itself");
        analysis.EvaluationOrder.ShouldBeEmpty();
    }

    [Fact]
    public void A_feature_referencing_itself_is_a_cycle()
    {
        var analysis = Analyze(F("ewma", "0.9 * lag(ewma, 1) + 0.1 * close"));

        analysis.Cycles.ShouldHaveSingleItem().ShouldBe(["ewma", "ewma"]);
        analysis.Diagnostics.ShouldHaveSingleItem().Message.ShouldContain("ewma -> ewma");
    }

    [Fact]
    public void Unknown_names_suggest_columns_and_features()
    {
        var analysis = Analyze(
            F("momentum", "pct_change(close, 20)"),
            F("signal", "momentun * volme"));

        analysis.Diagnostics.Select(d => d.Message).ShouldBe(
            ["unknown name 'momentun'; did you mean 'momentum'?", "unknown name 'volme'; did you mean 'volume'?"]);
        analysis.Diagnostics.ShouldAllBe(d => d.Feature == "signal");
    }

    [Fact]
    public void Definition_names_are_checked()
    {
        var analysis = Analyze(
            F("ok", "close"),
            F("ok", "volume"),
            F("close", "volume"),
            F("9lives", "close"),
            F("bad expr", "close"));

        analysis.Diagnostics.Select(d => d.Code).ShouldBe(
            [DiagnosticCodes.DuplicateName, DiagnosticCodes.NameConflict, DiagnosticCodes.InvalidName, DiagnosticCodes.InvalidName]);
    }

    [Fact]
    public void Text_columns_and_syntax_errors_are_diagnostics_of_their_feature()
    {
        var analysis = Analyze(
            F("label", "sector + 1"),
            F("broken", "rolling_mean(close, 20"));

        analysis.Diagnostics.Select(d => (d.Feature, d.Code, d.Offset)).ShouldBe(
            [("label", DiagnosticCodes.TextColumn, 0), ("broken", DiagnosticCodes.Syntax, 22)]);
        analysis.Diagnostics[1].Message.ShouldBe("expected ')' after argument 2 of rolling_mean; the expression ended");
    }
}
