using OptAIC.Engine.Features;
using Shouldly;
using Xunit;
using static OptAIC.Tests.Features.FeatureTestData;

namespace OptAIC.Tests.Features;

/// <summary>Each function against values computed independently (by hand or by a naive reference here).</summary>
public class FeatureFunctionTests
{
    private const double N = double.NaN;
    private static readonly double[] X = [1, 2, 4, 8, 16];

    [Fact]
    public void Lag_shift_and_lead_move_values_by_whole_rows()
    {
        Column("lag(close, 2)", X).ShouldMatch([N, N, 1, 2, 4]);
        Column("shift(close, 1)", X).ShouldMatch([N, 1, 2, 4, 8]);
        Column("lag(close, 0)", X).ShouldMatch(X);
        Column("lag(close, 9)", X).ShouldMatch([N, N, N, N, N]);
        Column("lead(close, 2)", Series(X), isTarget: true).ShouldMatch([4, 8, 16, N, N]);
        Column("lag(close, -1)", Series(X), isTarget: true).ShouldMatch([2, 4, 8, 16, N]);
    }

    [Fact]
    public void Changes_compare_with_the_row_n_back()
    {
        Column("diff(close)", X).ShouldMatch([N, 1, 2, 4, 8]);
        Column("diff(close, 2)", X).ShouldMatch([N, N, 3, 6, 12]);
        Column("pct_change(close)", X).ShouldMatch([N, 1, 1, 1, 1]);
        Column("pct_change(close, 2)", X).ShouldMatch([N, N, 3, 3, 3]);
        Column("log_return(close)", X).ShouldMatch([N, Math.Log(2), Math.Log(2), Math.Log(2), Math.Log(2)]);
        Column("log_return(close, 3)", X).ShouldMatch([N, N, N, Math.Log(8), Math.Log(8)]);
        // pandas diff(-1): x[t] - x[t+1].
        Column("diff(close, -1)", Series(X), isTarget: true).ShouldMatch([-1, -2, -4, -8, N]);
        Column("pct_change(close)", 1, 0, 3).ShouldMatch([N, -1, N]);
        Column("log_return(close)", 1, -2, 3).ShouldMatch([N, N, N]);
        Column("diff(close)", 1, N, 3, 5).ShouldMatch([N, N, N, 2]);
    }

    [Fact]
    public void Forward_functions_read_the_rows_after_t()
    {
        var source = Series(X);
        Column("forward_return(close, 1)", source, true).ShouldMatch([1, 1, 1, 1, N]);
        Column("forward_return(close, 2)", source, true).ShouldMatch([3, 3, 3, N, N]);
        Column("forward_log_return(close, 4)", source, true).ShouldMatch([Math.Log(16), N, N, N, N]);
    }

    [Fact]
    public void Forward_volatility_is_the_sample_std_of_the_next_n_one_row_log_returns()
    {
        var random = new Random(7);
        var prices = Prices(random, 40, missing: 0.05);
        const int n = 5;
        var expected = new double[prices.Length];
        for (var t = 0; t < prices.Length; t++)
        {
            if (t + n >= prices.Length)
            {
                expected[t] = N;
                continue;
            }
            var returns = Enumerable.Range(t + 1, n).Select(j => Math.Log(prices[j] / prices[j - 1])).ToArray();
            expected[t] = returns.Any(double.IsNaN) ? N : SampleStd(returns);
        }

        Column($"forward_volatility(close, {n})", Series(prices), isTarget: true).ShouldMatch(expected);
    }

