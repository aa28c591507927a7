using System.Text.Json;
using System.Text.Json.Serialization;

namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// The one JSON shape of requests and results (files of <c>optaic run-activity</c>, a queue's payloads):
/// camelCase, enums as names, NaN and infinities allowed, and values typed <c>object</c> (record details,
/// hyperparameters, a monitoring report) read back as plain values (long, double, string, bool, lists,
/// string-keyed maps), as the registry's records hold them.
/// </summary>
public static class RunJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json, string source) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new RunRequestException($"{source}: empty JSON");

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            WriteIndented = true,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new PlainObjectConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Writes an object-typed value by its runtime type; reads it back as plain values, never as JsonElement.</summary>
    private sealed class PlainObjectConverter : JsonConverter<object>
    {
        public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.True:
                    return true;
                case JsonTokenType.False:
                    return false;
                case JsonTokenType.Null:
                    return null;
                case JsonTokenType.Number:
                    return reader.TryGetInt64(out var l) ? l : reader.GetDouble();
                case JsonTokenType.String:
                    var text = reader.GetString();
                    return text switch
                    {
                        "NaN" => double.NaN,
                        "Infinity" => double.PositiveInfinity,
                        "-Infinity" => double.NegativeInfinity,
                        _ => text,
                    };
                case JsonTokenType.StartArray:
                    var list = new List<object?>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        list.Add(Read(ref reader, typeof(object), options));
                    }
                    return list;
                case JsonTokenType.StartObject:
                    var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var key = reader.GetString()!;
                        reader.Read();
                        map[key] = Read(ref reader, typeof(object), options);
                    }
                    return map;
                default:
                    throw new JsonException($"unexpected {reader.TokenType}");
            }
        }

        public override void Write(Utf8JsonWriter writer, object value, JsonSerializerOptions options)
        {
            if (value.GetType() == typeof(object))
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
                return;
            }
            JsonSerializer.Serialize(writer, value, value.GetType(), options);
        }
    }
}
