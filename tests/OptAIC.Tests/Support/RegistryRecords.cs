using System.Text.RegularExpressions;
using OptAIC.Engine.Apply;

namespace OptAIC.Tests.Support;

/// <summary>A registry's records and cards as text, to compare two applies of the same specs (in process, child processes, workers).</summary>
public static partial class RegistryRecords
{
    /// <summary>Every record and card, with times, phase seconds and the run ids' plan hashes masked (they name the repository's own commit).</summary>
    public static Dictionary<string, string> Masked(string registry) =>
        Directory.GetFiles(registry, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal))
            .ToDictionary(
                f => Path.GetRelativePath(registry, RunIdPattern().Replace(f, "$1-<run>")),
                f => PhasePattern().Replace(RunIdPattern().Replace(TimePattern().Replace(File.ReadAllText(f), "<time>"), "$1-<run>"), "$1: <seconds>"));

    /// <summary>One line per action, for an assertion's message.</summary>
    public static string Describe(ApplyResult result) => string.Join("\n", result.Outcomes.Select(o => $"{o.Action.Id}: {o.Status} {o.Summary}"));

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"(?m)^(\s+(?:load|train|import|score|monitor|write|promote|archive)): [-0-9.eE+]+$")]
    private static partial Regex PhasePattern();

    [GeneratedRegex(@"\b((?:train|import|infer|monitor|promote|archive)-spx-[a-z]+)-[0-9a-f]{12}\b")]
    private static partial Regex RunIdPattern();
}
