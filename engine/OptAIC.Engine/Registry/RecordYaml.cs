using System.Text;

namespace OptAIC.Engine.Registry;

/// <summary>
/// The registry's record format. Writing: properties in declaration order (null ones left out), maps in
/// <see cref="RecordKeyOrder"/> (integer keys by value, then the rest by ordinal), invariant culture, doubles
/// in their shortest round-trip form (<c>.nan</c>, <c>.inf</c>), times as ISO 8601 UTC
/// (<c>2024-01-31T12:00:00Z</c>), enums in camelCase, no anchors or aliases, LF line ends and a trailing
/// newline. A record read and written again is byte-identical. Reading: into the same classes; a malformed
/// file throws <see cref="RegistryFormatException"/> naming the file, line, column and key.
/// </summary>
public static class RecordYaml
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Serialize(object record) => RecordYamlWriter.Write(record);

    public static byte[] SerializeToUtf8(object record) => Utf8.GetBytes(Serialize(record));

    /// <param name="yaml">The text of the record.</param>
    /// <param name="source">The file the text came from, named in error messages.</param>
    public static T Deserialize<T>(string yaml, string source)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return RecordYamlReader.Read(yaml, typeof(T), source) as T
            ?? throw new RegistryFormatException(source, 1, 1, $"expected a {typeof(T).Name} record, found null");
    }

    /// <summary>Reads a record file; errors name the file.</summary>
    public static T ReadFile<T>(string path)
        where T : class => Deserialize<T>(ReadText(path), path);

    /// <summary>A record file's text; bytes that are not UTF-8 are a format error at their line and column.</summary>
    public static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            var offset = Math.Clamp(e.Index, 0, bytes.Length);
            var before = bytes.AsSpan(0, offset);
            var line = before.Count((byte)'\n') + 1;
            var column = offset - (before.LastIndexOf((byte)'\n') + 1) + 1;
            throw new RegistryFormatException(path, line, column,
                $"not UTF-8 text (byte 0x{bytes[Math.Min(offset, bytes.Length - 1)]:X2}); the file is corrupt: restore it with 'git checkout HEAD -- {path}'", e);
        }
    }

    /// <summary>Parses YAML into an untyped tree of sorted maps, lists and scalars (string, bool, long, double).</summary>
    public static object? ParseTree(string yaml, string source) => RecordYamlReader.ReadTree(yaml, source);

    /// <summary>Binds an untyped tree (e.g. <see cref="MonitoringRecord.Report"/> read back) to a class.</summary>
    public static T ConvertTree<T>(object? tree, string source = "tree")
        where T : class => Deserialize<T>(Serialize(tree!), source);
}
