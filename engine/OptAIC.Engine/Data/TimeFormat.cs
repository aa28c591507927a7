using System.Globalization;
using System.Text;

namespace OptAIC.Engine.Data;

/// <summary>
/// How a date or time column is written: ISO 8601 (the default), a .NET custom format
/// (<c>MMM d yyyy</c>), a strftime pattern (<c>%b %d %Y</c>), or epoch seconds, milliseconds or
/// microseconds (<c>epoch-s</c>, <c>epoch-ms</c>, <c>epoch-us</c>). Values without an offset are in
/// <see cref="Zone"/> (UTC by default) and are converted to UTC; a date-only column refuses a time of day.
/// </summary>
public sealed class TimeFormat
{
    private static readonly string[] Epochs = ["epoch-s", "epoch-ms", "epoch-us"];
    private readonly string? _dotnet;
    private readonly long _epochTicks;

    private TimeFormat(string? declared, string? dotnet, long epochTicks, TimeZoneInfo zone, bool dateOnly)
    {
        Declared = declared;
        _dotnet = dotnet;
        _epochTicks = epochTicks;
        Zone = zone;
        DateOnly = dateOnly;
    }

    public static TimeFormat Iso(bool dateOnly) => new(null, null, 0, TimeZoneInfo.Utc, dateOnly);

    /// <summary>The format as the spec wrote it; null for ISO 8601.</summary>
    public string? Declared { get; }

    public TimeZoneInfo Zone { get; }

    public bool DateOnly { get; }

    public bool IsEpoch => _epochTicks > 0;

