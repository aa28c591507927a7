using System.Globalization;

namespace OptAIC.Engine.Specs;

/// <summary>Spec durations ("0", "1d", "6h", "30m", "1.5h", "500ms", "1w") as TimeSpans.</summary>
public static class Durations
{
    /// <summary>The longest duration a spec may give: a century is past any lag or timeout, and far from TimeSpan's overflow.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(36_525);

    public static TimeSpan Parse(string text)
    {
        if (!TryParse(text, out var value))
        {
            throw new FormatException($"'{text}' is not a duration of at most 100 years; write a number and a unit (ms, s, m, h, d, w), e.g. 1d");
        }
        return value;
    }

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        if (text == "0")
        {
            return true;
        }
        var unitStart = text.Length;
        while (unitStart > 0 && char.IsLetter(text[unitStart - 1]))
        {
            unitStart--;
        }
        if (!double.TryParse(text.AsSpan(0, unitStart), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
        {
            return false;
        }
        double? milliseconds = text[unitStart..] switch
        {
            "ms" => amount,
            "s" => amount * 1000,
            "m" => amount * 60_000,
            "h" => amount * 3_600_000,
            "d" => amount * 86_400_000,
            "w" => amount * 604_800_000,
            _ => null,
        };
        if (milliseconds is not { } ms || !double.IsFinite(ms) || ms > Longest.TotalMilliseconds)
        {
            return false;
        }
        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }
}
