using System.Collections.Concurrent;
using System.Globalization;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using OptAIC.Engine.Specs.Model;
using OptAIC.Engine.Specs.Text;

namespace OptAIC.Engine.Specs;

/// <summary>
/// The JSON Schemas of the spec kinds, read from the engine's embedded copies of schemas/*.schema.json
/// (the files themselves: there is no second copy), and validation that turns schema errors into
/// findings at the offending node's line and column.
/// </summary>
public sealed class SchemaCatalog
{
    private static readonly Lazy<SchemaCatalog> Shared = new(() => new SchemaCatalog());
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    public static SchemaCatalog Default => Shared.Value;

    /// <summary>The schema file's text, exactly as it is in schemas/.</summary>
    public static string RawSchema(string kind)
    {
        var resource = "schemas/" + SpecKinds.SchemaFileName(kind);
        using var stream = typeof(SchemaCatalog).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the engine was built without the embedded schema '{resource}'");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public const string CombinedSchemaFileName = "optaic.schema.json";

    /// <summary>
    /// One schema for every spec file, for editors: it picks the kind's own schema by <c>kind</c> (draft-07
    /// if/then, which yaml-language-server follows). Its references are relative, so it works from the
    /// folder that holds the kinds' files; it has no $id, so editors resolve them against that folder.
    /// </summary>
    public static string CombinedSchema()
    {
        var choices = string.Join(",\n", SpecKinds.All.Select(kind =>
            $$"""
                {
                  "if": { "properties": { "kind": { "const": "{{kind}}" } }, "required": ["kind"] },
                  "then": { "$ref": "{{SpecKinds.SchemaFileName(kind)}}" }
                }
            """));
        return $$"""
            {
              "$schema": "http://json-schema.org/draft-07/schema#",
              "title": "OptAIC spec",
              "description": "Any OptAIC spec: the schema of its kind, chosen by 'kind'. Written by 'optaic schema export'.",
              "type": "object",
              "required": ["apiVersion", "kind", "metadata", "spec"],
              "properties": {
                "kind": { "enum": [{{string.Join(", ", SpecKinds.All.Select(k => $"\"{k}\""))}}] }
              },
              "allOf": [
            {{choices}}
              ]
            }

            """;
    }

    public JsonSchema For(string kind) =>
        _schemas.GetOrAdd(kind, k => JsonSchema.FromJsonAsync(RawSchema(k)).GetAwaiter().GetResult());

    /// <summary>Validates a document against its kind's schema; the kind must be known.</summary>
    public IReadOnlyList<Finding> Validate(SpecDocument document)
    {
        var errors = For(document.Kind!).Validate(document.Json);
        if (errors.Count == 0)
        {
            return [];
        }
        var findings = new List<Finding>();
        foreach (var error in Flatten(errors))
        {
            findings.Add(ToFinding(document, error));
        }
        return findings;
    }

    /// <summary>Validates arbitrary JSON against a schema given as JSON (an instance's hyperparameters against its definition).</summary>
    public static IReadOnlyList<(string Path, string Message)> ValidateAgainst(JsonSchema schema, JToken value) =>
        Flatten(schema.Validate(value)).Select(e => (JsonPath.Display(JsonPath.Parse(e.Path)), Describe(e))).ToList();

    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                foreach (var nested in Flatten(child.Errors.SelectMany(e => e.Value)))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return error;
            }
        }
    }

    private static Finding ToFinding(SpecDocument document, ValidationError error)
    {
        var path = JsonPath.Parse(error.Path);
        var rule = error.Kind switch
        {
            ValidationErrorKind.PropertyRequired => "schema-required",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => "schema-unknown-field",
            ValidationErrorKind.NotInEnumeration => "schema-enum",
            ValidationErrorKind.PatternMismatch => "schema-pattern",
            ValidationErrorKind.StringExpected or ValidationErrorKind.NumberExpected or ValidationErrorKind.IntegerExpected
                or ValidationErrorKind.BooleanExpected or ValidationErrorKind.ObjectExpected or ValidationErrorKind.ArrayExpected
                or ValidationErrorKind.NullExpected or ValidationErrorKind.NoTypeValidates => "schema-type",
            ValidationErrorKind.NumberTooSmall or ValidationErrorKind.NumberTooBig or ValidationErrorKind.IntegerTooBig
                or ValidationErrorKind.StringTooShort or ValidationErrorKind.StringTooLong or ValidationErrorKind.TooManyItems
                or ValidationErrorKind.TooFewItems => "schema-range",
            _ => "schema-invalid",
        };
        var position = error.Kind == ValidationErrorKind.PropertyRequired
            ? document.PositionOf([.. path])
            : document.KeyPositionOf([.. path]);
        if (error.Kind == ValidationErrorKind.NoAdditionalPropertiesAllowed)
        {
            position = document.KeyPositionOf([.. path]);
        }
        var where = path.Count == 0 ? document.Kind ?? "document" : JsonPath.Display(path);
        if (error.Kind == ValidationErrorKind.PropertyRequired && document.Kind == SpecKinds.ModelDefinition
            && path is ["spec", _] && error.Property is "model" or "training" or "inference" or "monitoring" or "tests" or "docs")
        {
            return Finding.Error("definition-missing-component", document.File, document.KeyPositionOf("spec"),
                $"spec: the '{error.Property}' component is missing; a model definition declares all five components (model, training, inference, monitoring, tests) and docs");
        }
        return Finding.Error(rule, document.File, position, $"{where}: {Describe(error)}");
    }

    private static string Describe(ValidationError error)
    {
        var schema = error.Schema;
        var actual = error.Token is null ? "" : Show(error.Token);
        switch (error.Kind)
        {
            case ValidationErrorKind.PropertyRequired:
                return $"missing required field '{error.Property}'";
            case ValidationErrorKind.NoAdditionalPropertiesAllowed:
                var allowed = ParentProperties(error);
                return $"unknown field '{error.Property}'{Suggestions.DidYouMean(error.Property ?? "", allowed)}"
                    + (allowed.Count > 0 ? $" (allowed: {string.Join(", ", allowed)})" : "");
            case ValidationErrorKind.NotInEnumeration:
                var options = schema?.Enumeration.Select(o => o?.ToString() ?? "null").ToList() ?? [];
                var typed = error.Token?.ToString() ?? "";
                return $"{actual} is not one of: {string.Join(", ", options)}{Suggestions.DidYouMean(typed, options)}";
            case ValidationErrorKind.PatternMismatch:
                return $"{actual} is not valid here: {schema?.Description ?? "it must match " + schema?.Pattern}";
            case ValidationErrorKind.StringExpected:
                return $"expected a string, got {actual}" + (schema?.Description is { } hint ? $" ({hint})" : "");
            case ValidationErrorKind.NumberExpected:
                return $"expected a number, got {actual}";
            case ValidationErrorKind.IntegerExpected:
                return $"expected an integer, got {actual}";
            case ValidationErrorKind.BooleanExpected:
                return $"expected true or false, got {actual}";
            case ValidationErrorKind.ObjectExpected:
                return $"expected a mapping (key: value), got {actual}";
            case ValidationErrorKind.ArrayExpected:
                return $"expected a list, got {actual}";
            case ValidationErrorKind.NumberTooSmall:
                return $"{actual} is below the minimum {Number(schema?.Minimum ?? schema?.ExclusiveMinimum)}";
            case ValidationErrorKind.NumberTooBig or ValidationErrorKind.IntegerTooBig:
                return $"{actual} is above the maximum {Number(schema?.Maximum ?? schema?.ExclusiveMaximum)}";
            case ValidationErrorKind.StringTooShort:
                return $"{actual} is shorter than {schema?.MinLength} characters";
            case ValidationErrorKind.StringTooLong:
                return $"text is longer than {schema?.MaxLength} characters";
            case ValidationErrorKind.TooFewItems:
                return $"needs at least {schema?.MinItems} item(s)";
            case ValidationErrorKind.TooManyItems:
                return $"takes at most {schema?.MaxItems} item(s)";
            default:
                return $"{actual} does not match the schema ({error.Kind})";
        }
    }

    private static List<string> ParentProperties(ValidationError error)
    {
        var schema = error.Schema;
        return schema is null ? [] : [.. schema.ActualProperties.Keys];
    }

    private static string Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Show(JToken token) => token.Type switch
    {
        JTokenType.String => $"'{Truncate((string)token!)}'",
        JTokenType.Null => "nothing (null)",
        JTokenType.Object => "a mapping",
        JTokenType.Array => "a list",
        JTokenType.Boolean => (bool)token ? "true" : "false",
        _ => Truncate(token.ToString()),
    };

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}

/// <summary>NJsonSchema's error paths ("#/spec.features[2].expr") as key and index segments.</summary>
public static class JsonPath
{
    public static List<object> Parse(string? path)
    {
        var segments = new List<object>();
        if (string.IsNullOrEmpty(path))
        {
            return segments;
        }
        var text = path.StartsWith("#/", StringComparison.Ordinal) ? path[2..] : path.TrimStart('#');
        var i = 0;
        var current = new System.Text.StringBuilder();
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '.')
            {
                Flush();
                i++;
            }
            else if (c == '[')
            {
                Flush();
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    break;
                }
                var inner = text[(i + 1)..close];
                segments.Add(int.TryParse(inner, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) ? index : inner.Trim('"', '\''));
                i = close + 1;
            }
            else
            {
                current.Append(c);
                i++;
            }
        }
        Flush();
        return segments;

        void Flush()
        {
            if (current.Length > 0)
            {
                segments.Add(current.ToString());
                current.Clear();
            }
        }
    }

    public static string Display(IEnumerable<object> path)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var segment in path)
        {
            if (segment is int index)
            {
                builder.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                if (builder.Length > 0)
                {
                    builder.Append('.');
                }
                builder.Append(segment);
            }
        }
        return builder.ToString();
    }
}
