using System.Globalization;

namespace OptAIC.Engine.Data;

/// <summary>Invariant, allocation-free parsers for text values (CSV fields, string Parquet columns).</summary>
internal static class ValueParsers
{
    private const long TicksPerSecond = TimeSpan.TicksPerSecond;

    public static bool TryParseDouble(ReadOnlySpan<char> s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    public static bool TryParseLong(ReadOnlySpan<char> s, out long value) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static bool TryParseBool(ReadOnlySpan<char> s, out bool value)
    {
        s = s.Trim();
        if (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s.SequenceEqual("1"))
        {
            value = true;
            return true;
        }
        if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s.SequenceEqual("0"))
        {
            value = false;
            return true;
        }
        value = false;
        return false;
    }

    /// <summary>
    /// ISO 8601 date or date-time: <c>yyyy-MM-dd</c>, <c>yyyyMMdd</c>, or <c>yyyy-MM-dd[T| ]HH:mm[:ss[.fffffff]]</c>
    /// with an optional <c>Z</c> or <c>±HH[:]mm</c> offset; without an offset the value is UTC. The result
    /// is UTC. With <paramref name="dateOnly"/> a time part is refused.
    /// </summary>
    public static bool TryParseIsoUtc(ReadOnlySpan<char> s, bool dateOnly, out DateTime value)
    {
        value = default;
        s = s.Trim();
        int year, month, day, pos;
        if (s.Length == 8 && AllDigits(s))
        {
            year = Digits(s, 0, 4);
            month = Digits(s, 4, 2);
            day = Digits(s, 6, 2);
            pos = 8;
        }
        else
        {
            if (s.Length < 10 || s[4] != '-' || s[7] != '-' || !AllDigits(s[..4]) || !AllDigits(s.Slice(5, 2)) || !AllDigits(s.Slice(8, 2)))
            {
                return false;
            }
            year = Digits(s, 0, 4);
            month = Digits(s, 5, 2);
            day = Digits(s, 8, 2);
            pos = 10;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        var ticks = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc).Ticks;
        if (pos == s.Length)
        {
            value = new DateTime(ticks, DateTimeKind.Utc);
            return true;
        }
        if (dateOnly || (s[pos] != 'T' && s[pos] != ' ') || s.Length < pos + 6)
        {
            return false;
        }
        pos++;
        if (!TwoDigits(s, pos, out var hour) || s[pos + 2] != ':' || !TwoDigits(s, pos + 3, out var minute))
        {
            return false;
        }
        pos += 5;
        var second = 0;
        long fraction = 0;
        if (pos < s.Length && s[pos] == ':')
        {
            if (!TwoDigits(s, pos + 1, out second))
            {
                return false;
            }
            pos += 3;
            if (pos < s.Length && (s[pos] == '.' || s[pos] == ','))
            {
                pos++;
                var start = pos;
                long scale = TicksPerSecond;
                while (pos < s.Length && char.IsAsciiDigit(s[pos]))
                {
                    // Beyond 7 digits (100 ns) the rest is truncated.
                    if (scale > 1)
                    {
                        scale /= 10;
                        fraction += (s[pos] - '0') * scale;
                    }
                    pos++;
                }
                if (pos == start)
                {
                    return false;
                }
            }
        }
        if (hour > 23 || minute > 59 || second > 59)
        {
            // 24:00:00 is the end of the day in ISO 8601.
            if (!(hour == 24 && minute == 0 && second == 0 && fraction == 0))
            {
                return false;
            }
        }
        long offsetTicks = 0;
        if (pos < s.Length)
        {
            var sign = s[pos];
            if (sign is 'Z' or 'z')
            {
                pos++;
            }
            else if (sign is '+' or '-')
            {
                pos++;
                if (!TwoDigits(s, pos, out var offHours))
                {
                    return false;
                }
                pos += 2;
                var offMinutes = 0;
                if (pos < s.Length)
                {
                    if (s[pos] == ':')
                    {
                        pos++;
                    }
                    if (!TwoDigits(s, pos, out offMinutes))
                    {
                        return false;
                    }
                    pos += 2;
                }
                if (offHours > 18 || offMinutes > 59)
                {
                    return false;
                }
                offsetTicks = ((offHours * 60L) + offMinutes) * TimeSpan.TicksPerMinute * (sign == '-' ? -1 : 1);
            }
            if (pos != s.Length)
            {
                return false;
            }
        }
        ticks += (((hour * 60L) + minute) * 60 + second) * TicksPerSecond + fraction - offsetTicks;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }
        value = new DateTime(ticks, DateTimeKind.Utc);
        return true;
    }

    /// <summary>ISO text for a date or date-time value column (UTC; trailing zero fractions dropped).</summary>
    public static string FormatIso(DateTime value, ColumnType type) =>
        type == ColumnType.Date
            ? value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A date stored as a plain integer: <c>yyyyMMdd</c> (10000101..99991231) or days since 1970-01-01.
    /// The two ranges cannot overlap within the years a <see cref="DateTime"/> can hold.
    /// </summary>
    public static bool TryDateFromInteger(long value, out DateTime date)
    {
        date = default;
        if (value is >= 10000101 and <= 99991231)
        {
            var year = (int)(value / 10000);
            var month = (int)(value / 100 % 100);
            var day = (int)(value % 100);
            if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            {
                return false;
            }
            date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
            return true;
        }
        var epochDays = DateTime.UnixEpoch.Ticks / TimeSpan.TicksPerDay;
        var days = value + epochDays;
        if (days < 0 || days > DateTime.MaxValue.Ticks / TimeSpan.TicksPerDay)
        {
            return false;
        }
        date = new DateTime(days * TimeSpan.TicksPerDay, DateTimeKind.Utc);
        return true;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    private static int Digits(ReadOnlySpan<char> s, int start, int count)
    {
        var v = 0;
        for (var i = start; i < start + count; i++)
        {
            v = (v * 10) + (s[i] - '0');
        }
        return v;
    }

    private static bool TwoDigits(ReadOnlySpan<char> s, int start, out int value)
    {
        value = 0;
        if (start + 2 > s.Length || !char.IsAsciiDigit(s[start]) || !char.IsAsciiDigit(s[start + 1]))
        {
            return false;
        }
        value = ((s[start] - '0') * 10) + (s[start + 1] - '0');
        return true;
    }
}
