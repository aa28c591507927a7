using System.Globalization;
using System.Text.Json;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// The hyperparameters each algorithm accepts (camelCase, as written in a ModelInstance) and their
/// valid ranges. Values may be numbers, numeric strings or JSON numbers; null means "use the
/// trainer's default". Seeds, thread counts and determinism are set by the engine, not by users.
/// </summary>
public static class Hyperparameters
{
    private static readonly Dictionary<string, Dictionary<string, Rule>> Accepted = new(StringComparer.Ordinal)
    {
        ["lightgbm"] = Rules(
            new("learningRate", Kind.Real, 0, false, null),
            new("numberOfLeaves", Kind.Integer, 2, true, null),
            new("numberOfIterations", Kind.Integer, 1, true, null),
            new("minimumExampleCountPerLeaf", Kind.Integer, 1, true, null),
            new("maximumBinCountPerFeature", Kind.Integer, 2, true, null),
            new("l1Regularization", Kind.Real, 0, true, null),
            new("l2Regularization", Kind.Real, 0, true, null),
            new("featureFraction", Kind.Real, 0, false, 1),
            new("baggingFraction", Kind.Real, 0, false, 1),
            new("baggingFrequency", Kind.Integer, 0, true, null),
            new("maximumTreeDepth", Kind.Integer, 0, true, null),
            new("minimumSplitGain", Kind.Real, 0, true, null),
            new("minimumChildWeight", Kind.Real, 0, true, null)),
        ["fasttree"] = Rules(
            new("learningRate", Kind.Real, 0, false, null),
            new("numberOfLeaves", Kind.Integer, 2, true, null),
            new("numberOfTrees", Kind.Integer, 1, true, null),
            new("numberOfIterations", Kind.Integer, 1, true, null),
            new("minimumExampleCountPerLeaf", Kind.Integer, 1, true, null),
            new("maximumBinCountPerFeature", Kind.Integer, 2, true, null),
            new("featureFraction", Kind.Real, 0, false, 1),
            new("baggingFraction", Kind.Real, 0, false, 1),
            new("baggingSize", Kind.Integer, 0, true, null)),
        ["sdca"] = Rules(
            new("l1Regularization", Kind.Real, 0, true, null),
            new("l2Regularization", Kind.Real, 0, true, null),
            new("maximumNumberOfIterations", Kind.Integer, 1, true, null),
            new("convergenceTolerance", Kind.Real, 0, false, null),
            new("biasLearningRate", Kind.Real, 0, true, null)),
    };

    internal enum Kind
    {
        Real,
        Integer,
    }

    /// <summary>The algorithms the trainer knows (the <see cref="ML.Algorithms"/> table's trainers).</summary>
    public static IReadOnlyList<string> Algorithms => ML.Algorithms.Trainers;

    /// <summary>The hyperparameter names <paramref name="algorithm"/> accepts.</summary>
    public static IReadOnlyList<string> AcceptedBy(string algorithm) => [.. RulesFor(algorithm).Keys];

    /// <summary>
    /// Checks every name and value; returns the values as doubles by name (nulls left out).
    /// Throws <see cref="ModelConfigurationException"/> naming the hyperparameter and what is accepted.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Parse(string algorithm, IReadOnlyDictionary<string, object?>? values)
    {
        var rules = RulesFor(algorithm);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (values is null)
        {
            return result;
        }
        foreach (var (name, raw) in values)
        {
            if (!rules.TryGetValue(name, out var rule))
            {
                throw new ModelConfigurationException(
                    $"hyperparameter '{name}' is not accepted by algorithm '{algorithm}'; accepted: {string.Join(", ", rules.Keys)}");
            }
            if (raw is null)
            {
                continue;
            }
            var value = ToDouble(raw)
                ?? throw new ModelConfigurationException(
                    $"hyperparameter '{name}' of algorithm '{algorithm}' must be a number, not '{raw}'");
            rule.Check(algorithm, value);
            result[name] = value;
        }
        if (result.ContainsKey("numberOfTrees") && result.ContainsKey("numberOfIterations"))
        {
            throw new ModelConfigurationException(
                $"algorithm '{algorithm}' takes numberOfTrees or numberOfIterations (the same setting), not both: remove one");
        }
        return result;
    }

    internal static Dictionary<string, Rule> RulesFor(string algorithm) =>
        Accepted.TryGetValue(algorithm ?? "", out var rules)
            ? rules
            : throw new ModelConfigurationException(
                $"algorithm '{algorithm}' is not supported for training; use one of {string.Join(", ", Algorithms)}");

    private static Dictionary<string, Rule> Rules(params Rule[] rules) => rules.ToDictionary(r => r.Name, StringComparer.Ordinal);

    private static double? ToDouble(object raw) => raw switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        decimal m => (double)m,
        short s => s,
        byte b => b,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } e
            when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    internal sealed record Rule(string Name, Kind Type, double Minimum, bool MinimumInclusive, double? Maximum)
    {
        public void Check(string algorithm, double value)
        {
            var range = (MinimumInclusive ? $">= {Minimum}" : $"> {Minimum}") + (Maximum is { } max ? $" and <= {max}" : "");
            if (!double.IsFinite(value) || value < Minimum || (!MinimumInclusive && value == Minimum) || value > Maximum)
            {
                throw new ModelConfigurationException(
                    $"hyperparameter '{Name}' of algorithm '{algorithm}' is {value.ToString(CultureInfo.InvariantCulture)}; it must be {range}");
            }
            if (Type == Kind.Integer && (value != Math.Floor(value) || value > int.MaxValue))
            {
                throw new ModelConfigurationException(
                    $"hyperparameter '{Name}' of algorithm '{algorithm}' must be a whole number, not {value.ToString(CultureInfo.InvariantCulture)}");
            }
        }
    }
}
