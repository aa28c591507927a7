using System.Globalization;
using System.Text;

namespace OptAIC.Engine.Registry;

/// <summary>
/// A parser for the block-style YAML subset that <see cref="RecordYamlWriter"/> writes (block maps and lists,
/// plain, quoted and literal scalars, one-line flow lists of scalars, comments). Reading records is what
/// <c>optaic status</c> spends its time on, and YamlDotNet's general parser is most of that cost. Anything
/// outside the subset (anchors, tags, folded or multi-line plain scalars, flow maps, tabs, CR, several
/// documents, malformed text…) makes <see cref="TryParse"/> return false, and the caller falls back to
/// YamlDotNet, which reads the rest of YAML and reports errors. Tests compare both parsers on generated records.
/// </summary>
internal sealed class FastYamlParser
{
    private static readonly System.Buffers.SearchValues<char> FlowIndicators = System.Buffers.SearchValues.Create("[]{}'\"#:&*!|>%@`?");

    private readonly string[] _lines;
    private int _row;

    private FastYamlParser(string[] lines) => _lines = lines;

    public static bool TryParse(string yaml, out YamlNode? root)
    {
        root = null;
        if (yaml.Length == 0 || yaml.AsSpan().IndexOfAny('\r', '\t') >= 0 || yaml[0] == '\uFEFF')
        {
            return false;
        }

        var lines = yaml.Split('\n');
        var count = yaml[^1] == '\n' ? lines.Length - 1 : lines.Length;
        var parser = new FastYamlParser(lines[..count]);
        try
        {
            parser.SkipBlankAndComments();
            if (parser.AtEnd || Indent(parser.Current) != 0 || IsDirectiveOrMarker(parser.Current))
            {
                return false;
            }

            root = parser.ParseBlock(0);
            parser.SkipBlankAndComments();
            return parser.AtEnd && root is not null;
        }
        catch (UnsupportedException)
        {
            root = null;
            return false;
        }
    }

    private bool AtEnd => _row >= _lines.Length;
    private string Current => _lines[_row];

    private YamlNode ParseBlock(int indent)
    {
        var line = Current;
        return IsSequenceItem(line, indent) ? ParseSequence(indent) : ParseMapping(indent);
    }

    private YamlMapping ParseMapping(int indent)
    {
        var mapping = new YamlMapping(_row + 1, indent + 1, []);
        while (true)
        {
            SkipBlankAndComments();
            if (AtEnd || Indent(Current) < indent)
            {
                return mapping;
            }

            var line = Current;
            if (Indent(line) > indent || IsSequenceItem(line, indent) || IsDirectiveOrMarker(line))
            {
                throw new UnsupportedException();
            }

            var (key, valueStart) = ParseKey(line, indent) ?? throw new UnsupportedException();
            mapping.Entries.Add(new(key, ParseValue(line, valueStart, indent, inMapping: true)));
        }
    }

    private YamlSequence ParseSequence(int indent)
    {
        var sequence = new YamlSequence(_row + 1, indent + 1, []);
        while (true)
        {
            SkipBlankAndComments();
            if (AtEnd || Indent(Current) < indent)
            {
                return sequence;
            }

            var line = Current;
            if (Indent(line) > indent)
            {
                throw new UnsupportedException();
            }

            if (!IsSequenceItem(line, indent))
            {
                // A key at the same indent: the list was the value of the previous key.
                return sequence;
            }

            var itemStart = SkipSpaces(line, indent + 1);
            if (itemStart < line.Length && line[itemStart] != '#' && (ParseKey(line, itemStart) is not null || IsSequenceItem(line, itemStart)))
            {
                // "- key: value" or "- - x": a nested block whose indent is the item's column.
                _lines[_row] = string.Concat(new string(' ', itemStart), line.AsSpan(itemStart));
                sequence.Items.Add(ParseBlock(itemStart));
            }
            else
            {
                sequence.Items.Add(ParseValue(line, itemStart, indent, inMapping: false));
            }
        }
    }

    /// <summary>The value after "key:" or "-" at <paramref name="start"/>; consumes its line(s).</summary>
    private YamlNode ParseValue(string line, int start, int parentIndent, bool inMapping)
    {
        var row = _row + 1;
        var column = start + 1;
        if (start >= line.Length || line[start] == '#')
        {
            _row++;
            SkipBlankAndComments();
            if (!AtEnd && (Indent(Current) > parentIndent || (inMapping && IsSequenceItem(Current, parentIndent))))
            {
                return ParseBlock(Indent(Current));
            }

            return new YamlScalar(row, column, "", isPlain: true);
        }

        YamlNode node;
        switch (line[start])
        {
            case '|':
                return ParseLiteral(line, start, parentIndent);
            case '"':
                node = new YamlScalar(row, column, DoubleQuoted(line, start), isPlain: false);
                break;
            case '\'':
                node = new YamlScalar(row, column, SingleQuoted(line, start), isPlain: false);
                break;
            case '[':
                node = FlowSequence(line, start, row);
                break;
            case '{':
                var close = SkipSpaces(line, start + 1);
                if (close >= line.Length || line[close] != '}' || !IsEnd(line, close + 1))
                {
                    throw new UnsupportedException();
                }

                node = new YamlMapping(row, column, []);
                break;
            default:
                node = new YamlScalar(row, column, Plain(line, start), isPlain: true);
                break;
        }

        _row++;

        // A following line indented deeper would continue a multi-line scalar: outside the subset.
        SkipBlankAndComments();
        if (!AtEnd && Indent(Current) > parentIndent)
        {
            throw new UnsupportedException();
        }

        return node;
    }