    public static TheoryData<string, int, int> Windows => new()
    {
        { "mean", 1, 0 }, { "mean", 5, 0 }, { "sum", 7, 0 }, { "std", 2, 0 }, { "std", 6, 0 }, { "zscore", 4, 0 },
        { "min", 3, 0 }, { "max", 8, 0 }, { "mean", 4, 1 }, { "std", 5, 1 }, { "max", 6, 1 }, { "zscore", 5, 1 },
        { "mean", -3, 0 }, { "min", -4, 0 }, { "zscore", -4, 0 }, { "sum", 50, 0 },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Rolling_windows_match_a_naive_reference_on_random_data_with_gaps(string kind, int w, int centred)
    {
        var random = new Random(w * 31 + centred + kind.Length);
        var values = Enumerable.Range(0, 300).Select(_ => random.NextDouble() < 0.03 ? N : 50 + (10 * random.NextDouble())).ToArray();
        var size = Math.Abs(w);
        var (back, ahead) = centred == 1 ? (size - 1 - ((size - 1) / 2), (size - 1) / 2) : w > 0 ? (size - 1, 0) : (0, size - 1);
        Func<double[], int, double> reduce = kind switch
        {
            "mean" => (win, _) => win.Average(),
            "sum" => (win, _) => win.Sum(),
            "std" => (win, _) => SampleStd(win),
            "zscore" => (win, current) => (win[current] - win.Average()) / SampleStd(win),
            "min" => (win, _) => win.Min(),
            _ => (win, _) => win.Max(),
        };
        var expected = NaiveWindow(values, back, ahead, reduce);
        var text = centred == 1 ? $"rolling_{kind}(close, {w}, 1)" : $"rolling_{kind}(close, {w})";

        Column(text, Series(values), isTarget: ahead > 0).ShouldMatch(expected, 1e-9, text);
    }

    [Fact]
    public void Rolling_std_stays_accurate_on_long_price_like_series()
    {
        // Prices near 3000 with small moves: a plain sum of squares would lose most digits.
        var random = new Random(11);
        var prices = Prices(random, 20_000, level: 3000);
        var expected = NaiveWindow(prices, 19, 0, (win, _) => SampleStd(win));

        Column("rolling_std(close, 20)", Series(prices)).ShouldMatch(expected, 1e-7);
        Column("rolling_mean(close, 20)", Series(prices)).ShouldMatch(NaiveWindow(prices, 19, 0, (win, _) => win.Average()), 1e-12);
    }

    [Fact]
    public void A_constant_window_has_zero_std_and_no_zscore()
    {
        Column("rolling_std(close, 3)", 5, 5, 5, 5, 7).ShouldMatch([N, N, 0, 0, Math.Sqrt(4.0 / 3)]);
        Column("rolling_zscore(close, 3)", 5, 5, 5, 5).ShouldMatch([N, N, N, N]);
    }

    [Fact]
    public void Drawdown_is_the_fall_from_the_trailing_maximum()
    {
        Column("drawdown(close, 3)", 10, 8, 12, 9, 6, 7).ShouldMatch([N, N, 0, 9.0 / 12 - 1, 6.0 / 12 - 1, 7.0 / 9 - 1]);
    }

    [Fact]
    public void Ewm_mean_follows_the_adjust_false_recursion()
    {
        // span 3: alpha = 0.5; m0 = 1, m1 = 1.5, m2 = 2.25, m3 = 2.625.
        Column("ewm_mean(close, 3)", 1, 2, 3, 3).ShouldMatch([1, 1.5, 2.25, 2.625]);
        // Leading missing values are skipped; a missing row gives NaN and the recursion resumes after it.
        Column("ewm_mean(close, 3)", N, 1, N, 3).ShouldMatch([N, 1, N, 2]);
    }

    [Fact]
    public void Ewm_std_is_the_bias_corrected_weighted_std_by_hand()
    {
        // span 3, x = 1, 2, 3. At t = 1 weights (0.5, 0.5): mean 1.5, biased variance 0.25, sum w^2 = 0.5,
        // variance 0.25 / (1 - 0.5) = 0.5. At t = 2 weights (0.25, 0.25, 0.5): mean 2.25, biased variance
        // 0.6875, sum w^2 = 0.375, variance 0.6875 / 0.625 = 1.1.
        Column("ewm_std(close, 3)", 1, 2, 3).ShouldMatch([N, Math.Sqrt(0.5), Math.Sqrt(1.1)]);
    }

    [Fact]
    public void Ewm_mean_and_std_match_the_explicit_weights_on_random_data()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 60).Select(_ => random.NextDouble() * 10).ToArray();
        const double span = 7.5;
        var alpha = 2 / (span + 1);
        var mean = new double[values.Length];
        var std = new double[values.Length];
        for (var t = 0; t < values.Length; t++)
        {
            // adjust=False weights: (1 - alpha)^t on x0 and alpha (1 - alpha)^(t - i) on x_i.
            var weights = Enumerable.Range(0, t + 1)
                .Select(i => i == 0 ? Math.Pow(1 - alpha, t) : alpha * Math.Pow(1 - alpha, t - i)).ToArray();
            mean[t] = weights.Select((w, i) => w * values[i]).Sum();
            var biased = weights.Select((w, i) => w * (values[i] - mean[t]) * (values[i] - mean[t])).Sum();
            var squares = weights.Sum(w => w * w);
            std[t] = t == 0 ? N : Math.Sqrt(biased / (1 - squares));
        }
        var source = Series(values);

