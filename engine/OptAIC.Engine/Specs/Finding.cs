using OptAIC.Engine.Specs.Yaml;

namespace OptAIC.Engine.Specs;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// One problem found in the specs: where (repository-relative file, line, column), how bad, what it
/// is and what to do, and the id of the rule that found it (documented in engine/docs/lint-rules.md).
/// </summary>
public sealed record Finding(string RuleId, Severity Severity, string File, SourcePosition Position, string Message)
{
    public static Finding Error(string ruleId, string file, SourcePosition position, string message) =>
        new(ruleId, Severity.Error, file, position, message);

    public static Finding Warning(string ruleId, string file, SourcePosition position, string message) =>
        new(ruleId, Severity.Warning, file, position, message);

    public override string ToString() =>
        $"{File}:{Position.Line}:{Position.Column}: {(Severity == Severity.Error ? "error" : "warning")}: {Message} [{RuleId}]";
}