    private YamlScalar ParseLiteral(string line, int start, int parentIndent)
    {
        var row = _row + 1;
        var header = line.AsSpan(start + 1).TrimEnd(' ');
        var chomp = header switch
        {
            "" => ' ',
            "-" => '-',
            "+" => '+',
            _ => throw new UnsupportedException(), // indentation indicators, comments
        };
        _row++;

        // Content indent: that of the first non-empty line, which must be deeper than the parent.
        var contentIndent = -1;
        for (var r = _row; r < _lines.Length; r++)
        {
            if (_lines[r].Length == 0)
            {
                continue;
            }

            if (IsBlank(_lines[r]))
            {
                throw new UnsupportedException();
            }

            contentIndent = Indent(_lines[r]);
            break;
        }

        var content = new List<string>();
        if (contentIndent > parentIndent)
        {
            while (!AtEnd)
            {
                var text = Current;
                if (text.Length == 0 || (IsBlank(text) && text.Length <= contentIndent))
                {
                    content.Add("");
                }
                else if (Indent(text) >= contentIndent)
                {
                    content.Add(text[contentIndent..]);
                }
                else
                {
                    break;
                }

                _row++;
            }
        }
        else if (chomp == '+')
        {
            throw new UnsupportedException(); // empty lines kept by an empty block: rare, left to YamlDotNet
        }
        else
        {
            // Only empty lines before a less-indented line or the end: they are not part of the scalar.
            while (!AtEnd && Current.Length == 0)
            {
                _row++;
            }
        }

        var value = content.Count == 0 ? "" : string.Join('\n', content) + "\n";
        value = chomp switch
        {
            '-' => value.TrimEnd('\n'),
            ' ' => value.TrimEnd('\n') is { Length: > 0 } clipped ? clipped + "\n" : "",
            _ => value,
        };
        return new YamlScalar(row, start + 1, value, isPlain: false);
    }

    private static YamlSequence FlowSequence(string line, int start, int row)
    {
        var close = line.IndexOf(']', start);
        if (close < 0 || !IsEnd(line, close + 1))
        {
            throw new UnsupportedException();
        }

        var sequence = new YamlSequence(row, start + 1, []);
        var inner = line.AsSpan(start + 1, close - start - 1);
        if (inner.Trim(' ').IsEmpty)
        {
            return sequence;
        }

        var offset = start + 1;
        foreach (var range in inner.Split(','))
        {
            var item = inner[range];
            var trimmed = item.Trim(' ');
            if (trimmed.IsEmpty || trimmed.IndexOfAny(FlowIndicators) >= 0 || (trimmed[0] == '-' && trimmed.Length > 1 && trimmed[1] == ' '))
            {
                throw new UnsupportedException();
            }

            var column = offset + range.Start.GetOffset(inner.Length) + (item.Length - item.TrimStart(' ').Length) + 1;
            sequence.Items.Add(new YamlScalar(row, column, trimmed.ToString(), isPlain: true));
        }

        return sequence;
    }

    /// <summary>A key at <paramref name="start"/> followed by ':' and a space or the end of the line.</summary>
    private (YamlScalar Key, int ValueStart)? ParseKey(string line, int start)
    {
        var row = _row + 1;
        if (start >= line.Length)
        {
            return null;
        }

        string key;
        int colon;
        var first = line[start];
        if (first is '"' or '\'')
        {
            var end = QuotedEnd(line, start);
            if (end < 0)
            {
                return null;
            }

            colon = SkipSpaces(line, end + 1);
            if (colon >= line.Length || line[colon] != ':' || (colon + 1 < line.Length && line[colon + 1] != ' '))
            {
                return null;
            }

            key = first == '"' ? DoubleQuoted(line[..(end + 1)], start) : SingleQuoted(line[..(end + 1)], start);
            return (new YamlScalar(row, start + 1, key, isPlain: false), SkipSpaces(line, colon + 1));
        }

        if (IsIndicator(line, start))
        {
            return null;
        }

        colon = line.IndexOf(": ", start, StringComparison.Ordinal);
        if (colon < 0)
        {
            if (line[^1] != ':')
            {
                return null;
            }

            colon = line.Length - 1;
        }

        var text = line.AsSpan(start, colon - start);
        if (text.Contains(" #", StringComparison.Ordinal) || text.TrimEnd(' ').IsEmpty)
        {
            throw new UnsupportedException();
        }

        key = text.TrimEnd(' ').ToString();
        return (new YamlScalar(row, start + 1, key, isPlain: true), SkipSpaces(line, colon + 1));
    }

