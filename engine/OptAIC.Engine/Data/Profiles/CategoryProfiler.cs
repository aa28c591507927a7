using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Data.Profiles;

/// <summary>
/// The profile of one text column (null is missing): count, missing, the exact number of distinct values, and
/// the <see cref="TopK"/> most frequent values with their counts (the rest summed as other); a column of mostly
/// unique values (identifiers, free text) gets no values recorded at all. Values longer than
/// <see cref="MaxValueLength"/> are cut, so a free-text column cannot bloat the record.
/// </summary>
public static class CategoryProfiler
{
    public const int TopK = 10;
    public const int MaxValueLength = 80;

    public static ColumnProfile Profile(string name, string type, IReadOnlyList<string?> values)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var missing = 0L;
        foreach (var value in values)
        {
            if (value is null)
            {
                missing++;
                continue;
            }
            counts[value] = counts.GetValueOrDefault(value) + 1;
        }
        var present = values.Count - missing;
        // Mostly unique values are identifiers or free text, not categories: their values are not recorded.
        var categorical = counts.Count * 2 <= present || present <= 2 * TopK;
        var top = !categorical ? [] : counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(TopK)
            .Select(c => new CategoryCount { Value = c.Key.Length > MaxValueLength ? c.Key[..MaxValueLength] + "…" : c.Key, Count = c.Value })
            .ToList();
        return new ColumnProfile
        {
            Name = name,
            Type = type,
            Count = present,
            Missing = missing,
            Distinct = counts.Count,
            Top = categorical ? top : null,
            Other = categorical ? present - top.Sum(t => t.Count) : null,
        };
    }
}
