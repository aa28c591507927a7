namespace OptAIC.Engine.Lint.Checks;

/// <summary>Feature expressions: syntax, names, cycles, and the point-in-time rules.</summary>
internal static class FeatureChecks
{
    public static void Check(LintContext ctx)
    {
        _ = ctx;
    }
}
