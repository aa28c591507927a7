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

    private readonly Emitter _emitter;

    private RecordYamlWriter(TextWriter output) => _emitter = new Emitter(output, Settings);

    public static string Write(object? value)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var writer = new RecordYamlWriter(text);
        writer._emitter.Emit(new StreamStart());
        writer._emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        writer.WriteValue(value);
        writer._emitter.Emit(new DocumentEnd(isImplicit: true));
        writer._emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private void WriteValue(object? value)
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
                WriteMap(map);
                break;
            case IEnumerable sequence:
                WriteSequence(sequence);
                break;
            default:
                WriteObject(value);
                break;
        }
    }

    private void WriteObject(object value)
    {
        var shape = RecordShape.Of(value.GetType());
        var entries = new List<(string Key, object Value)>(shape.Properties.Count);
        foreach (var property in shape.Properties)
        {
            if (property.Info.GetValue(value) is { } v)
            {
                entries.Add((property.Key, v));
            }
        }

        WriteEntries(entries);
    }

    private void WriteMap(IDictionary map)
    {
        var entries = new List<(string Key, object? Value)>(map.Count);
        foreach (DictionaryEntry entry in map)
        {
            entries.Add((KeyText(entry.Key), entry.Value));
        }

        entries.Sort((a, b) => RecordKeyOrder.Instance.Compare(a.Key, b.Key));
        WriteEntries(entries);
    }

    private void WriteEntries<TValue>(List<(string Key, TValue Value)> entries)
    {
        _emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, entries.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
        foreach (var (key, value) in entries)
        {
            // Keys are always read as text (or parsed by the map's key type), so they need no quoting to stay text.
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, key, ScalarStyle.Any, true, true));
            WriteValue(value);
        }

        _emitter.Emit(new MappingEnd());
    }

    private void WriteSequence(IEnumerable sequence)
    {
        var items = sequence.Cast<object?>().ToList();

        // Numbers and booleans sit on one line ([0.1, 0.2]); anything else one item per line.
        var flow = items.Count == 0 || items.TrueForAll(i => i is bool or double or float or int or long or short or byte or decimal);
        _emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, flow ? SequenceStyle.Flow : SequenceStyle.Block));
        foreach (var item in items)
        {
            WriteValue(item);
        }

        _emitter.Emit(new SequenceEnd());
    }

    private void Plain(string text) =>
        _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false));

    private void Text(string text)
    {
        if (YamlScalars.NeedsQuotes(text))
        {
            _emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.DoubleQuoted, false, true));
        }
        else
        {
            var style = text.Contains('\n', StringComparison.Ordinal) && LiteralKeepsText(text) ? ScalarStyle.Literal : ScalarStyle.Any;
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

        return text.AsSpan().IndexOfAny("\r\u0085\u2028\u2029") < 0;
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
