namespace OptAIC.Engine.Specs.Text;

/// <summary>"Did you mean" suggestions by edit distance, for names a user mistyped.</summary>
public static class Suggestions
{
    /// <summary>The candidate closest to <paramref name="typed"/>, if it is close enough to be a typo.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(typed, candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        // A typo is a few edits, relative to the word's length; otherwise the suggestion misleads.
        var allowed = Math.Max(1, Math.Min(3, typed.Length / 3));
        return best is not null && bestDistance <= allowed ? best : null;
    }

    /// <summary>"; did you mean 'x'?" or an empty string.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates) =>
        Closest(typed, candidates) is { } match ? $"; did you mean '{match}'?" : "";

    /// <summary>Case-insensitive Levenshtein distance (a case slip is one edit too cheap to count).</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length == 0)
        {
            return b.Length;
        }
        if (b.Length == 0)
        {
            return a.Length;
        }
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            current.CopyTo(previous);
        }
        return previous[b.Length];
    }
}
