using System.Collections;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OptAIC.Engine.Registry;

/// <summary>
/// Writes a record as YAML through YamlDotNet's emitter: properties in declaration order (null ones left out),
/// map keys in <see cref="RecordKeyOrder"/>, no anchors, LF line ends, no line folding, a trailing newline.
/// </summary>
internal sealed class RecordYamlWriter
{
    private static readonly EmitterSettings Settings = new(
        bestIndent: 2,
        bestWidth: int.MaxValue,
        isCanonical: false,
        maxSimpleKeyLength: 1024,
        skipAnchorName: false,
        indentSequences: false,
        newLine: "\n");

    private static readonly System.Buffers.SearchValues<char> AwkwardCharacters = System.Buffers.SearchValues.Create(
        "\t\r\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000b\u000c\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f\u0085\u2028\u2029\ufeff");

    private readonly Emitter _emitter;

    private RecordYamlWriter(TextWriter output) => _emitter = new Emitter(output, Settings);

    public static string Write(object? value)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var writer = new RecordYamlWriter(text);
        writer._emitter.Emit(new StreamStart());
        writer._emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        writer.WriteValue(value, untyped: false);
        writer._emitter.Emit(new DocumentEnd(isImplicit: true));
        writer._emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    // Inside an untyped slot (a property, map value or list item of type object) objects are written with
    // sorted keys, as they read back as sorted maps: so the first write is already what every rewrite gives.
    private void WriteValue(object? value, bool untyped)
    {
        switch (value)
        {
            case null:
                Plain("null");
                break;
            case string s:
                Text(s);
                break;
            case bool b:
                Plain(b ? "true" : "false");
                break;
            case double d:
                Plain(YamlScalars.FormatDouble(d));
                break;
            case float f:
                Plain(YamlScalars.FormatSingle(f));
                break;
            case int or long or short or byte or sbyte or ushort or uint or ulong or decimal:
                Plain(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset dto:
                Text(YamlScalars.FormatDateTimeOffset(dto));
                break;
            case DateTime dt:
                Text(YamlScalars.FormatDateTime(dt));
                break;
            case DateOnly date:
                Text(date.ToString(YamlScalars.DateFormat, CultureInfo.InvariantCulture));
                break;
            case TimeSpan span:
                Text(span.ToString("c", CultureInfo.InvariantCulture));
                break;
            case Guid guid:
                Text(guid.ToString("D"));
                break;
            case Enum e:
                Text(EnumText(e));
                break;
            case IDictionary map:
                WriteMap(map, untyped || HoldsUntyped(map));
                break;
            case IEnumerable sequence:
                WriteSequence(sequence, untyped || HoldsUntyped(sequence));
                break;
            default:
                WriteObject(value, untyped);
                break;
        }
    }

    private void WriteObject(object value, bool untyped)
    {
        var shape = RecordShape.Of(value.GetType());
        var entries = new List<(string Key, object? Value, bool Untyped)>(shape.Properties.Count);
        foreach (var property in shape.Properties)
        {
            if (property.Info.GetValue(value) is { } v)
            {
                entries.Add((property.Key, v, untyped || property.Type == typeof(object)));
            }
        }

        if (untyped)
        {
            entries.Sort((a, b) => RecordKeyOrder.Instance.Compare(a.Key, b.Key));
        }

        WriteEntries(entries);
    }

    private void WriteMap(IDictionary map, bool untyped)
    {
        var entries = new List<(string Key, object? Value, bool Untyped)>(map.Count);
        foreach (DictionaryEntry entry in map)
        {
            entries.Add((KeyText(entry.Key), entry.Value, untyped));
        }

        entries.Sort((a, b) => RecordKeyOrder.Instance.Compare(a.Key, b.Key));
        WriteEntries(entries);
    }

    private void WriteEntries(List<(string Key, object? Value, bool Untyped)> entries)
    {
        _emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, entries.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
        foreach (var (key, value, untyped) in entries)
        {
            // Keys are always read as text (or parsed by the map's key type), so a name-like key stays plain even
            // when it looks like a number; anything else is double-quoted (YamlDotNet's emitter writes some
            // plain keys its own parser rejects inside lists).
            var style = IsNameLike(key) ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted;
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, key, style, style == ScalarStyle.Plain, true));
            WriteValue(value, untyped);
        }

        _emitter.Emit(new MappingEnd());
    }

    private void WriteSequence(IEnumerable sequence, bool untyped)
    {
        var items = sequence.Cast<object?>().ToList();

        // Numbers and booleans sit on one line ([0.1, 0.2]); anything else one item per line.
        var flow = items.Count == 0 || items.TrueForAll(i => i is bool or double or float or int or long or short or byte or decimal);
        _emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, flow ? SequenceStyle.Flow : SequenceStyle.Block));
        foreach (var item in items)
        {
            WriteValue(item, untyped);
        }

        _emitter.Emit(new SequenceEnd());
    }

    private static bool HoldsUntyped(IEnumerable collection) =>
        collection.GetType() is var type && !type.IsArray && RecordShape.Of(type) is { Kind: ShapeKind.List or ShapeKind.Map } shape
            ? shape.ItemType == typeof(object)
            : type.GetElementType() == typeof(object);

    private void Plain(string text) =>
        _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false));

    private void Text(string text)
    {
        // Besides values that would read as another type, double quotes (with escapes) keep exactly what the
        // other styles trip on: leading or trailing blanks, tabs, control and line-separator characters.
        var multiline = text.Contains('\n', StringComparison.Ordinal);
        if (YamlScalars.NeedsQuotes(text) || text[0] == ' ' || text[^1] == ' '
            || text.AsSpan().IndexOfAny(AwkwardCharacters) >= 0 || (multiline && !LiteralKeepsText(text)))
        {
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.DoubleQuoted, false, true));
        }
        else
        {
            // Never "any" for several lines: YamlDotNet may then pick the folded style, which can alter text.
            var style = multiline ? ScalarStyle.Literal : ScalarStyle.Any;
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, style, true, true));
        }
    }

    // A literal block keeps text exactly unless it has carriage returns, other line breaks, or trailing blanks.
    private static bool LiteralKeepsText(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && (line[^1] is ' ' or '\t'))
            {
                return false;
            }
        }

        // Only line breaks: YamlDotNet writes a literal block that reads back empty.
        return text.AsSpan().IndexOfAny("\r\u0085\u2028\u2029") < 0 && text.AsSpan().ContainsAnyExcept('\n');
    }

    // Letters, digits, '_', '.', '/', '@', '+', '-' and inner single spaces, not starting with "- ".
    private static bool IsNameLike(string key)
    {
        if (key.Length == 0 || key[0] == ' ' || key[^1] == ' ' || (key[0] == '-' && (key.Length == 1 || key[1] == ' ')))
        {
            return false;
        }

        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (!(char.IsLetterOrDigit(c) || c is '_' or '.' or '/' or '@' or '+' or '-' || (c == ' ' && key[i - 1] != ' ')))
            {
                return false;
            }
        }

        return true;
    }

    private static string KeyText(object key) => key switch
    {
        string s => s,
        Enum e => EnumText(e),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => key.ToString() ?? "",
    };

    internal static string EnumText(Enum value)
    {
        var name = Enum.GetName(value.GetType(), value)
            ?? throw new ArgumentException($"{value.GetType().Name} value {value} has no name and cannot be written.", nameof(value));
        return RecordShape.KeyName(name);
    }
}
