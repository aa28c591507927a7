using System.Collections;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OptAIC.Engine.Registry;

/// <summary>
/// Reads a record: YamlDotNet's parser builds a small node tree (with line and column for messages), which is
/// then bound to the record class through <see cref="RecordShape"/>. Unknown keys are errors, so a typo in a
/// hand-edited record is reported rather than silently dropped on the next write.
/// </summary>
internal static class RecordYamlReader
{
    public static object? Read(string yaml, Type type, string source)
    {
        var root = Parse(yaml, source);
        return Bind(root, RecordShape.Of(type), null, "", source);
    }

    public static object? ReadTree(string yaml, string source) => ToTree(Parse(yaml, source), source);

    private static YamlNode Parse(string yaml, string source) =>
        FastYamlParser.TryParse(yaml, out var root) ? root! : ParseWithYamlDotNet(yaml, source);

    /// <summary>The general parser: all of YAML, and the error messages for what is not valid.</summary>
    internal static YamlNode ParseWithYamlDotNet(string yaml, string source)
    {
        try
        {
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                throw new RegistryFormatException(source, 1, 1, "the file is empty; expected a record");
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, source);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                var next = parser.Current!;
                throw new RegistryFormatException(source, (int)next.Start.Line, (int)next.Start.Column, "a record file holds exactly one YAML document; found another");
            }

