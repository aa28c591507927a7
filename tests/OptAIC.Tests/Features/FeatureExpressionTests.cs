using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OptAIC.Engine.Features;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Features;

public class FeatureExpressionTests
{
    [Fact]
    public void Every_node_keeps_its_offset_and_length_in_the_source()
    {
        const string text = "rolling_mean(close, 20) / close - 1";

        var root = FeatureExpression.Parse(text).ShouldBeOfType<BinaryExpr>();

        root.Operator.ShouldBe(BinaryOperator.Subtract);
        (root.Offset, root.Length).ShouldBe((0, text.Length));
        var ratio = root.Left.ShouldBeOfType<BinaryExpr>();
        ratio.Operator.ShouldBe(BinaryOperator.Divide);
        ratio.TextIn(text).ShouldBe("rolling_mean(close, 20) / close");
        var call = ratio.Left.ShouldBeOfType<CallExpr>();
        call.Function.ShouldBe("rolling_mean");
        call.TextIn(text).ShouldBe("rolling_mean(close, 20)");
        var close = call.Arguments[0].ShouldBeOfType<IdentifierExpr>();
        (close.Offset, close.Length, close.Name).ShouldBe((13, 5, "close"));
        var window = call.Arguments[1].ShouldBeOfType<NumberExpr>();
        (window.Offset, window.Length, window.Value).ShouldBe((20, 2, 20.0));
        var one = root.Right.ShouldBeOfType<NumberExpr>();
        one.Offset.ShouldBe(34);
    }

    [Fact]
    public void Positions_count_across_newlines_and_tabs()
    {
        const string text = "lag(\n\tclose,\n  5)";

        var call = FeatureExpression.Parse(text).ShouldBeOfType<CallExpr>();

        call.Arguments[0].Offset.ShouldBe(text.IndexOf("close", StringComparison.Ordinal));
        call.Arguments[1].Offset.ShouldBe(text.IndexOf('5'));
        call.Length.ShouldBe(text.Length);
    }

    [Fact]
    public void Multiplication_binds_tighter_than_addition_and_both_are_left_associative()
    {
        var sum = FeatureExpression.Parse("a + b * c").ShouldBeOfType<BinaryExpr>();
        sum.Operator.ShouldBe(BinaryOperator.Add);
        sum.Right.ShouldBeOfType<BinaryExpr>().Operator.ShouldBe(BinaryOperator.Multiply);

        var chain = FeatureExpression.Parse("a - b - c").ShouldBeOfType<BinaryExpr>();
        chain.Left.ShouldBeOfType<BinaryExpr>().Operator.ShouldBe(BinaryOperator.Subtract);
        chain.Right.ShouldBeOfType<IdentifierExpr>().Name.ShouldBe("c");

        var ratio = FeatureExpression.Parse("a / b / c").ShouldBeOfType<BinaryExpr>();
        ratio.Left.ShouldBeOfType<BinaryExpr>().Operator.ShouldBe(BinaryOperator.Divide);
    }

    [Fact]
    public void Parentheses_group_and_the_enclosing_node_spans_them()
    {
        const string text = "(a + b) * c";

        var product = FeatureExpression.Parse(text).ShouldBeOfType<BinaryExpr>();

        product.Operator.ShouldBe(BinaryOperator.Multiply);
        (product.Offset, product.Length).ShouldBe((0, text.Length));
        var inner = product.Left.ShouldBeOfType<BinaryExpr>();
        inner.TextIn(text).ShouldBe("a + b");
    }

    [Fact]
    public void Unary_minus_applies_to_its_operand_and_comparisons_bind_loosest()
    {
        var product = FeatureExpression.Parse("-a * b").ShouldBeOfType<BinaryExpr>();
        product.Left.ShouldBeOfType<NegateExpr>().Operand.ShouldBeOfType<IdentifierExpr>();

        var comparison = FeatureExpression.Parse("a > b + 1").ShouldBeOfType<BinaryExpr>();
        comparison.Operator.ShouldBe(BinaryOperator.Greater);
        comparison.Right.ShouldBeOfType<BinaryExpr>().Operator.ShouldBe(BinaryOperator.Add);

        foreach (var (symbol, op) in new[]
        {
            (">=", BinaryOperator.GreaterOrEqual), ("<=", BinaryOperator.LessOrEqual), ("==", BinaryOperator.Equal),
            ("!=", BinaryOperator.NotEqual), ("<", BinaryOperator.Less),
        })
        {
            FeatureExpression.Parse($"a {symbol} b").ShouldBeOfType<BinaryExpr>().Operator.ShouldBe(op);
        }
    }

    [Theory]
    [InlineData("1e-3", 0.001)]
    [InlineData("2.5E+2", 250)]
    [InlineData(".5", 0.5)]
    [InlineData("42", 42)]
    [InlineData("3.", 3)]
    public void Numbers_accept_decimals_and_exponents(string text, double expected) =>
        FeatureExpression.Parse(text).ShouldBeOfType<NumberExpr>().Value.ShouldBe(expected);

