using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Plan;

/// <summary>
/// What decided a result: a flat, sorted map from a readable field path ("hyperparameters.learningRate",
/// "feature.ret_1d", "dataset.spx-daily") to its value, and the sha256 of the whole. Comparing the parts
/// of two fingerprints names every field that changed, so a plan can say why.
/// </summary>
public sealed class FingerprintParts
{
    private readonly SortedDictionary<string, string> _parts = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Parts => _parts;

    public FingerprintParts Add(string name, string? value)
    {
        if (value is not null)
        {
            _parts[name] = value;
        }
        return this;
    }

    public FingerprintParts Add(string name, double value) => Add(name, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>Adds every leaf of a JSON value under <paramref name="prefix"/> (objects by key, arrays by index).</summary>
    public FingerprintParts AddJson(string prefix, JToken? token)
    {
        switch (token)
        {
            case null:
                break;
            case JObject obj:
                foreach (var property in obj.Properties())
                {
                    AddJson($"{prefix}.{property.Name}", property.Value);
                }
                break;
            case JArray array when array.All(a => a is JValue):
                Add(prefix, "[" + string.Join(", ", array.Select(Scalar)) + "]");
                break;
            case JArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    AddJson($"{prefix}[{i}]", array[i]);
                }
                break;
            case JValue value:
                Add(prefix, Scalar(value));
                break;
        }
        return this;
    }

    /// <summary>The sha256 of an imported model's file.</summary>
    public const string OnnxFileKey = "onnx.sha256";

    public string Value => Hash(_parts);

    public static string Hash(IReadOnlyDictionary<string, string> parts)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in parts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('\u001f').Append(value).Append('\u001e');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The reasons a result with <paramref name="before"/> parts is out of date against <paramref name="after"/>.</summary>
    public static IReadOnlyList<string> Reasons(IReadOnlyDictionary<string, string>? before, IReadOnlyDictionary<string, string> after) =>
        [.. Changes(before, after).Select(c => c.Reason)];

    /// <summary>The parts that differ, as data (the planner selects by key and kind, never by the reason's wording).</summary>
    public static IReadOnlyList<PartChange> Changes(IReadOnlyDictionary<string, string>? before, IReadOnlyDictionary<string, string> after)
    {
        if (before is null)
        {
            return [];
        }
        var changes = new List<PartChange>();
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetValue(key, out var old);
            var has = after.TryGetValue(key, out var now);
            if (had && has && old == now)
            {
                continue;
            }
            changes.Add(new PartChange(key, had ? old : null, has ? now : null));
        }
        return changes;
    }

    /// <summary>The reason a person reads for one changed part.</summary>
    internal static string Reason(PartChange change) => Describe(change.Key, change.Before, change.After);

    private static string Describe(string key, string? before, string? after)
    {
        // Content hashes say "changed"; readable values show both sides, Terraform-style.
        if (key.StartsWith(PartChange.DatasetPrefix, StringComparison.Ordinal))
        {
            var name = key[PartChange.DatasetPrefix.Length..];
            return before is null ? $"dataset {name}: now read" : after is null ? $"dataset {name}: no longer read" : $"dataset {name}: content changed";
        }
        if (key == OnnxFileKey && before is not null && after is not null)
        {
            return $"onnx file changed (sha256 {before[..Math.Min(4, before.Length)]}… -> {after[..Math.Min(4, after.Length)]}…)";
        }
        if (key.StartsWith(PartChange.InputPrefix, StringComparison.Ordinal))
        {
            var name = key[PartChange.InputPrefix.Length..];
            return after is null ? $"input {name}: removed" : before is null ? $"input {name}: added" : $"input {name} changes";
        }
        if (before is null)
        {
            return $"{key}: added ({Short(after!)})";
        }
        if (after is null)
        {
            return $"{key}: removed (was {Short(before)})";
        }
        return $"{key}: {Short(before)} -> {Short(after)}";
    }

    private static string Short(string value) => value.Length <= 64 ? value : value[..61] + "...";

    private static string Scalar(JToken token) => token.Type switch
    {
        JTokenType.String => (string)token!,
        JTokenType.Float => ((double)token).ToString("R", CultureInfo.InvariantCulture),
        JTokenType.Null => "null",
        _ => Canonical.Json(token),
    };
}

/// <summary>One part of a fingerprint that changed: its key, and its value before and after (null: not there).</summary>
public sealed record PartChange(string Key, string? Before, string? After)
{
    public const string DatasetPrefix = "dataset.";
    public const string InputPrefix = "input.";

    /// <summary>What a person reads: "dataset spx-daily: content changed", "hyperparameters.numLeaves: 31 -> 63".</summary>
    public string Reason => FingerprintParts.Reason(this);

    /// <summary>A dataset read before and after whose content version moved.</summary>
    public bool IsDatasetContent => Key.StartsWith(DatasetPrefix, StringComparison.Ordinal) && Before is not null && After is not null;

    /// <summary>The output of an input (a combiner's, a filter's) that was, is, or is no longer read.</summary>
    public bool IsInput => Key.StartsWith(InputPrefix, StringComparison.Ordinal);
}