            return root;
        }
        catch (YamlException e)
        {
            throw new RegistryFormatException(source, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {Unprefixed(e.Message)}", e);
        }
    }

    private static YamlNode ReadNode(IParser parser, string source)
    {
        var current = parser.Current ?? throw new RegistryFormatException(source, 0, 0, "unexpected end of file");
        if (current is AnchorAlias || current is NodeEvent { Anchor.IsEmpty: false })
        {
            throw Error(source, current.Start, "anchors and aliases are not allowed in registry records");
        }

        if (current is NodeEvent { Tag.IsEmpty: false } tagged && tagged.Tag.Value != "tag:yaml.org,2002:str")
        {
            throw Error(source, current.Start, $"tag '{tagged.Tag.Value}' is not allowed in registry records");
        }

        switch (current)
        {
            case Scalar scalar:
                parser.MoveNext();
                return new YamlScalar(Line(scalar.Start), Column(scalar.Start), scalar.Value, scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty);
            case SequenceStart start:
                {
                    parser.MoveNext();
                    var items = new List<YamlNode>();
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        items.Add(ReadNode(parser, source));
                    }

                    return new YamlSequence(Line(start.Start), Column(start.Start), items);
                }

            case MappingStart start:
                {
                    parser.MoveNext();
                    var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        if (ReadNode(parser, source) is not YamlScalar key)
                        {
                            throw Error(source, parser.Current!.Start, "map keys must be plain text");
                        }

                        entries.Add(new(key, ReadNode(parser, source)));
                    }

                    return new YamlMapping(Line(start.Start), Column(start.Start), entries);
                }

            default:
                throw Error(source, current.Start, $"unexpected {current.GetType().Name}");
        }
    }

    private static object? Bind(YamlNode node, RecordShape shape, object? existing, string path, string source)
    {
        if (shape.Kind == ShapeKind.Untyped)
        {
            return ToTree(node, source);
        }

        if (node is YamlScalar { IsPlain: true } n && YamlScalars.IsNull(n.Value)
            && (shape.Kind is ShapeKind.Nullable or ShapeKind.String or ShapeKind.List or ShapeKind.Array or ShapeKind.Map or ShapeKind.Object))
        {
            return null;
        }

        switch (shape.Kind)
        {
            case ShapeKind.Nullable:
                return Bind(node, RecordShape.Of(shape.ItemType!), null, path, source);
            case ShapeKind.List:
            case ShapeKind.Array:
                return BindList(Expect<YamlSequence>(node, "a list", path, source), shape, existing, path, source);
            case ShapeKind.Map:
                return BindMap(Expect<YamlMapping>(node, "a map", path, source), shape, existing, path, source);
            case ShapeKind.Object:
                return BindObject(Expect<YamlMapping>(node, "a map of keys", path, source), shape, path, source);
            default:
                var scalar = Expect<YamlScalar>(node, "a single value", path, source);
                return ParseScalar(scalar, shape, path, source);
        }
    }

    private static object ParseScalar(YamlScalar node, RecordShape shape, string path, string source)
    {
        var text = node.Value;
        object? value = shape.Kind switch
        {
            ShapeKind.String => text,
            ShapeKind.Bool => text switch
            {
                "true" or "True" or "TRUE" => true,
                "false" or "False" or "FALSE" => false,
                _ => null,
            },
            ShapeKind.Int32 => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null,
            ShapeKind.Int64 => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null,
            ShapeKind.Double => YamlScalars.TryParseDouble(text, out var d) ? d : null,
            ShapeKind.Single => YamlScalars.TryParseDouble(text, out var f) ? (float)f : null,
            ShapeKind.Decimal => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : null,
            ShapeKind.DateTimeOffset => YamlScalars.TryParseDateTimeOffset(text, out var dto) ? dto : null,
            ShapeKind.DateTime => DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dt) ? dt : null,
            ShapeKind.DateOnly => DateOnly.TryParseExact(text, YamlScalars.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null,
            ShapeKind.TimeSpan => TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null,
            ShapeKind.Guid => Guid.TryParse(text, out var guid) ? guid : null,
            ShapeKind.Enum => ParseEnum(shape.Type, text),
            _ => throw new NotSupportedException($"Cannot read {shape.Type}."),
        };

        return value ?? throw Error(source, node, $"{Where(path)}expected {Describe(shape)}, found '{text}'");
    }

    private static object? ParseEnum(Type type, string text)
    {
        if (text.Length == 0 || char.IsAsciiDigit(text[0]) || text[0] is '-' or '+')
        {
            return null;
        }

        return Enum.TryParse(type, text, ignoreCase: true, out var value) && Enum.IsDefined(type, value!) ? value : null;
    }

    private static IList BindList(YamlSequence node, RecordShape shape, object? existing, string path, string source)
    {
        IList list;
        if (shape.Kind == ShapeKind.List && existing is IList reusable && !reusable.IsReadOnly && !reusable.IsFixedSize)
        {
            reusable.Clear();
            list = reusable;
        }
        else if (shape.Kind == ShapeKind.List && !shape.Type.IsInterface)
        {
            list = Activator.CreateInstance(shape.Type) as IList
                ?? throw new NotSupportedException($"Record list type {shape.Type} must implement IList.");
        }
        else
        {
            list = (IList)shape.CreateCollection();
        }

        var item = RecordShape.Of(shape.ItemType!);
        for (var i = 0; i < node.Items.Count; i++)
        {
            list.Add(Bind(node.Items[i], item, null, $"{path}[{i}]", source));
        }

        if (shape.Kind == ShapeKind.Array)
        {
            var array = Array.CreateInstance(shape.ItemType!, list.Count);
            list.CopyTo(array, 0);
            return array;
        }

        return list;
    }

    private static IDictionary BindMap(YamlMapping node, RecordShape shape, object? existing, string path, string source)
    {
        IDictionary map;
        if (existing is IDictionary reusable && !reusable.IsReadOnly)
        {
            reusable.Clear();
            map = reusable;
        }
        else
        {
            map = (IDictionary)shape.CreateCollection();
        }

        var item = RecordShape.Of(shape.ItemType!);
        foreach (var (keyNode, valueNode) in node.Entries)
        {
            var key = ParseKey(keyNode, shape.KeyType!, path, source);
            if (map.Contains(key))
            {
                throw Error(source, keyNode, $"{Where(path)}key '{keyNode.Value}' appears twice");
            }

            map.Add(key, Bind(valueNode, item, null, Join(path, keyNode.Value), source));
        }

        return map;
    }

    private static object ParseKey(YamlScalar key, Type type, string path, string source)
    {
        if (type == typeof(string))
        {
            return key.Value;
        }

        var shape = RecordShape.Of(type);
        try
        {
            return ParseScalar(key, shape, path, source);
        }
        catch (RegistryFormatException)
        {
            throw Error(source, key, $"{Where(path)}key '{key.Value}' is not {Describe(shape)}");
        }
    }

    private static object BindObject(YamlMapping node, RecordShape shape, string path, string source)
    {
        var record = Activator.CreateInstance(shape.Type)
            ?? throw new NotSupportedException($"Record type {shape.Type} needs a public parameterless constructor.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in node.Entries)
        {
            var key = keyNode.Value;
            if (!shape.PropertiesByKey.TryGetValue(key, out var property))
            {
                var expected = string.Join(", ", shape.Properties.Select(p => p.Key));
                throw Error(source, keyNode, $"{Where(path)}unknown key '{key}' (a typo, or a record written by a newer engine?); expected one of: {expected}");
            }

            if (!seen.Add(key))
            {
                throw Error(source, keyNode, $"{Where(path)}key '{key}' appears twice");
            }

            var propertyPath = Join(path, key);
            var existing = property.Info.GetValue(record);
            var value = Bind(valueNode, RecordShape.Of(property.Type), existing, propertyPath, source);
            if (value is null && property.NonNullable)
            {
                throw Error(source, valueNode, $"'{propertyPath}' must have a value, not null");
            }

            if (property.CanWrite)
            {
                property.Info.SetValue(record, value);
            }
            else if (!ReferenceEquals(value, existing))
            {
                throw new NotSupportedException($"Record property {shape.Type.Name}.{property.Info.Name} has no public setter.");
            }
        }

        return record;
    }

    private static object? ToTree(YamlNode node, string source)
    {
        switch (node)
        {
            case YamlScalar scalar:
                return scalar.IsPlain ? YamlScalars.ResolvePlain(scalar.Value) : scalar.Value;
            case YamlSequence sequence:
                return sequence.Items.Select(i => ToTree(i, source)).ToList();
            default:
                var mapping = (YamlMapping)node;
                var map = new SortedDictionary<string, object?>(RecordKeyOrder.Instance);
                foreach (var (key, value) in mapping.Entries)
                {
                    if (!map.TryAdd(key.Value, ToTree(value, source)))
                    {
                        throw Error(source, key, $"key '{key.Value}' appears twice");
                    }
                }

                return map;
        }
    }

    private static T Expect<T>(YamlNode node, string what, string path, string source)
        where T : YamlNode
    {
        if (node is T typed)
        {
            return typed;
        }

        var found = node switch
        {
            YamlScalar s => $"'{s.Value}'",
            YamlSequence => "a list",
            _ => "a map",
        };
        throw Error(source, node, $"{Where(path)}expected {what}, found {found}");
    }

    private static string Describe(RecordShape shape) => shape.Kind switch
    {
        ShapeKind.Bool => "true or false",
        ShapeKind.Int32 or ShapeKind.Int64 => "a whole number",
        ShapeKind.Double or ShapeKind.Single or ShapeKind.Decimal => "a number",
        ShapeKind.DateTimeOffset or ShapeKind.DateTime => "a date and time (ISO 8601, e.g. 2024-01-31T12:00:00Z)",
        ShapeKind.DateOnly => "a date (yyyy-MM-dd)",
        ShapeKind.TimeSpan => "a duration (d.hh:mm:ss)",
        ShapeKind.Guid => "a GUID",
        ShapeKind.Enum => "one of " + string.Join(", ", Enum.GetNames(shape.Type).Select(RecordShape.KeyName)),
        _ => shape.Type.Name,
    };

    private static string Where(string path) => path.Length == 0 ? "" : $"'{path}': ";

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static RegistryFormatException Error(string source, Mark mark, string message) =>
        new(source, Line(mark), Column(mark), message);

    private static RegistryFormatException Error(string source, YamlNode node, string message) =>
        new(source, node.Line, node.Column, message);

    private static int Line(Mark mark) => (int)mark.Line;

    private static int Column(Mark mark) => (int)mark.Column;

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: …): "; the position is reported separately.
    private static string Unprefixed(string message)
    {
        var at = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line", StringComparison.Ordinal) && at >= 0 ? message[(at + 3)..] : message;
    }
}
