using OptAIC.Engine.Features;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Features;

public class ExpressionAnalyzerTests
{
    private static readonly string[] Columns = ["close", "volume", "high"];

    private static ExpressionAnalysis Analyze(string text)
    {
        var analyzer = new ExpressionAnalyzer(name => Columns.Contains(name) ? ResolvedName.Column : null, Columns);
        return analyzer.Analyze(text);
    }

    private static ExpressionAnalysis Valid(string text)
    {
        var analysis = Analyze(text);
        analysis.Diagnostics.ShouldBeEmpty(string.Join("; ", analysis.Diagnostics));
        return analysis;
    }

    [Theory]
    [InlineData("close", 0)]
    [InlineData("1 + 2", 0)]
    [InlineData("lag(close, 3)", 3)]
    [InlineData("shift(close, 2)", 2)]
    [InlineData("diff(close)", 1)]
    [InlineData("pct_change(close, 5)", 5)]
    [InlineData("rolling_mean(close, 20)", 19)]
    [InlineData("rolling_std(log_return(close, 1), 20)", 20)]
    [InlineData("rolling_zscore(close, 60) + lag(volume, 70)", 70)]
    [InlineData("drawdown(close, 252)", 251)]
    [InlineData("ewm_mean(close, 20)", 19)]
    [InlineData("rolling_max(lag(high, 2), 5)", 6)]
    [InlineData("cs_rank(log_return(close, 5))", 5)]
    public void Lookback_counts_the_rows_of_history_needed(string text, int lookback)
    {
        var analysis = Valid(text);

        analysis.Lookback.ShouldBe(lookback);
        analysis.Lookahead.ShouldBe(0);
        analysis.LookaheadNode.ShouldBeNull();
    }

    [Fact]
    public void Lead_is_the_origin_of_lookahead_with_its_position_and_reason()
    {
        const string text = "close / lead(close, 5) - 1";

        var analysis = Valid(text);

        analysis.Lookahead.ShouldBe(5);
        analysis.Horizon.ShouldBe(5);
        var node = analysis.LookaheadNode.ShouldNotBeNull();
        (node.Offset, node.Length, node.Text).ShouldBe((8, 14, "lead(close, 5)"));
        node.Reason.ShouldBe("lead(close, 5) reads 5 rows ahead");
        node.Rows.ShouldBe(5);
    }

    [Theory]
    [InlineData("lag(close, -2)", 2, "lag(close, -2)", "negative lag")]
    [InlineData("shift(close, -1)", 1, "shift(close, -1)", "negative lag")]
    [InlineData("diff(close, -3)", 3, "diff(close, -3)", "negative period")]
    [InlineData("rolling_mean(close, -5)", 4, "rolling_mean(close, -5)", "negative window")]
    [InlineData("rolling_std(close, 5, 1)", 2, "rolling_std(close, 5, 1)", "centred window")]
    [InlineData("rolling_max(close, 4, 1)", 1, "rolling_max(close, 4, 1)", "centred window")]
    [InlineData("forward_return(close, 5)", 5, "forward_return(close, 5)", "reads 5 rows ahead")]
    [InlineData("forward_log_return(close, 1)", 1, "forward_log_return(close, 1)", "reads 1 row ahead")]
    [InlineData("forward_volatility(close, 10)", 10, "forward_volatility(close, 10)", "reads 10 rows ahead")]
    [InlineData("1 + abs(lead(high, 2))", 2, "lead(high, 2)", "reads 2 rows ahead")]
    public void Lookahead_is_detected_and_attributed_to_the_smallest_sub_expression(string text, int rows, string origin, string reason)
    {
        var analysis = Valid(text);

        analysis.Lookahead.ShouldBe(rows);
        var node = analysis.LookaheadNode.ShouldNotBeNull();
        node.Text.ShouldBe(origin);
        text.Substring(node.Offset, node.Length).ShouldBe(origin);
        node.Reason.ShouldContain(reason);
    }

    [Fact]
    public void Centred_windows_split_their_rows_between_past_and_future_like_pandas()
    {
        var odd = Valid("rolling_mean(close, 5, 1)");
        (odd.Lookback, odd.Lookahead).ShouldBe((2, 2));
        var even = Valid("rolling_mean(close, 4, 1)");
        (even.Lookback, even.Lookahead).ShouldBe((2, 1));
    }

