namespace OptAIC.Engine.Specs.Yaml;

/// <summary>A 1-based line and column in a source file.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public static readonly SourcePosition Start = new(1, 1);

    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>
/// A YAML node that remembers where it stood in its file, so every finding can point at a line and
/// column. Aliases are resolved to the anchored node (shared, never copied).
/// </summary>
public abstract class YamlNode
{
    protected YamlNode(SourcePosition start, SourcePosition end)
    {
        Start = start;
        End = end;
    }

    public SourcePosition Start { get; }

    public SourcePosition End { get; }
}

public sealed class YamlScalar : YamlNode
{
    public YamlScalar(string value, bool isPlain, string? tag, SourcePosition start, SourcePosition end)
        : base(start, end)
    {
        Value = value;
        IsPlain = isPlain;
        Tag = tag;
    }

    public string Value { get; }

    /// <summary>Unquoted: its type (null, bool, number, string) is resolved by the YAML 1.2 core schema.</summary>
    public bool IsPlain { get; }

    public string? Tag { get; }

    public override string ToString() => Value;
}

public sealed class YamlSequence : YamlNode
{
    public YamlSequence(IReadOnlyList<YamlNode> items, SourcePosition start, SourcePosition end)
        : base(start, end) => Items = items;

    public IReadOnlyList<YamlNode> Items { get; }
}

public sealed class YamlMapping : YamlNode
{
    private readonly Dictionary<string, int> _index;

    public YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> entries, SourcePosition start, SourcePosition end)
        : base(start, end)
    {
        Entries = entries;
        _index = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            _index.TryAdd(entries[i].Key.Value, i);
        }
    }

    public IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries { get; }

    public YamlNode? this[string key] => _index.TryGetValue(key, out var i) ? Entries[i].Value : null;

    public YamlScalar? KeyNode(string key) => _index.TryGetValue(key, out var i) ? Entries[i].Key : null;
}
