using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Text;

namespace OptAIC.Engine.Lint;

/// <summary>What every check sees: the source, all documents (valid or not), the typed specs, and the findings so far.</summary>
public sealed class LintContext(ISpecSource source, IReadOnlyList<SpecDocument> documents, SpecSet specs, List<Finding> findings)
{
    public ISpecSource Source { get; } = source;

    public IReadOnlyList<SpecDocument> Documents { get; } = documents;

    public SpecSet Specs { get; } = specs;

    public List<Finding> Findings { get; } = findings;

    /// <summary>Names of documents that failed their schema: references to them are not reported again.</summary>
    private HashSet<string> InvalidNames { get; } =
        [.. documents.Where(d => d.Spec is null && d.Name is not null).Select(d => d.Name!)];

    public void Error(string rule, SpecDocument document, object[] path, string message) =>
        Findings.Add(Finding.Error(rule, document.File, document.PositionOf(path), message));

    public void Warning(string rule, SpecDocument document, object[] path, string message) =>
        Findings.Add(Finding.Warning(rule, document.File, document.PositionOf(path), message));

    /// <summary>Reports <paramref name="name"/> as unresolved unless it is in <paramref name="known"/>; true when it resolves.</summary>
    public bool Resolve(SpecDocument document, object[] path, string what, string? name, IEnumerable<string> known)
    {
        if (name is null)
        {
            return false;
        }
        var names = known as ICollection<string> ?? [.. known];
        if (names.Contains(name))
        {
            return true;
        }
        if (InvalidNames.Contains(name))
        {
            return false;
        }
        var hint = Suggestions.DidYouMean(name, names);
        var available = hint.Length == 0 && names.Count is > 0 and <= 12 ? $" (known: {string.Join(", ", names.Order(StringComparer.Ordinal))})" : "";
        Error("unresolved-reference", document, path, $"{what} '{name}' does not exist{hint}{available}");
        return false;
    }
}
