using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OptAIC.Engine.Specs.Yaml;

namespace OptAIC.Engine.Specs;

/// <summary>
/// One YAML document of a spec file: its envelope (kind, name), its JSON form, and its YAML tree
/// so that any JSON path can be turned back into a line and column.
/// </summary>
public sealed class SpecDocument
{
    private string? _contentHash;

    public SpecDocument(string file, int index, YamlNode root)
    {
        File = file;
        Index = index;
        Root = root;
        Json = YamlJson.ToJson(root);
        if (Json is JObject envelope)
        {
            Kind = envelope["kind"]?.Type == JTokenType.String ? (string?)envelope["kind"] : null;
            ApiVersion = envelope["apiVersion"]?.Type == JTokenType.String ? (string?)envelope["apiVersion"] : null;
            Name = envelope["metadata"] is JObject metadata && metadata["name"]?.Type == JTokenType.String ? (string?)metadata["name"] : null;
        }
    }

    /// <summary>Repository-relative path with forward slashes.</summary>
    public string File { get; }

    /// <summary>0-based position of the document in its file.</summary>
    public int Index { get; }

    public YamlNode Root { get; }

    public JToken Json { get; }

    public string? ApiVersion { get; }

    public string? Kind { get; }

    public string? Name { get; }

    /// <summary>The bound spec object (e.g. ModelInstanceSpec), once the document passed its schema.</summary>
    public object? Spec { get; internal set; }

    public JToken SpecJson => Json["spec"] ?? JValue.CreateNull();

    /// <summary>sha256 of the document's canonical JSON (sorted keys): formatting and comments do not change it.</summary>
    public string ContentHash => _contentHash ??= Canonical.Hash(Json);

    /// <summary>The position of the node at <paramref name="path"/> (keys and indexes), or of its deepest existing ancestor.</summary>
    public SourcePosition PositionOf(params object[] path) => YamlPath.Find(Root, path).Start;

    /// <summary>Like <see cref="PositionOf"/>, but for a mapping entry the position of its key.</summary>
    public SourcePosition KeyPositionOf(params object[] path) => YamlPath.FindKey(Root, path).Start;

    public override string ToString() => $"{Kind}/{Name} ({File})";
}

/// <summary>Navigates a YAML tree by a JSON path.</summary>
public static class YamlPath
{
    public static YamlNode Find(YamlNode root, IEnumerable<object> path)
    {
        var node = root;
        foreach (var segment in path)
        {
            var next = Step(node, segment);
            if (next is null)
            {
                return node;
            }
            node = next;
        }
        return node;
    }

    public static YamlNode FindKey(YamlNode root, IReadOnlyList<object> path)
    {
        if (path.Count == 0)
        {
            return root;
        }
        var parent = Find(root, path.Take(path.Count - 1));
        return parent is YamlMapping mapping && path[^1] is string key && mapping.KeyNode(key) is { } keyNode
            ? keyNode
            : Find(root, path);
    }

    private static YamlNode? Step(YamlNode node, object segment) => (node, segment) switch
    {
        (YamlMapping mapping, string key) => mapping[key],
        (YamlSequence sequence, int index) when index >= 0 && index < sequence.Items.Count => sequence.Items[index],
        _ => null,
    };
}

/// <summary>Canonical JSON (keys sorted, no whitespace) and its sha256, for content fingerprints.</summary>
public static class Canonical
{
    public static string Json(JToken token)
    {
        var builder = new StringBuilder();
        using var writer = new JsonTextWriter(new StringWriter(builder)) { Formatting = Formatting.None };
        Write(writer, token);
        writer.Flush();
        return builder.ToString();
    }

    public static string Hash(JToken token) => Sha256Hex(Json(token));

    public static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static void Write(JsonWriter writer, JToken token)
    {
        switch (token)
        {
            case JObject obj:
                writer.WriteStartObject();
                foreach (var property in obj.Properties().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                token.WriteTo(writer);
                break;
        }
    }
}
