using System.Globalization;
using System.Text.RegularExpressions;

namespace OptAIC.Engine.Registry;

/// <summary>
/// How scalars are written and read: invariant culture, shortest round-trip doubles, ISO 8601 UTC dates, and
/// strings quoted whenever a YAML reader (1.2 core schema, or 1.1 for tools that still use it) would take them
/// for something else, so a value read back is the value written.
/// </summary>
internal static partial class YamlScalars
{
    public const string DateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";
    public const string DateFormat = "yyyy-MM-dd";

    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return ".nan";
        }

        if (double.IsPositiveInfinity(value))
        {
            return ".inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-.inf";
        }

        // "-0" would read back as the integer 0 in an untyped tree.
        if (value == 0 && double.IsNegative(value))
        {
            return "-0.0";
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string FormatSingle(float value) =>
        float.IsFinite(value) && value != 0 ? value.ToString("R", CultureInfo.InvariantCulture) : FormatDouble(value);

    public static string FormatDateTimeOffset(DateTimeOffset value) =>
        value.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture);

    public static string FormatDateTime(DateTime value)
    {
        // Unspecified is taken as UTC: the engine only creates UTC times.
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        return utc.ToString(DateTimeFormat, CultureInfo.InvariantCulture);
    }

    public static bool TryParseDouble(string text, out double value)
    {
        switch (text)
        {
            case ".nan" or ".NaN" or ".NAN":
                value = double.NaN;
                return true;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                value = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    public static bool TryParseDateTimeOffset(string text, out DateTimeOffset value)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value))
        {
            value = value.ToUniversalTime();
            return true;
        }

        return false;
    }

    public static bool IsNull(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    /// <summary>
    /// Resolves a plain (unquoted) scalar of an untyped tree by the YAML 1.2 core schema:
    /// null, bool, integer (long), float (double), else string.
    /// </summary>
    public static object? ResolvePlain(string text)
    {
        if (IsNull(text))
        {
            return null;
        }

        switch (text)
        {
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
        }

        if (CoreInt().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? l
                : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && HexInt().IsMatch(text))
        {
            return long.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal) && OctInt().IsMatch(text))
        {
            return Convert.ToInt64(text[2..], 8);
        }

        if ((CoreFloat().IsMatch(text) || SpecialFloat().IsMatch(text)) && TryParseDouble(text, out var d))
        {
            return d;
        }

        return text;
    }

    /// <summary>True when the string, written plain, would be read as anything but that string.</summary>
    public static bool NeedsQuotes(string text)
    {
        if (text.Length == 0 || IsNull(text))
        {
            return true;
        }

        // Booleans of YAML 1.2 and 1.1 (yes/no/on/off/y/n), in any case.
        switch (text.ToLowerInvariant())
        {
            case "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n":
                return true;
        }

        var first = text[0];
        if (!(char.IsAsciiDigit(first) || first is '-' or '+' or '.'))
        {
            return false;
        }

        return CoreInt().IsMatch(text) || CoreFloat().IsMatch(text) || SpecialFloat().IsMatch(text)
            || HexInt().IsMatch(text) || OctInt().IsMatch(text) || Yaml11Number().IsMatch(text);
    }

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex CoreInt();

    [GeneratedRegex("^0x[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HexInt();

    [GeneratedRegex("^0o[0-7]+$", RegexOptions.CultureInvariant)]
    private static partial Regex OctInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex CoreFloat();

    [GeneratedRegex(@"^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", RegexOptions.CultureInvariant)]
    private static partial Regex SpecialFloat();

    // YAML 1.1 ints and floats with underscores, binary, and base 60 (e.g. 1_000, 0b101, 190:20:30).
    [GeneratedRegex(@"^([-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|[-+]?\.[0-9_]+([eE][-+]?[0-9]+)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex Yaml11Number();
}
