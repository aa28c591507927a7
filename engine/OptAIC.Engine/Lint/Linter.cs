using OptAIC.Engine.Lint.Checks;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Yaml;

namespace OptAIC.Engine.Lint;

public sealed record LintOptions
{
    public YamlLimits Limits { get; init; } = YamlLimits.Default;
}

public sealed record LintReport(IReadOnlyList<Finding> Findings, int FileCount, int DocumentCount, string SourceDescription)
{
    public int Errors => Findings.Count(f => f.Severity == Severity.Error);

    public int Warnings => Findings.Count(f => f.Severity == Severity.Warning);
}

/// <summary>
/// Lint: load every spec (YAML, envelope, schema), then the checks across files (references,
/// categories, graphs, schedules, paths, secrets, point in time). The result is sorted by file,
/// line and column so that output is stable.
/// </summary>
public static class Linter
{
    public static LintReport Run(ISpecSource source, LintOptions? options = null) => Analyze(source, options).Report;

    /// <summary>Lints and returns the typed specs too: plan and apply read the specs that lint just checked.</summary>
    public static (LintReport Report, SpecSet Specs) Analyze(ISpecSource source, LintOptions? options = null)
    {
        options ??= new LintOptions();
        var loaded = SpecLoader.Load(source, options.Limits);
        var findings = new List<Finding>(loaded.Findings);
        var specs = SpecSet.Build(loaded.Documents, findings);
        Check(new LintContext(source, loaded.Documents, specs, findings));
        var sorted = findings
            .Distinct()
            .OrderBy(f => f.File, StringComparer.Ordinal)
            .ThenBy(f => f.Position.Line)
            .ThenBy(f => f.Position.Column)
            .ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .ToList();
        return (new LintReport(sorted, loaded.FileCount, loaded.Documents.Count, source.Description), specs);
    }

    /// <summary>The cross-file checks over specs that already loaded; reconcile runs the same before it plans.</summary>
    public static void Check(LintContext context)
    {
        ReferenceChecks.Check(context);
        DefinitionChecks.Check(context);
        GraphChecks.Check(context);
        ScheduleChecks.Check(context);
        PathChecks.Check(context);
        SecretChecks.Check(context);
        FeatureChecks.Check(context);
        DatasetChecks.Check(context);
        OnnxChecks.Check(context);
    }
}