    /// <summary>The format of a column, or why it cannot be one (for lint and for the reader's error).</summary>
    public static bool TryCreate(string? format, string? timeZone, bool dateOnly, out TimeFormat result, out string? problem)
    {
        result = Iso(dateOnly);
        problem = null;
        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrEmpty(timeZone) && !TryZone(timeZone, out zone))
        {
            problem = $"'{timeZone}' is not a time zone this machine knows; use an IANA name such as America/New_York, or UTC";
            return false;
        }
        if (string.IsNullOrEmpty(format))
        {
            result = new TimeFormat(null, null, 0, zone, dateOnly);
            return true;
        }
        var epoch = Array.IndexOf(Epochs, format) switch
        {
            0 => TimeSpan.TicksPerSecond,
            1 => TimeSpan.TicksPerMillisecond,
            2 => TimeSpan.TicksPerMicrosecond,
            _ => 0L,
        };
        if (epoch > 0)
        {
            result = new TimeFormat(format, null, epoch, zone, dateOnly);
            return true;
        }
        string dotnet;
        if (format.Contains('%', StringComparison.Ordinal))
        {
            if (!TryFromStrftime(format, out dotnet, out problem))
            {
                return false;
            }
        }
        else
        {
            dotnet = format;
        }
        try
        {
            // A format .NET cannot print it cannot parse either.
            _ = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).ToString(dotnet, CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            problem = $"'{format}' is not a date format; use .NET custom format letters (yyyy-MM-dd, MMM d yyyy) or strftime (%Y-%m-%d, %b %d %Y), or epoch-s, epoch-ms, epoch-us";
            return false;
        }
        result = new TimeFormat(format, dotnet, 0, zone, dateOnly);
        return true;
    }

    /// <summary>Parses a text value to UTC.</summary>
    public bool TryParse(ReadOnlySpan<char> text, out DateTime utc)
    {
        if (_dotnet is null && _epochTicks == 0)
        {
            if (Zone == TimeZoneInfo.Utc || DateOnly)
            {
                return ValueParsers.TryParseIsoUtc(text, DateOnly, out utc);
            }
            // ISO text in a declared zone: an explicit offset wins, otherwise the zone applies.
            return TryParseLocal(text, null, out utc);
        }
        if (_epochTicks > 0)
        {
            utc = default;
            text = text.Trim();
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
            {
                return TryFromInteger(whole, out utc);
            }
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && TryFromReal(real, out utc);
        }
        return TryParseLocal(text, _dotnet, out utc);
    }

    /// <summary>An integer stored for an epoch format, to UTC.</summary>
    public bool TryFromInteger(long value, out DateTime utc)
    {
        utc = default;
        var max = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / _epochTicks;
        var min = -DateTime.UnixEpoch.Ticks / _epochTicks;
        if (value < min || value > max)
        {
            return false;
        }
        utc = new DateTime(DateTime.UnixEpoch.Ticks + (value * _epochTicks), DateTimeKind.Utc);
        return !DateOnly || utc.TimeOfDay == TimeSpan.Zero;
    }

    private bool TryFromReal(double value, out DateTime utc)
    {
        utc = default;
        var ticks = value * _epochTicks;
        if (!double.IsFinite(ticks) || ticks < -DateTime.UnixEpoch.Ticks || ticks > DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks)
        {
            return false;
        }
        utc = new DateTime(DateTime.UnixEpoch.Ticks + (long)Math.Round(ticks), DateTimeKind.Utc);
        return !DateOnly || utc.TimeOfDay == TimeSpan.Zero;
    }

    private bool TryParseLocal(ReadOnlySpan<char> text, string? format, out DateTime utc)
    {
        utc = default;
        text = text.Trim();
        var styles = DateTimeStyles.AllowWhiteSpaces;
        DateTimeOffset parsed;
        var ok = format is null
            ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, styles | DateTimeStyles.AssumeUniversal, out parsed)
            : DateTimeOffset.TryParseExact(text, format, CultureInfo.InvariantCulture, styles | DateTimeStyles.AssumeUniversal, out parsed);
        if (!ok)
        {
            return false;
        }
        var hasOffset = format is null ? HasOffset(text) : format.Contains('z', StringComparison.Ordinal) || format.Contains('K', StringComparison.Ordinal);
        if (DateOnly)
        {
            if (parsed.TimeOfDay != TimeSpan.Zero)
            {
                return false;
            }
            utc = DateTime.SpecifyKind(parsed.DateTime.Date, DateTimeKind.Utc);
            return true;
        }
        if (hasOffset || Zone == TimeZoneInfo.Utc)
        {
            utc = parsed.UtcDateTime;
            return true;
        }
        var local = DateTime.SpecifyKind(parsed.DateTime, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(local))
        {
            // A time skipped by a daylight-saving change does not exist on that day's clocks.
            return false;
        }
        utc = TimeZoneInfo.ConvertTimeToUtc(local, Zone);
        return true;
    }

    private static bool HasOffset(ReadOnlySpan<char> text)
    {
        var t = text.IndexOfAny('T', ' ');
        if (t < 0)
        {
            return false;
        }
        var rest = text[t..];
        return rest.EndsWith("Z", StringComparison.OrdinalIgnoreCase) || rest.LastIndexOfAny('+', '-') > 0;
    }

    private static bool TryZone(string id, out TimeZoneInfo zone)
    {
        if (id is "UTC" or "Etc/UTC" or "Z")
        {
            zone = TimeZoneInfo.Utc;
            return true;
        }
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }

    /// <summary>strftime directives as .NET custom format letters; one-digit forms parse one or two digits, as strptime does.</summary>
    internal static bool TryFromStrftime(string format, out string dotnet, out string? problem)
    {
        var builder = new StringBuilder();
        problem = null;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%')
            {
                // Everything else is literal text.
                builder.Append(c is '\'' ? "\\'" : $"'{c}'");
                continue;
            }
            if (++i == format.Length)
            {
                dotnet = "";
                problem = $"'{format}' ends with a lone '%'";
                return false;
            }
            var piece = format[i] switch
            {
                'Y' => "yyyy",
                'y' => "yy",
                'm' => "M",
                'd' or 'e' => "d",
                'b' or 'h' => "MMM",
                'B' => "MMMM",
                'a' => "ddd",
                'A' => "dddd",
                'H' => "H",
                'I' => "h",
                'M' => "m",
                'S' => "s",
                'f' => "ffffff",
                'p' => "tt",
                'z' => "zzz",
                'F' => "yyyy'-'MM'-'dd",
                'T' => "HH':'mm':'ss",
                '%' => "'%'",
                _ => null,
            };
            if (piece is null)
            {
                dotnet = "";
                problem = $"'%{format[i]}' in '{format}' is not a supported strftime directive (supported: %Y %y %m %d %e %b %h %B %a %A %H %I %M %S %f %p %z %F %T %%)";
                return false;
            }
            builder.Append(piece);
        }
        dotnet = builder.ToString();
        return true;
    }

    /// <summary>The format for messages: "the declared format '%b %d %Y'" or "ISO 8601".</summary>
    public string Describe() => Declared is null
        ? DateOnly ? "an ISO 8601 date (yyyy-MM-dd)" : "an ISO 8601 date-time (yyyy-MM-dd[THH:mm:ss][Z|+hh:mm])"
        : $"{(DateOnly ? "a date" : "a time")} in the declared format '{Declared}'";
}
