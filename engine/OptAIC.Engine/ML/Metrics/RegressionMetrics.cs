namespace OptAIC.Engine.ML.Metrics;

/// <summary>Errors of a real-valued prediction; rows count only when both values are finite.</summary>
public static class RegressionMetrics
{
    /// <summary>Root mean squared error: sqrt(mean((p - y)^2)).</summary>
    public static double Rmse(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label)
    {
        var (sum, n) = SumOfErrors(prediction, label, squared: true);
        return n == 0 ? double.NaN : Math.Sqrt(sum / n);
    }

    /// <summary>Mean absolute error: mean(|p - y|).</summary>
    public static double Mae(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label)
    {
        var (sum, n) = SumOfErrors(prediction, label, squared: false);
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>
    /// Coefficient of determination: 1 - sum((y - p)^2) / sum((y - mean y)^2); negative when the
    /// prediction is worse than the label's mean; NaN when the label does not vary.
    /// </summary>
    public static double R2(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label)
    {
        var (residual, n) = SumOfErrors(prediction, label, squared: true);
        if (n < 2)
        {
            return double.NaN;
        }
        double mean = 0;
        for (var i = 0; i < label.Length; i++)
        {
            if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
            {
                mean += label[i] / n;
            }
        }
        double total = 0;
        for (var i = 0; i < label.Length; i++)
        {
            if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
            {
                total += (label[i] - mean) * (label[i] - mean);
            }
        }
        return total > 0 ? 1 - residual / total : double.NaN;
    }

    private static (double Sum, int Count) SumOfErrors(ReadOnlySpan<double> prediction, ReadOnlySpan<double> label, bool squared)
    {
        SignalMetrics.CheckLengths(prediction.Length, label.Length);
        double sum = 0;
        var n = 0;
        for (var i = 0; i < prediction.Length; i++)
        {
            if (double.IsFinite(prediction[i]) && double.IsFinite(label[i]))
            {
                var e = prediction[i] - label[i];
                sum += squared ? e * e : Math.Abs(e);
                n++;
            }
        }
        return (sum, n);
    }
}