        Column($"ewm_mean(close, {span})", source).ShouldMatch(mean, 1e-10);
        Column($"ewm_std(close, {span})", source).ShouldMatch(std, 1e-9);
    }

    [Fact]
    public void Element_wise_functions_keep_missing_values_missing_and_never_return_infinity()
    {
        Column("log(close)", Math.E, 1, 0, -1, N).ShouldMatch([1, 0, N, N, N]);
        Column("abs(close)", -2, 3, N).ShouldMatch([2, 3, N]);
        Column("sqrt(close)", 4, -4, N).ShouldMatch([2, N, N]);
        Column("exp(close)", 0, 1, 1000, N).ShouldMatch([1, Math.E, N, N]);
        Column("sign(close)", -3, 0, 2, N).ShouldMatch([-1, 0, 1, N]);
        Column("clip(close, -1, 1)", -3, 0.5, 2, N).ShouldMatch([-1, 0.5, 1, N]);
        Column("min(close, 2)", 1, 3, N).ShouldMatch([1, 2, N]);
        Column("max(close, lag(close, 1))", 1, 3, 2, N).ShouldMatch([N, 3, 3, N]);
        Column("close / lag(close, 1)", 1, 0, 2, 0).ShouldMatch([N, 0, N, 0]);
        Column("1 / close", 2, 0, -4).ShouldMatch([0.5, N, -0.25]);
        Column("-close + 2 * 3", 1, N).ShouldMatch([5, N]);
    }

    [Fact]
    public void Comparisons_give_one_or_zero_and_where_selects()
    {
        Column("close > 2", 1, 2, 3, N).ShouldMatch([0, 0, 1, N]);
        Column("close >= 2", 1, 2, 3).ShouldMatch([0, 1, 1]);
        Column("close < 2", 1, 2, 3).ShouldMatch([1, 0, 0]);
        Column("close <= 2", 1, 2, 3).ShouldMatch([1, 1, 0]);
        Column("close == 2", 1, 2, N).ShouldMatch([0, 1, N]);
        Column("close != 2", 1, 2, N).ShouldMatch([1, 0, N]);
        Column("where(close > 2, close, -close)", 1, 3, N).ShouldMatch([-1, 3, N]);
        Column("where(1, 5, close)", 1, 3).ShouldMatch([5, 5]);
    }

    [Fact]
    public void Bucket_gives_the_number_of_edges_at_or_below_the_value()
    {
        // As numpy.digitize(x, [-0.01, 0, 0.01]): class 0 below the first edge, 3 at or above the last.
        Column("bucket(close, [-0.01, 0, 0.01])", -0.5, -0.01, -0.001, 0, 0.005, 0.01, 7, N)
            .ShouldMatch([0, 1, 1, 2, 2, 3, 3, N]);
    }

    [Fact]
    public void Constant_expressions_fill_the_column()
    {
        Column("1 + 2 * 3", 5, 6).ShouldMatch([7, 7]);
        Column("1 / 0", 5, 6).ShouldMatch([N, N]);
    }

    [Fact]
    public void Cross_sectional_functions_on_a_single_series_are_zero()
    {
        Column("cs_rank(close)", 3, 1, N).ShouldMatch([0, 0, N]);
        Column("cs_zscore(close)", 3, 1, N).ShouldMatch([0, 0, N]);
    }
}
