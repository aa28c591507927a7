using System.Globalization;

namespace OptAIC.Engine.ML.Training;

/// <summary>A test a trained version must pass to be registered, e.g. ("ic", ">=", 0.02).</summary>
public sealed record GateSpec(string Metric, string Operator, double Threshold);

/// <summary>
/// The outcome of one gate. <see cref="Value"/> is null when the metric was not computed or is NaN;
/// such a gate fails. <see cref="Reason"/> reads as a sentence for the run record.
/// </summary>
public sealed record GateResult(string Metric, string Operator, double Threshold, double? Value, bool Passed, string Reason);

/// <summary>Checks metrics against gates (operators &gt;, &gt;=, &lt;, &lt;=).</summary>
public static class GateEvaluator
{
    public static IReadOnlyList<string> Operators { get; } = [">", ">=", "<", "<="];

    /// <summary>
    /// One result per gate, in order. Metric names match exactly or after normalisation
    /// (<see cref="MetricSet.Normalise"/>). An unknown operator or a NaN threshold is a configuration
    /// error (<see cref="ModelConfigurationException"/>); a missing or NaN metric fails its gate.
    /// </summary>
    public static IReadOnlyList<GateResult> Evaluate(IReadOnlyDictionary<string, double> metrics, IEnumerable<GateSpec> gates)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(gates);
        var results = new List<GateResult>();
        foreach (var gate in gates)
        {
            if (!Operators.Contains(gate.Operator))
            {
                throw new ModelConfigurationException(
                    $"gate on '{gate.Metric}' has operator '{gate.Operator}'; use one of {string.Join(", ", Operators)}");
            }
            if (double.IsNaN(gate.Threshold))
            {
                throw new ModelConfigurationException($"gate on '{gate.Metric}' has no threshold (NaN): give a number");
            }
            var condition = $"{gate.Metric} {gate.Operator} {Format(gate.Threshold)}";
            if (!TryFind(metrics, gate.Metric, out var value))
            {
                var available = metrics.Count == 0 ? "none" : string.Join(", ", metrics.Keys.Order(StringComparer.Ordinal));
                results.Add(new GateResult(gate.Metric, gate.Operator, gate.Threshold, null, false,
                    $"{condition} failed: metric '{gate.Metric}' was not computed; available metrics: {available}"));
                continue;
            }
            if (double.IsNaN(value))
            {
                results.Add(new GateResult(gate.Metric, gate.Operator, gate.Threshold, null, false,
                    $"{condition} failed: {gate.Metric} could not be computed (NaN: too few rows or periods, or no variation)"));
                continue;
            }
            var passed = gate.Operator switch
            {
                ">" => value > gate.Threshold,
                ">=" => value >= gate.Threshold,
                "<" => value < gate.Threshold,
                _ => value <= gate.Threshold,
            };
            results.Add(new GateResult(gate.Metric, gate.Operator, gate.Threshold, value, passed, passed
                ? $"{condition} passed: {gate.Metric} is {Format(value)}"
                : $"{condition} failed: {gate.Metric} is {Format(value)}"));
        }
        return results;
    }

    private static bool TryFind(IReadOnlyDictionary<string, double> metrics, string name, out double value)
    {
        if (metrics.TryGetValue(name, out value))
        {
            return true;
        }
        var wanted = MetricSet.Normalise(name);
        foreach (var (key, v) in metrics)
        {
            if (MetricSet.Normalise(key) == wanted)
            {
                value = v;
                return true;
            }
        }
        return false;
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