    [Fact]
    public void Lagging_a_lead_by_as_much_is_point_in_time_and_not_flagged()
    {
        var analysis = Valid("lag(lead(close, 5), 5)");

        analysis.Lookahead.ShouldBe(0);
        analysis.Lookback.ShouldBe(0);
        analysis.LookaheadNode.ShouldBeNull();

        var pastReturn = Valid("lag(forward_return(close, 5), 5)");
        pastReturn.Lookahead.ShouldBe(0);
        pastReturn.Lookback.ShouldBe(5);
    }

    [Fact]
    public void Lagging_a_lead_by_less_keeps_the_remaining_lookahead_and_points_at_the_lead()
    {
        const string text = "lag(lead(close, 5), 3)";

        var analysis = Valid(text);

        analysis.Lookahead.ShouldBe(2);
        var node = analysis.LookaheadNode.ShouldNotBeNull();
        (node.Offset, node.Text).ShouldBe((4, "lead(close, 5)"));
    }

    [Fact]
    public void A_lead_of_a_lag_is_judged_by_the_net_shift()
    {
        Valid("lead(lag(close, 5), 5)").Lookahead.ShouldBe(0);
        var ahead = Valid("lead(lag(close, 5), 7)");
        ahead.Lookahead.ShouldBe(2);
        ahead.LookaheadNode!.Text.ShouldBe("lead(lag(close, 5), 7)");
        ahead.LookaheadNode.Reason.ShouldBe("lead(lag(close, 5), 7) reads 2 rows ahead");
    }

    [Fact]
    public void Dependencies_list_each_name_once_in_order_of_appearance()
    {
        Valid("close / lag(volume, 1) + close * high").Dependencies.ShouldBe(["close", "volume", "high"]);
        Valid("1 + 2").Dependencies.ShouldBeEmpty();
    }

    [Fact]
    public void An_unknown_name_is_reported_at_its_position_with_a_suggestion()
    {
        var analysis = Analyze("lag(clsoe, 1) + 1");

        var diagnostic = analysis.Diagnostics.ShouldHaveSingleItem();
        (diagnostic.Offset, diagnostic.Length, diagnostic.Code).ShouldBe((4, 5, DiagnosticCodes.UnknownName));
        diagnostic.Message.ShouldBe("unknown name 'clsoe'; did you mean 'close'?");
    }

    [Fact]
    public void An_unknown_function_is_reported_with_the_nearest_function_name()
    {
        var analysis = Analyze("1 + rolling_men(close, 5)");

        var diagnostic = analysis.Diagnostics.ShouldHaveSingleItem();
        (diagnostic.Offset, diagnostic.Length, diagnostic.Code).ShouldBe((4, 11, DiagnosticCodes.UnknownFunction));
        diagnostic.Message.ShouldBe("unknown function 'rolling_men'; did you mean 'rolling_mean'?");
        Analyze("frobnicate(close)").Diagnostics[0].Message.ShouldBe("unknown function 'frobnicate'");
        Analyze("Lag(close, 1)").Diagnostics[0].Message.ShouldContain("did you mean 'lag'?");
    }

    [Fact]
    public void Names_and_functions_used_in_the_wrong_role_are_explained()
    {
        Analyze("close(3)").Diagnostics.ShouldHaveSingleItem().Message.ShouldBe("'close' is a column, not a function");
        Analyze("log + 1").Diagnostics.ShouldHaveSingleItem().Message.ShouldBe("'log' is a function: call it as log(x)");
    }

