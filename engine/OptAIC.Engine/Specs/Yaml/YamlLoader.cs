using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OptAIC.Engine.Specs.Yaml;

/// <summary>Bounds that keep a hostile file from costing unbounded time or memory.</summary>
public sealed record YamlLimits
{
    public static readonly YamlLimits Default = new();

    /// <summary>A spec file larger than this is refused before it is parsed.</summary>
    public long MaxFileBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// The most nodes a document may hold once every alias is expanded. A "billion laughs" file
    /// (aliases of aliases) is refused as soon as its expanded size passes this, without expanding it.
    /// </summary>
    public long MaxExpandedNodes { get; init; } = 100_000;

    public int MaxDepth { get; init; } = 64;
}

public sealed record YamlError(string RuleId, string Message, SourcePosition Position);

/// <summary>The documents of one file, or the first error that stopped reading it.</summary>
public sealed record YamlFile(string Path, IReadOnlyList<YamlNode> Documents, IReadOnlyList<YamlError> Errors);

/// <summary>
/// Reads YAML into <see cref="YamlNode"/> trees with positions, from the parser's events (not
/// YamlDotNet's representation model, which forgets duplicate keys and expands aliases blindly).
/// </summary>
public static class YamlLoader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static YamlFile Load(string path, ReadOnlySpan<byte> bytes, YamlLimits? limits = null)
    {
        limits ??= YamlLimits.Default;
        if (bytes.Length > limits.MaxFileBytes)
        {
            return Fail(path, "yaml-file-too-large",
                $"file is {bytes.Length:N0} bytes, over the {limits.MaxFileBytes:N0}-byte cap for a spec file; split it into several files",
                SourcePosition.Start);
        }

        if (!TryDecode(bytes, out var text, out var badAt))
        {
            return Fail(path, "yaml-invalid-utf8",
                "file is not valid UTF-8; save it as UTF-8 (without a byte order mark is best)", badAt);
        }

        var tab = FindIndentationTab(text);
        if (tab is { } tabAt)
        {
            return Fail(path, "yaml-tab-indent",
                "tab character in indentation; YAML indents with spaces only", tabAt);
        }

        var builder = new Builder(limits);
        try
        {
            var parser = new Parser(new StringReader(text));
            var documents = builder.ReadStream(parser);
            return new YamlFile(path, documents, builder.Errors);
        }
        catch (YamlException e)
        {
            var position = new SourcePosition((int)Math.Max(1, e.Start.Line), (int)Math.Max(1, e.Start.Column));
            return new YamlFile(path, [], [.. builder.Errors, new YamlError("yaml-syntax", CleanMessage(e.Message), position)]);
        }
        catch (LimitExceededException e)
        {
            return new YamlFile(path, [], [.. builder.Errors, new YamlError(e.RuleId, e.Message, e.Position)]);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner throws these on some malformed input instead of a YamlException.
            return new YamlFile(path, [], [.. builder.Errors, new YamlError("yaml-syntax",
                "malformed YAML near here (an unclosed bracket, quote or block?)", builder.LastPosition)]);
        }
    }

    private static YamlFile Fail(string path, string rule, string message, SourcePosition at) =>
        new(path, [], [new YamlError(rule, message, at)]);

    private static bool TryDecode(ReadOnlySpan<byte> bytes, out string text, out SourcePosition badAt)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }
        try
        {
            text = StrictUtf8.GetString(bytes);
            badAt = default;
            return true;
        }
        catch (DecoderFallbackException e)
        {
            var valid = bytes[..Math.Max(0, e.Index)];
            var line = 1 + valid.Count((byte)'\n');
            var lastNewline = valid.LastIndexOf((byte)'\n');
            var column = 1 + Encoding.UTF8.GetCharCount(valid[(lastNewline + 1)..]);
            text = "";
            badAt = new SourcePosition(line, column);
            return false;
        }
    }

    private static SourcePosition? FindIndentationTab(string text)
    {
        var line = 1;
        var atLineStart = true;
        var column = 1;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                line++;
                column = 1;
                atLineStart = true;
                continue;
            }
            if (atLineStart && c == '\t')
            {
                return new SourcePosition(line, column);
            }
            if (c != ' ')
            {
                atLineStart = false;
            }
            column++;
        }
        return null;
    }

    // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: ...) - (Line: ...): "; the finding carries the position already.
    private static string CleanMessage(string message)
    {
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        var clean = message.StartsWith('(') && cut > 0 ? message[(cut + 3)..] : message;
        return clean.TrimEnd('.');
    }

    private static SourcePosition At(Mark mark) => new((int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private sealed class LimitExceededException(string ruleId, string message, SourcePosition position) : Exception(message)
    {
        public string RuleId { get; } = ruleId;

        public SourcePosition Position { get; } = position;
    }

    private sealed class Builder(YamlLimits limits)
    {
        private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
        private readonly Dictionary<YamlNode, long> _expandedSize = new(ReferenceEqualityComparer.Instance);
        private long _documentSize;

        /// <summary>Where the last event ended: the best position to report a failure the parser could not place.</summary>
        public SourcePosition LastPosition { get; private set; } = SourcePosition.Start;

        public List<YamlError> Errors { get; } = [];

        public List<YamlNode> ReadStream(IParser parser)
        {
            var documents = new List<YamlNode>();
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                _anchors.Clear();
                _documentSize = 0;
                if (parser.Accept<DocumentEnd>(out _))
                {
                    parser.Consume<DocumentEnd>();
                    continue;
                }
                documents.Add(ReadNode(parser, 0));
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
            return documents;
        }

        private YamlNode ReadNode(IParser parser, int depth)
        {
            if (parser.Current is { } current)
            {
                LastPosition = At(current.Start);
            }
            if (depth > limits.MaxDepth)
            {
                throw new LimitExceededException("yaml-too-deep",
                    $"nesting deeper than {limits.MaxDepth} levels; flatten the document", At(parser.Current!.Start));
            }

            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlException(alias.Start, alias.End, $"alias *{alias.Value.Value} refers to no anchor defined before it");
                }
                Count(SizeOf(target), alias.Start);
                return target;
            }

            YamlNode node;
            string anchor;
            if (parser.TryConsume<Scalar>(out var scalar))
            {
                Count(1, scalar.Start);
                anchor = scalar.Anchor.IsEmpty ? "" : scalar.Anchor.Value;
                CheckTag(scalar.Tag, scalar.Start);
                if (scalar.Style == ScalarStyle.Plain && (scalar.Tag.IsEmpty || scalar.Tag.Value != "tag:yaml.org,2002:str") && YamlJson.IsNonFinite(scalar.Value))
                {
                    Errors.Add(new YamlError("yaml-non-finite",
                        $"'{scalar.Value}' is not a finite number (NaN, infinity, or beyond ±1.8e308); a spec holds finite numbers only, quote it if it is text",
                        At(scalar.Start)));
                }
                node = new YamlScalar(scalar.Value, scalar.Style == ScalarStyle.Plain,
                    scalar.Tag.IsEmpty ? null : scalar.Tag.Value, At(scalar.Start), At(scalar.End));
            }
            else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                Count(1, sequenceStart.Start);
                CheckTag(sequenceStart.Tag, sequenceStart.Start);
                anchor = sequenceStart.Anchor.IsEmpty ? "" : sequenceStart.Anchor.Value;
                var items = new List<YamlNode>();
                while (!parser.TryConsume<SequenceEnd>(out var sequenceEnd))
                {
                    items.Add(ReadNode(parser, depth + 1));
                    _ = sequenceEnd;
                }
                node = new YamlSequence(items, At(sequenceStart.Start), At(parser.Current?.Start ?? sequenceStart.End));
            }
            else
            {
                var mappingStart = parser.Consume<MappingStart>();
                Count(1, mappingStart.Start);
                CheckTag(mappingStart.Tag, mappingStart.Start);
                anchor = mappingStart.Anchor.IsEmpty ? "" : mappingStart.Anchor.Value;
                var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
                var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyEvent = parser.Current!;
                    var key = ReadNode(parser, depth + 1);
                    if (key is not YamlScalar keyScalar)
                    {
                        throw new YamlException(keyEvent.Start, keyEvent.End, "a mapping key must be a plain value, not a list or mapping");
                    }
                    var value = ReadNode(parser, depth + 1);
                    if (keyScalar.Value == "<<")
                    {
                        throw new YamlException(keyEvent.Start, keyEvent.End, "merge keys (<<) are not supported in specs; write the keys out");
                    }
                    if (seen.TryGetValue(keyScalar.Value, out var first))
                    {
                        Errors.Add(new YamlError("yaml-duplicate-key",
                            $"duplicate key '{keyScalar.Value}' (first at line {first.Start.Line}); YAML keeps only one of them, remove the other",
                            keyScalar.Start));
                        continue;
                    }
                    seen[keyScalar.Value] = keyScalar;
                    entries.Add(new(keyScalar, value));
                }
                node = new YamlMapping(entries, At(mappingStart.Start), At(mappingStart.End));
            }

            if (anchor.Length > 0)
            {
                _anchors[anchor] = node;
            }
            return node;
        }

        /// <summary>Only YAML's own core tags mean something here; a custom tag (!Ref, !Sub, !include) would be silently dropped.</summary>
        private void CheckTag(TagName tag, Mark at)
        {
            if (tag.IsEmpty || tag.IsNonSpecific || CoreTags.Contains(tag.Value))
            {
                return;
            }
            Errors.Add(new YamlError("yaml-unknown-tag",
                $"unknown tag '{tag.Value}'; specs use plain YAML (no !Ref, !include or other custom tags): write the value itself",
                At(at)));
        }

        private static readonly HashSet<string> CoreTags = new(StringComparer.Ordinal)
        {
            "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq",
        };

        private void Count(long nodes, Mark at)
        {
            _documentSize += nodes;
            if (_documentSize > limits.MaxExpandedNodes)
            {
                throw new LimitExceededException("yaml-alias-bomb",
                    $"document expands to more than {limits.MaxExpandedNodes:N0} nodes through its aliases; a spec needs no aliases of aliases",
                    At(at));
            }
        }

        // Expanded size of a (possibly alias-sharing) node, memoised so the check itself stays linear.
        private long SizeOf(YamlNode node)
        {
            if (_expandedSize.TryGetValue(node, out var known))
            {
                return known;
            }
            long size = 1;
            switch (node)
            {
                case YamlSequence sequence:
                    foreach (var item in sequence.Items)
                    {
                        size = Math.Min(long.MaxValue / 2, size + SizeOf(item));
                    }
                    break;
                case YamlMapping mapping:
                    foreach (var entry in mapping.Entries)
                    {
                        size = Math.Min(long.MaxValue / 2, size + 1 + SizeOf(entry.Value));
                    }
                    break;
            }
            _expandedSize[node] = size;
            return size;
        }
    }
}
