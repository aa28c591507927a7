using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace OptAIC.Engine.Specs.Yaml;

/// <summary>
/// Turns YAML trees into JSON for schema validation and binding, typing plain scalars by the YAML
/// 1.2 core schema (so `2000-01-01` stays a string and `no` is not a boolean, unlike YAML 1.1).
/// </summary>
public static partial class YamlJson
{
    public static JToken ToJson(YamlNode node) => node switch
    {
        YamlScalar scalar => Scalar(scalar),
        YamlSequence sequence => new JArray(sequence.Items.Select(ToJson)),
        YamlMapping mapping => ToObject(mapping),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static JObject ToObject(YamlMapping mapping)
    {
        var result = new JObject();
        foreach (var (key, value) in mapping.Entries)
        {
            result[key.Value] = ToJson(value);
        }
        return result;
    }

    private static JValue Scalar(YamlScalar scalar)
    {
        var value = scalar.Value;
        if (scalar.Tag is { } tag)
        {
            return tag switch
            {
                "tag:yaml.org,2002:str" or "!!str" => new JValue(value),
                _ => Resolve(value),
            };
        }
        return scalar.IsPlain ? Resolve(value) : new JValue(value);
    }

    /// <summary>Whether a plain scalar reads as a number that is not finite (.nan, .inf, 1e309).</summary>
    public static bool IsNonFinite(string value) =>
        Resolve(value) is { Type: JTokenType.Float } number && !double.IsFinite(number.Value<double>());

    private static JValue Resolve(string value)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return JValue.CreateNull();
            case "true" or "True" or "TRUE":
                return new JValue(true);
            case "false" or "False" or "FALSE":
                return new JValue(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return new JValue(double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF":
                return new JValue(double.NegativeInfinity);
            case ".nan" or ".NaN" or ".NAN":
                return new JValue(double.NaN);
        }
        if (IntPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return new JValue(integer);
        }
        if (value.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return new JValue(hex);
        }
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return new JValue(real);
        }
        return new JValue(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