    [Theory]
    [InlineData("lag(close)", 0, 10, DiagnosticCodes.WrongArity, "lag takes 2 arguments, as in lag(x, n); got 1")]
    [InlineData("rolling_mean(close)", 0, 19, DiagnosticCodes.WrongArity, "rolling_mean takes 2 to 3 arguments, as in rolling_mean(x, w[, center=0]); got 1")]
    [InlineData("diff(close, 1, 2)", 0, 17, DiagnosticCodes.WrongArity, "diff takes 1 to 2 arguments, as in diff(x[, n=1]); got 3")]
    [InlineData("lag(close, volume)", 11, 6, DiagnosticCodes.BadArgument, "argument 2 of lag (n) must be a constant whole number of rows, not 'volume'")]
    [InlineData("lag(close, 2.5)", 11, 3, DiagnosticCodes.BadArgument, "must be a whole number of rows, got 2.5")]
    [InlineData("rolling_std(close, 1)", 19, 1, DiagnosticCodes.BadArgument, "must be at least 2 rows")]
    [InlineData("rolling_mean(close, 0)", 20, 1, DiagnosticCodes.BadArgument, "must not be 0")]
    [InlineData("rolling_mean(close, 5, 2)", 23, 1, DiagnosticCodes.BadArgument, "must be 0 (trailing window) or 1 (centred window)")]
    [InlineData("rolling_mean(close, -5, 1)", 0, 26, DiagnosticCodes.BadArgument, "a centred window needs a positive size")]
    [InlineData("forward_volatility(close, 1)", 26, 1, DiagnosticCodes.BadArgument, "must be at least 2")]
    [InlineData("ewm_std(close, 1)", 15, 1, DiagnosticCodes.BadArgument, "must be greater than 1")]
    [InlineData("lag(close, 20000000)", 11, 8, DiagnosticCodes.BadArgument, "the limit is 10000000")]
    [InlineData("bucket(close, 3)", 14, 1, DiagnosticCodes.BadArgument, "must be a list of numbers")]
    [InlineData("bucket(close, [])", 14, 2, DiagnosticCodes.BadArgument, "at least one edge")]
    [InlineData("bucket(close, [0.2, 0.1])", 20, 3, DiagnosticCodes.BadArgument, "must increase")]
    [InlineData("bucket(close, [0, high])", 18, 4, DiagnosticCodes.BadArgument, "edge 2")]
    [InlineData("log([1, 2])", 4, 6, DiagnosticCodes.BadArgument, "must be a value, not a list")]
    [InlineData("[1, 2] + close", 0, 6, DiagnosticCodes.BadArgument, "a list is only allowed as the edges of bucket")]
    [InlineData("clip(close, 1, 0)", 0, 17, DiagnosticCodes.BadArgument, "lower bound 1 is above its upper bound 0")]
    public void Wrong_arity_and_argument_kinds_are_specific_diagnostics(string text, int offset, int length, string code, string message)
    {
        var diagnostic = Analyze(text).Diagnostics.ShouldHaveSingleItem();

        (diagnostic.Offset, diagnostic.Length, diagnostic.Code).ShouldBe((offset, length, code));
        diagnostic.Message.ShouldContain(message);
    }

    [Fact]
    public void Constant_arguments_may_be_folded_expressions()
    {
        var analysis = Valid("lag(close, 2 * 5) + rolling_mean(close, -(3))");

        analysis.Lookback.ShouldBe(10);
        analysis.Lookahead.ShouldBe(2);
    }

    [Fact]
    public void Every_problem_in_an_expression_is_reported_at_once()
    {
        var analysis = Analyze("foo(clse) + lag(voume, 1) + rolling_mean(close)");

        analysis.Diagnostics.Select(d => d.Code).ShouldBe(
            [DiagnosticCodes.UnknownFunction, DiagnosticCodes.UnknownName, DiagnosticCodes.UnknownName, DiagnosticCodes.WrongArity]);
        analysis.IsValid.ShouldBeFalse();
    }

    [Fact]
    public void A_syntax_error_becomes_a_diagnostic_rather_than_an_exception()
    {
        var analysis = Analyze("close +");

        var diagnostic = analysis.Diagnostics.ShouldHaveSingleItem();
        (diagnostic.Offset, diagnostic.Code).ShouldBe((7, DiagnosticCodes.Syntax));
        analysis.Expression.ShouldBeNull();
    }

    [Fact]
    public void A_resolved_feature_contributes_its_own_window()
    {
        var lagged = Valid("lag(close, 3)");
        var lead = Valid("lead(close, 4)");
        var analyzer = new ExpressionAnalyzer(name => name switch
        {
            "close" => ResolvedName.Column,
            "lagged" => ResolvedName.Feature(lagged),
            "fwd" => ResolvedName.Target(lead),
            _ => null,
        });

        var composed = analyzer.Analyze("rolling_mean(lagged, 10)");
        (composed.Lookback, composed.Lookahead).ShouldBe((12, 0));
        analyzer.Analyze("lead(lagged, 3)").Lookahead.ShouldBe(0);
        analyzer.Analyze("lead(lagged, 4)").Lookahead.ShouldBe(1);

        var fromTarget = analyzer.Analyze("close - fwd");
        fromTarget.Lookahead.ShouldBe(4);
        var node = fromTarget.LookaheadNode.ShouldNotBeNull();
        (node.Offset, node.Text).ShouldBe((8, "fwd"));
        node.Reason.ShouldBe("'fwd' is a target that reads 4 rows ahead (lead(close, 4) reads 4 rows ahead)");
        analyzer.Analyze("lag(fwd, 4)").Lookahead.ShouldBe(0);
    }
}
