using System.Collections.Concurrent;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Specs;

/// <summary>
/// An instance's hyperparameters, checked against its definition's own JSON Schema, with the
/// schema's defaults applied: the same resolution for lint, plan (fingerprints) and training.
/// </summary>
public static class Hyperparameters
{
    private static readonly ConcurrentDictionary<string, (JsonSchema? Schema, string? Error)> Schemas = new(StringComparer.Ordinal);

    /// <summary>
    /// The definition's hyperparameter schema, parsed once per distinct schema text; null when it has
    /// none or when it is invalid (<see cref="SchemaProblems"/> says why; lint reports it on the definition).
    /// </summary>
    public static JsonSchema? SchemaOf(ModelDefinitionSpec definition) =>
        definition.Model.Hyperparameters is { } json ? Parse(json).Schema : null;

    /// <summary>
    /// Why a definition's hyperparameter schema cannot be used: (path inside the schema, message).
    /// Checked before NJsonSchema reads it, so that hostile schemas are findings, not crashes: bounds
    /// must be finite numbers a decimal holds, every subschema a mapping (or true/false where JSON
    /// Schema allows it), and each <c>$ref</c> a pointer into the schema itself (never a file or URL).
    /// </summary>
    public static IReadOnlyList<(object[] Path, string Message)> SchemaProblems(ModelDefinitionSpec definition)
    {
        if (definition.Model.Hyperparameters is not { } json)
        {
            return [];
        }
        var problems = new List<(object[], string)>();
        CheckSchema(json, [], problems, json);
        if (problems.Count == 0 && Parse(json).Error is { } error)
        {
            problems.Add(([], $"not a valid JSON Schema: {error}"));
        }
        return problems;
    }

    private static (JsonSchema? Schema, string? Error) Parse(JObject json)
    {
        var text = json.ToString(Newtonsoft.Json.Formatting.None);
        return Schemas.GetOrAdd(text, t =>
        {
            var problems = new List<(object[], string)>();
            CheckSchema(json, [], problems, json);
            if (problems.Count > 0)
            {
                return (null, problems[0].Item2);
            }
            try
            {
                return (JsonSchema.FromJsonAsync(t).GetAwaiter().GetResult(), null);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return (null, e.Message);
            }
        });
    }

    private static readonly string[] NumberKeywords = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
    private static readonly string[] SchemaMapKeywords = ["properties", "definitions", "$defs", "patternProperties", "dependencies"];
    private static readonly string[] SchemaKeywords = ["additionalProperties", "items", "additionalItems", "not", "if", "then", "else", "contains", "propertyNames"];
    private static readonly string[] SchemaListKeywords = ["allOf", "anyOf", "oneOf", "items"];

    // decimal (what NJsonSchema keeps bounds in) holds about ±7.9e28.
    private const double LargestBound = 1e28;

    private static void CheckSchema(JToken schema, List<object> path, List<(object[], string)> problems, JObject root, int depth = 0)
    {
        if (schema.Type == JTokenType.Boolean)
        {
            return;
        }
        if (schema is not JObject node)
        {
            problems.Add(([.. path], $"a schema must be a mapping (or true/false), not {Describe(schema)}"));
            return;
        }
        if (depth > 32)
        {
            problems.Add(([.. path], "the schema nests deeper than 32 levels"));
            return;
        }
        foreach (var keyword in NumberKeywords)
        {
            if (node[keyword] is not { } value || value.Type == JTokenType.Boolean)
            {
                continue;
            }
            if (value.Type is not (JTokenType.Integer or JTokenType.Float))
            {
                problems.Add(([.. path, keyword], $"{keyword} must be a number, not {Describe(value)}"));
                continue;
            }
            var number = value.Value<double>();
            if (!double.IsFinite(number) || Math.Abs(number) > LargestBound)
            {
                problems.Add(([.. path, keyword], double.IsFinite(number) ? $"{keyword} {value.ToString(Newtonsoft.Json.Formatting.None)} is beyond ±1e28, past what a bound can hold" : $"{keyword} is not a finite number; give a bound within ±1e28"));
            }
            else if (keyword == "multipleOf" && number <= 0)
            {
                problems.Add(([.. path, keyword], "multipleOf must be greater than 0"));
            }
        }
        if (node["default"] is { Type: JTokenType.Float } fallback && !double.IsFinite(fallback.Value<double>()))
        {
            problems.Add(([.. path, "default"], $"default {fallback.ToString(Newtonsoft.Json.Formatting.None)} is not a finite number"));
        }
        if (node["$ref"] is { } reference)
        {
            if (reference.Type != JTokenType.String || !((string)reference!).StartsWith("#/", StringComparison.Ordinal))
            {
                problems.Add(([.. path, "$ref"], $"$ref {reference.ToString(Newtonsoft.Json.Formatting.None)} is refused: a hyperparameter schema may only refer inside itself (#/definitions/...); files, URLs and the whole schema ('#') are never resolved"));
            }
            else if (Pointer(root, (string)reference!) is null)
            {
                problems.Add(([.. path, "$ref"], $"$ref '{reference}' points at nothing in the schema"));
            }
            else if (RefersToItself(root, (string)reference!))
            {
                problems.Add(([.. path, "$ref"], $"$ref '{reference}' leads back to itself through other $refs"));
            }
        }
        foreach (var keyword in SchemaMapKeywords)
        {
            if (node[keyword] is null)
            {
                continue;
            }
            if (node[keyword] is not JObject map)
            {
                problems.Add(([.. path, keyword], $"{keyword} must be a mapping of names to schemas, not {Describe(node[keyword]!)}"));
                continue;
            }
            foreach (var property in map.Properties())
            {
                // dependencies may also list property names.
                if (keyword == "dependencies" && property.Value is JArray)
                {
                    continue;
                }
                CheckSchema(property.Value, [.. path, keyword, property.Name], problems, root, depth + 1);
            }
        }
        foreach (var keyword in SchemaKeywords)
        {
            if (node[keyword] is { } sub && !(keyword == "items" && sub is JArray))
            {
                CheckSchema(sub, [.. path, keyword], problems, root, depth + 1);
            }
        }
        foreach (var keyword in SchemaListKeywords)
        {
            if (node[keyword] is null || (keyword == "items" && node[keyword] is not JArray))
            {
                continue;
            }
            if (node[keyword] is not JArray list)
            {
                problems.Add(([.. path, keyword], $"{keyword} must be a list of schemas, not {Describe(node[keyword]!)}"));
                continue;
            }
            for (var i = 0; i < list.Count; i++)
            {
                CheckSchema(list[i], [.. path, keyword, i], problems, root, depth + 1);
            }
        }
    }

