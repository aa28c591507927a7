using System.Globalization;
using Cronos;

namespace OptAIC.Engine.Specs;

/// <summary>The spec's cron expressions (5 fields, or 6 with seconds; UTC) and calendar dates (YYYY-MM-DD).</summary>
public static class Schedules
{
    /// <exception cref="CronFormatException">The expression does not parse.</exception>
    public static CronExpression ParseCron(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
    }

    /// <summary>Whether the schedule has come due since <paramref name="lastRun"/>: its next time after it is not later than now.</summary>
    public static bool IsDue(string expression, DateTimeOffset lastRun, DateTimeOffset now) =>
        ParseCron(expression).GetNextOccurrence(lastRun.UtcDateTime, TimeZoneInfo.Utc) is { } next && next <= now.UtcDateTime;

    /// <summary>A spec date as a UTC DateTime, or null when absent or not a calendar date.</summary>
    public static DateTime? ParseDate(string? text) =>
        text is not null && DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date) ? date : null;
}
