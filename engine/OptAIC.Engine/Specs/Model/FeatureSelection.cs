namespace OptAIC.Engine.Specs.Model;

/// <summary>Which features an instance reads: the one place lint, the planner and scoring take the row layout from.</summary>
public static class FeatureSelection
{
    /// <summary>The features an instance selects from its feature set, in the set's order: the row layout a model scores.</summary>
    public static IReadOnlyList<string> Of(FeatureSetSpec set, FeatureSelectionSpec selection)
    {
        var include = selection.Include is null ? null : new HashSet<string>(selection.Include, StringComparer.Ordinal);
        var exclude = new HashSet<string>(selection.Exclude ?? [], StringComparer.Ordinal);
        return [.. set.Features.Select(f => f.Name).Where(n => (include is null || include.Contains(n)) && !exclude.Contains(n))];
    }
}
