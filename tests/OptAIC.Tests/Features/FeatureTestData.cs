using OptAIC.Engine.Data;
using OptAIC.Engine.Features;

namespace OptAIC.Tests.Features;

/// <summary>Small synthetic frames and naive reference implementations for the feature tests.</summary>
internal static class FeatureTestData
{
    public static readonly DateTime Start = new(2020, 1, 1);

    public static Frame Series(params double[] close) => Series(close, null);

    public static Frame Series(double[] close, double[]? volume)
    {
        var time = Enumerable.Range(0, close.Length).Select(i => Start.AddDays(i)).ToArray();
        var frame = new Frame(time, knownAt: time.Select(t => t.AddHours(18)).ToArray()).AddNumeric("close", close);
        if (volume is not null)
        {
            frame.AddNumeric("volume", volume);
        }
        return frame;
    }

    /// <summary>A random walk of positive prices, with a few NaNs when <paramref name="missing"/> &gt; 0.</summary>
    public static double[] Prices(Random random, int n, double missing = 0, double level = 100)
    {
        var values = new double[n];
        var price = level;
        for (var i = 0; i < n; i++)
        {
            price *= Math.Exp(0.02 * (random.NextDouble() - 0.5));
            values[i] = random.NextDouble() < missing ? double.NaN : price;
        }
        return values;
    }

    public static double[] Column(string expression, Frame source, bool isTarget = false) =>
        FeatureEngine.Evaluate(source, [new FeatureDefinition("f", expression, isTarget)]).Frame.Numeric("f");

    public static double[] Column(string expression, params double[] close) => Column(expression, Series(close));

    /// <summary>Reference rolling window: naive loops over rows t-back..t+ahead; NaN if any is missing or outside.</summary>
    public static double[] NaiveWindow(double[] x, int back, int ahead, Func<double[], int, double> reduce)
    {
        var y = new double[x.Length];
        for (var t = 0; t < x.Length; t++)
        {
            if (t - back < 0 || t + ahead >= x.Length)
            {
                y[t] = double.NaN;
                continue;
            }
            var window = new double[back + ahead + 1];
            Array.Copy(x, t - back, window, 0, window.Length);
            y[t] = window.Any(double.IsNaN) ? double.NaN : reduce(window, back);
        }
        return y;
    }

    public static double SampleStd(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    public static void ShouldMatch(this double[] actual, double[] expected, double tolerance = 1e-9, string? what = null)
    {
        if (actual.Length != expected.Length)
        {
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length} != {expected.Length}");
        }
        for (var i = 0; i < actual.Length; i++)
        {
            var a = actual[i];
            var e = expected[i];
            var ok = double.IsNaN(e) ? double.IsNaN(a) : Math.Abs(a - e) <= tolerance * Math.Max(1, Math.Abs(e));
            if (!ok)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{what}: row {i}: expected {e:R}, got {a:R}\nexpected: [{string.Join(", ", expected)}]\nactual:   [{string.Join(", ", actual)}]");
            }
        }
    }
}