    private static string Plain(string line, int start)
    {
        if (IsIndicator(line, start))
        {
            throw new UnsupportedException();
        }

        var end = line.IndexOf(" #", start, StringComparison.Ordinal);
        var text = line.AsSpan(start, (end < 0 ? line.Length : end) - start).TrimEnd(' ');
        if (text.Contains(": ", StringComparison.Ordinal) || text.EndsWith(':'))
        {
            throw new UnsupportedException();
        }

        return text.ToString();
    }

    private static string SingleQuoted(string line, int start)
    {
        var end = QuotedEnd(line, start);
        if (end < 0 || !IsEnd(line, end + 1))
        {
            throw new UnsupportedException();
        }

        return line.Substring(start + 1, end - start - 1).Replace("''", "'", StringComparison.Ordinal);
    }

    private static string DoubleQuoted(string line, int start)
    {
        var end = QuotedEnd(line, start);
        if (end < 0 || !IsEnd(line, end + 1))
        {
            throw new UnsupportedException();
        }

        var text = new StringBuilder(end - start);
        for (var i = start + 1; i < end; i++)
        {
            var c = line[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            var e = line[++i];
            switch (e)
            {
                case '0': text.Append('\0'); break;
                case 'a': text.Append('\a'); break;
                case 'b': text.Append('\b'); break;
                case 't': text.Append('\t'); break;
                case 'n': text.Append('\n'); break;
                case 'v': text.Append('\v'); break;
                case 'f': text.Append('\f'); break;
                case 'r': text.Append('\r'); break;
                case 'e': text.Append('\u001b'); break;
                case ' ': text.Append(' '); break;
                case '"': text.Append('"'); break;
                case '/': text.Append('/'); break;
                case '\\': text.Append('\\'); break;
                case 'N': text.Append('\u0085'); break;
                case '_': text.Append('\u00a0'); break;
                case 'L': text.Append('\u2028'); break;
                case 'P': text.Append('\u2029'); break;
                case 'x': text.Append(HexChar(line, ref i, 2)); break;
                case 'u': text.Append(HexChar(line, ref i, 4)); break;
                case 'U': text.Append(HexChar(line, ref i, 8)); break;
                default: throw new UnsupportedException();
            }
        }

        return text.ToString();
    }

    private static string HexChar(string line, ref int i, int digits)
    {
        if (i + digits >= line.Length || !int.TryParse(line.AsSpan(i + 1, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code > 0x10FFFF || (code is >= 0xD800 and <= 0xDFFF))
        {
            throw new UnsupportedException();
        }

        i += digits;
        return char.ConvertFromUtf32(code);
    }

    /// <summary>Index of the closing quote of the quoted scalar starting at <paramref name="start"/>, or -1.</summary>
    private static int QuotedEnd(string line, int start)
    {
        var quote = line[start];
        for (var i = start + 1; i < line.Length; i++)
        {
            if (quote == '"' && line[i] == '\\')
            {
                i++;
            }
            else if (line[i] == quote)
            {
                if (quote == '\'' && i + 1 < line.Length && line[i + 1] == '\'')
                {
                    i++;
                }
                else
                {
                    return i;
                }
            }
        }

        return -1;
    }

    // Characters that cannot start a plain scalar or key (YAML 1.2 c-indicator), except '-', '?' and ':'
    // followed by a non-space, which can (e.g. "-0.5", "-.inf").
    private static bool IsIndicator(string line, int start)
    {
        var c = line[start];
        if (c is '-' or '?' or ':')
        {
            return start + 1 >= line.Length || line[start + 1] == ' ';
        }

        return c is ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`';
    }

    /// <summary>Only spaces, optionally followed by a comment, from <paramref name="index"/> on.</summary>
    private static bool IsEnd(string line, int index)
    {
        if (index < 0)
        {
            return false;
        }

        var rest = SkipSpaces(line, index);
        return rest >= line.Length || (line[rest] == '#' && rest > index);
    }

    private static bool IsSequenceItem(string line, int indent) =>
        line.Length > indent && line[indent] == '-' && (line.Length == indent + 1 || line[indent + 1] == ' ');

    private static bool IsDirectiveOrMarker(string line) =>
        line.StartsWith('%') || line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith("...", StringComparison.Ordinal);

    private static int Indent(string line) => SkipSpaces(line, 0);

    private static int SkipSpaces(string line, int index)
    {
        while (index < line.Length && line[index] == ' ')
        {
            index++;
        }

        return index;
    }

    private static bool IsBlank(string line) => SkipSpaces(line, 0) == line.Length;

    private void SkipBlankAndComments()
    {
        while (!AtEnd && (IsBlank(Current) || Current[Indent(Current)] == '#'))
        {
            _row++;
        }
    }

    private sealed class UnsupportedException : Exception
    {
    }
}
