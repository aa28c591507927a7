namespace OptAIC.Engine.Features;

/// <summary>Base of the errors a user can cause with a FeatureSet: catch this to report any of them.</summary>
public class FeatureException : Exception
{
    public FeatureException()
    {
    }

    public FeatureException(string message)
        : base(message)
    {
    }

    public FeatureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The expression text does not follow the grammar; <see cref="Offset"/> is where.</summary>
public sealed class ExpressionSyntaxException : FeatureException
{
    public ExpressionSyntaxException()
    {
        Reason = Message;
    }

    public ExpressionSyntaxException(string message)
        : base(message)
    {
        Reason = message;
    }

    public ExpressionSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public ExpressionSyntaxException(string reason, int offset, int length = 1)
        : base($"{reason} (at offset {offset})")
    {
        Reason = reason;
        Offset = offset;
        Length = length;
    }

    /// <summary>0-based character offset of the problem in the expression text.</summary>
    public int Offset { get; }

    public int Length { get; }

    /// <summary>The message without the position.</summary>
    public string Reason { get; }
}

/// <summary>
/// One or more feature definitions are invalid (syntax, unknown function or name, wrong arguments,
/// cycles): <see cref="Diagnostics"/> lists each with its feature and position.
/// </summary>
public class FeatureDefinitionException : FeatureException
{
    public FeatureDefinitionException()
    {
    }

    public FeatureDefinitionException(string message)
        : base(message)
    {
    }

    public FeatureDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FeatureDefinitionException(IReadOnlyList<ExpressionDiagnostic> diagnostics)
        : base(Describe(diagnostics)) => Diagnostics = diagnostics;

    public IReadOnlyList<ExpressionDiagnostic> Diagnostics { get; } = [];

    private static string Describe(IReadOnlyList<ExpressionDiagnostic> diagnostics) =>
        diagnostics.Count == 1
            ? $"invalid feature definition: {diagnostics[0]}"
            : $"{diagnostics.Count} invalid feature definitions:{Environment.NewLine}  " +
              string.Join(Environment.NewLine + "  ", diagnostics);
}

/// <summary>Features reference each other in a cycle; <see cref="Cycle"/> is the path, first name repeated last.</summary>
public sealed class FeatureCycleException : FeatureDefinitionException
{
    public FeatureCycleException()
    {
    }

    public FeatureCycleException(string message)
        : base(message)
    {
    }

    public FeatureCycleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FeatureCycleException(IReadOnlyList<string> cycle, IReadOnlyList<ExpressionDiagnostic> diagnostics)
        : base(diagnostics) => Cycle = cycle;

    public IReadOnlyList<string> Cycle { get; } = [];
}

/// <summary>
/// A feature that is not a target reads future rows. Raised by the engine from the same analysis
/// that lint reports, so what lint accepts is exactly what the engine computes.
/// </summary>
public sealed class LookaheadException : FeatureException
{
    public LookaheadException()
    {
    }

    public LookaheadException(string message)
        : base(message)
    {
    }

    public LookaheadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LookaheadException(string feature, int lookahead, LookaheadOrigin origin)
        : base($"feature '{feature}' looks ahead {Rows.Count(lookahead)}: {origin.Reason} " +
               $"(at offset {origin.Offset}: {origin.Text}); only targets may read future rows: lag it " +
               $"by {lookahead} more or declare it as a target")
    {
        Feature = feature;
        Lookahead = lookahead;
        Origin = origin;
    }

    public string Feature { get; } = "";

    public int Lookahead { get; }

    /// <summary>The sub-expression that introduces the lookahead.</summary>
    public LookaheadOrigin? Origin { get; }

    public int Offset => Origin?.Offset ?? 0;

    public string SubExpression => Origin?.Text ?? "";
}

/// <summary>The source frame cannot be evaluated (for example rows out of time order within an entity).</summary>
public sealed class FeatureDataException : FeatureException
{
    public FeatureDataException()
    {
    }

    public FeatureDataException(string message)
        : base(message)
    {
    }

    public FeatureDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

internal static class Rows
{
    public static string Count(long rows) => rows == 1 ? "1 row" : $"{rows} rows";
}
