namespace OptAIC.Engine.Registry;

/// <summary>A parsed YAML node with its 1-based position, for messages that point at the line.</summary>
internal abstract class YamlNode(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
}

internal sealed class YamlScalar(int line, int column, string value, bool isPlain) : YamlNode(line, column)
{
    public string Value { get; } = value;

    /// <summary>Unquoted, untagged: resolved by the core schema (null, bool, number) when read untyped.</summary>
    public bool IsPlain { get; } = isPlain;
}

internal sealed class YamlSequence(int line, int column, List<YamlNode> items) : YamlNode(line, column)
{
    public List<YamlNode> Items { get; } = items;
}

internal sealed class YamlMapping(int line, int column, List<KeyValuePair<YamlScalar, YamlNode>> entries) : YamlNode(line, column)
{
    public List<KeyValuePair<YamlScalar, YamlNode>> Entries { get; } = entries;
}