    [Fact]
    public void List_literals_hold_their_items_with_positions()
    {
        const string text = "bucket(x, [-0.01, 0, 1e-2])";

        var call = FeatureExpression.Parse(text).ShouldBeOfType<CallExpr>();

        var list = call.Arguments[1].ShouldBeOfType<ListExpr>();
        list.TextIn(text).ShouldBe("[-0.01, 0, 1e-2]");
        list.Items.Count.ShouldBe(3);
        list.Items[0].ShouldBeOfType<NegateExpr>().Offset.ShouldBe(11);
        list.Items[2].ShouldBeOfType<NumberExpr>().Value.ShouldBe(0.01);
    }

    [Theory]
    [InlineData("rolling_mean(close, 20", 22, "expected ')' after argument 2 of rolling_mean")]
    [InlineData("rolling_mean(close 20)", 19, "expected ',' or ')' after argument 1 of rolling_mean, found '20'")]
    [InlineData("close +", 7, "expected a number, a name, '(' or '[' after '+', found the end of the expression")]
    [InlineData("lag(close,)", 10, "as argument 2 of lag, found ')'")]
    [InlineData("(close", 6, "expected ')' to close the '(' at offset 0")]
    [InlineData("close $ 2", 6, "unexpected character '$'")]
    [InlineData("a = b", 2, "use '==' to compare")]
    [InlineData("a ! b", 2, "expected '=' after '!'")]
    [InlineData("1e+", 0, "expected digits after the exponent")]
    [InlineData("5day", 0, "malformed number '5day'")]
    [InlineData("close close", 6, "unexpected 'close' after a complete expression")]
    [InlineData("a < b < c", 6, "comparisons cannot be chained")]
    [InlineData("[1, 2", 5, "expected ']' after item 2 of the list")]
    [InlineData("", 0, "the expression is empty")]
    [InlineData("   ", 0, "the expression is empty")]
    [InlineData("*", 0, "at the start of the expression")]
    [InlineData("1e999", 0, "too large")]
    public void Syntax_errors_say_what_was_expected_and_where(string text, int offset, string message)
    {
        var error = Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(text));

        error.Offset.ShouldBe(offset);
        error.Reason.ShouldContain(message);
        error.Message.ShouldContain($"offset {offset}");
    }

    [Fact]
    public void An_overlong_expression_is_refused_with_the_limit()
    {
        var text = string.Join(" + ", Enumerable.Repeat("close", 2000)); // 15,998 characters

        var error = Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(text));

        error.Reason.ShouldContain($"the limit is {FeatureExpression.MaxLength}");
    }

    [Fact]
    public void Nesting_is_capped_without_overflowing_the_stack()
    {
        static string Nest(int depth) => new string('(', depth) + "x" + new string(')', depth);

        FeatureExpression.Parse(Nest(FeatureExpression.MaxDepth - 1)).ShouldBeOfType<IdentifierExpr>();
        Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(Nest(FeatureExpression.MaxDepth)))
            .Reason.ShouldContain($"nests deeper than {FeatureExpression.MaxDepth} levels");
        Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(new string('(', 9_000)));
        Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(new string('-', 9_000) + "x"));
        var calls = string.Concat(Enumerable.Repeat("abs(", 2_000)) + "x" + new string(')', 2_000);
        Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(calls));
    }

    [Fact]
    public void A_long_chain_of_operators_parses_up_to_the_height_limit()
    {
        var text = string.Join(" + ", Enumerable.Repeat("x", 500));

        var root = FeatureExpression.Parse(text).ShouldBeOfType<BinaryExpr>();

        root.Length.ShouldBe(text.Length);
        Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(string.Join("+", Enumerable.Repeat("x", 2000))))
            .Reason.ShouldContain($"more than {FeatureExpression.MaxHeight} levels");
    }

    [Property(MaxTest = 500)]
    public void Random_text_either_parses_or_fails_with_a_syntax_error(string? text) => ParsesOrFailsCleanly(text);

    [Property(MaxTest = 1000)]
    public Property Random_token_soup_either_parses_or_fails_with_a_syntax_error()
    {
        var pieces = new[]
        {
            "(", ")", "[", "]", ",", "+", "-", "*", "/", ">", "<", ">=", "<=", "==", "!=", "=", "!", " ", "1", "2.5", "1e-3",
            ".", "e", "close", "lag", "rolling_mean", "_x9", "\n", "é", "\0", "3e", "-5",
        };
        var soup = Gen.ListOf(Gen.Elements(pieces)).Select(parts => string.Concat(parts));
        return Prop.ForAll(soup.ToArbitrary(), text => ParsesOrFailsCleanly(text));
    }

    private static void ParsesOrFailsCleanly(string? text)
    {
        try
        {
            var expr = FeatureExpression.Parse(text!);
            // A parsed node always lies inside the text.
            (expr.Offset + expr.Length).ShouldBeLessThanOrEqualTo(text!.Length);
            expr.Offset.ShouldBeGreaterThanOrEqualTo(0);
        }
        catch (ExpressionSyntaxException error)
        {
            error.Offset.ShouldBeInRange(0, Math.Max(0, text?.Length ?? 0));
        }
    }
}