    private static bool RefersToItself(JObject root, string reference)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (seen.Add(reference))
        {
            if (Pointer(root, reference) is not JObject { } target || target["$ref"] is not { Type: JTokenType.String } next
                || !((string)next!).StartsWith("#/", StringComparison.Ordinal))
            {
                return false;
            }
            reference = (string)next!;
        }
        return true;
    }

    /// <summary>The token a JSON pointer (#/a/b) names inside the schema, or null.</summary>
    private static JToken? Pointer(JObject root, string reference)
    {
        JToken? at = root;
        foreach (var raw in reference[2..].Split('/'))
        {
            var part = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            at = at switch
            {
                JObject o => o[part],
                JArray a when int.TryParse(part, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
            if (at is null)
            {
                return null;
            }
        }
        return at;
    }

    private static string Describe(JToken token) => token.Type switch
    {
        JTokenType.String => $"the text '{token}'",
        JTokenType.Array => "a list",
        JTokenType.Null => "null",
        _ => token.ToString(Newtonsoft.Json.Formatting.None),
    };

    /// <summary>Problems with the instance's values: (path inside hyperparameters, message).</summary>
    public static IReadOnlyList<(string Path, string Message)> Validate(ModelDefinitionSpec definition, ModelInstanceSpec instance)
    {
        var given = instance.Hyperparameters ?? [];
        var nonFinite = given.Properties()
            .Where(p => p.Value.Type == JTokenType.Float && !double.IsFinite(p.Value.Value<double>()))
            .Select(p => (p.Name, $"{(double.IsNaN(p.Value.Value<double>()) ? "NaN" : "infinity")} is not a number a trainer can use; give a finite value"))
            .ToList();
        if (nonFinite.Count > 0)
        {
            return nonFinite;
        }
        if (definition.Model.Hyperparameters is not null && SchemaProblems(definition).Count > 0)
        {
            // The definition's finding says why; its instances cannot be checked against it.
            return [];
        }
        var schema = SchemaOf(definition);
        if (schema is null)
        {
            return given.Count == 0
                ? []
                : [("", $"definition declares no hyperparameters, but the instance sets {string.Join(", ", given.Properties().Select(p => p.Name))}")];
        }
        try
        {
            return SchemaCatalog.ValidateAgainst(schema, given);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [("", $"cannot be checked against the definition's schema: {e.Message}")];
        }
    }

    /// <summary>Defaults from the schema, overridden by the instance's values; keys sorted for stable fingerprints.</summary>
    public static SortedDictionary<string, JToken> Resolve(ModelDefinitionSpec definition, ModelInstanceSpec instance)
    {
        var result = new SortedDictionary<string, JToken>(StringComparer.Ordinal);
        if (definition.Model.Hyperparameters?["properties"] is JObject properties)
        {
            foreach (var property in properties.Properties())
            {
                if (property.Value is JObject propertySchema && propertySchema["default"] is { } value)
                {
                    result[property.Name] = value.DeepClone();
                }
            }
        }
        foreach (var property in (instance.Hyperparameters ?? []).Properties())
        {
            result[property.Name] = property.Value.DeepClone();
        }
        return result;
    }

    /// <summary>The resolved values as plain CLR objects (double, long, bool, string) for the trainers.</summary>
    public static IReadOnlyDictionary<string, object?> ToClr(SortedDictionary<string, JToken> values) =>
        values.ToDictionary(p => p.Key, p => ((JValue?)(p.Value as JValue))?.Value, StringComparer.Ordinal);
}
