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
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    /// <summary>The definition's hyperparameter schema, parsed once per distinct schema text.</summary>
    public static JsonSchema? SchemaOf(ModelDefinitionSpec definition)
    {
        if (definition.Model.Hyperparameters is not { } json)
        {
            return null;
        }
        var text = json.ToString(Newtonsoft.Json.Formatting.None);
        return Schemas.GetOrAdd(text, t => JsonSchema.FromJsonAsync(t).GetAwaiter().GetResult());
    }

    /// <summary>Problems with the instance's values: (path inside hyperparameters, message).</summary>
    public static IReadOnlyList<(string Path, string Message)> Validate(ModelDefinitionSpec definition, ModelInstanceSpec instance)
    {
        var schema = SchemaOf(definition);
        var given = instance.Hyperparameters ?? [];
        if (schema is null)
        {
            return given.Count == 0
                ? []
                : [("", $"definition declares no hyperparameters, but the instance sets {string.Join(", ", given.Properties().Select(p => p.Name))}")];
        }
        return SchemaCatalog.ValidateAgainst(schema, given);
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
