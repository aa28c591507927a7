using OptAIC.Engine.Data;
using OptAIC.Engine.Features;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Features;

/// <summary>String literals, == / != and in over a daily weather table with a text column of weather types.</summary>
public class TextExpressionTests
{
    private const double N = double.NaN;

    private static Frame Weather()
    {
        var time = Enumerable.Range(0, 6).Select(i => new DateTime(2021, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i)).ToArray();
        return new Frame(time)
            .AddText("weather", ["rain", "sun", "fog", null, "snow", "rain"])
            .AddNumeric("temp_max", [10, 15, 8, 12, 1, 9]);
    }

    private static double[] Eval(string expression) =>
        FeatureEngine.Evaluate(Weather(), [new FeatureDefinition("f", expression)]).Frame.Numeric("f");

    [Fact]
    public void Equality_with_a_string_gives_one_or_zero_and_missing_stays_missing() =>
        Eval("weather == \"rain\"").ShouldBe([1, 0, 0, N, 0, 1]);

    [Fact]
    public void Not_equal_and_single_quotes_work_too() =>
        Eval("weather != 'rain'").ShouldBe([0, 1, 1, N, 1, 0]);

    [Fact]
    public void In_tests_membership_of_a_list() =>
        Eval("weather in (\"rain\", \"snow\")").ShouldBe([1, 0, 0, N, 1, 1]);

    [Fact]
    public void Matches_compose_with_where_and_rolling_windows()
    {
        Eval("where(weather == \"rain\", temp_max, 0)").ShouldBe([10, 0, 0, N, 0, 9]);
        Eval("rolling_sum(weather in (\"sun\", \"fog\"), 2)").ShouldBe([N, 1, 2, N, N, 0]);
    }

    [Fact]
    public void In_takes_numbers_over_numeric_expressions() =>
        Eval("temp_max in (10, 9, -3)").ShouldBe([1, 0, 0, 0, 0, 1]);

    [Theory]
    [InlineData("\"rain\" + 1")]
    [InlineData("weather < \"rain\"")]
    [InlineData("\"a\" == \"b\"")]
    [InlineData("weather in (\"rain\", 1)")]
    [InlineData("weather in \"rain\"")]
    [InlineData("weather == \"rain")]
    [InlineData("lag(\"rain\", 1)")]
    public void Misused_strings_are_syntax_errors_at_their_place(string expression) =>
        Should.Throw<ExpressionSyntaxException>(() => FeatureExpression.Parse(expression));

    [Theory]
    [InlineData("temp_max == \"rain\"", "not a text column")]
    [InlineData("weather in (1, 2)", "compare it with strings")]
    [InlineData("weather * 2", "weather == \\\"a\\\"")]
    public void Text_and_numbers_mixed_are_diagnostics(string expression, string message)
    {
        var e = Should.Throw<FeatureDefinitionException>(() => Eval(expression));
        e.Diagnostics.ShouldContain(d => d.Message.Contains(message.Replace("\\\"", "\""), StringComparison.Ordinal));
    }
}
