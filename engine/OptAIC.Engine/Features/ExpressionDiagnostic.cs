namespace OptAIC.Engine.Features;

/// <summary>
/// A problem in a feature expression, located in its text (0-based <see cref="Offset"/>,
/// <see cref="Length"/> characters). <see cref="Feature"/> names the definition when known.
/// </summary>
public sealed record ExpressionDiagnostic(int Offset, int Length, string Message, string Code)
{
    public string? Feature { get; init; }

    public override string ToString() =>
        Feature is null
            ? $"offset {Offset}: {Message} [{Code}]"
            : $"feature '{Feature}', offset {Offset}: {Message} [{Code}]";
}

/// <summary>The stable codes of <see cref="ExpressionDiagnostic.Code"/>, for lint rules and tests.</summary>
public static class DiagnosticCodes
{
    public const string Syntax = "syntax";
    public const string UnknownFunction = "unknown-function";
    public const string WrongArity = "wrong-arity";
    public const string BadArgument = "bad-argument";
    public const string UnknownName = "unknown-name";
    public const string TextColumn = "text-column";
    public const string Cycle = "cycle";
    public const string Lookahead = "lookahead";
    public const string DuplicateName = "duplicate-name";
    public const string InvalidName = "invalid-name";
    public const string NameConflict = "name-conflict";
}

/// <summary>
/// The smallest sub-expression that introduces lookahead: where it is in the text, the text itself,
/// and why (for example "lead(close, 5) reads 5 rows ahead"). <see cref="Rows"/> is that node's own reach.
/// </summary>
public sealed record LookaheadOrigin(int Offset, int Length, string Text, string Reason, int Rows);

/// <summary>A feature definition: a derived column, or a target (the only kind allowed to look ahead).</summary>
public sealed record FeatureDefinition(string Name, string Expression, bool IsTarget = false);

public enum NameKind
{
    /// <summary>A numeric column of the source data: reads the current row only.</summary>
    Column,

    /// <summary>A text column of the source data: not usable in expressions.</summary>
    TextColumn,

    Feature,
    Target,
}

/// <summary>What an identifier refers to; for features and targets, their own analysis (composed into the caller's).</summary>
public sealed class ResolvedName
{
    private ResolvedName(NameKind kind, ExpressionAnalysis? analysis)
    {
        Kind = kind;
        Analysis = analysis;
    }

    public static ResolvedName Column { get; } = new(NameKind.Column, null);

    public static ResolvedName TextColumn { get; } = new(NameKind.TextColumn, null);

    public NameKind Kind { get; }

    /// <summary>The referenced feature's analysis; null for columns (and for a feature caught in a cycle).</summary>
    public ExpressionAnalysis? Analysis { get; }

    public static ResolvedName Feature(ExpressionAnalysis? analysis) => new(NameKind.Feature, analysis);

    public static ResolvedName Target(ExpressionAnalysis? analysis) => new(NameKind.Target, analysis);
}
