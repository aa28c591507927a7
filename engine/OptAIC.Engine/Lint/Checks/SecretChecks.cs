using System.Text.RegularExpressions;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Yaml;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>
/// No literal secrets in specs: they are committed to Git and shown in pull requests. Credentials
/// belong in environment variables (referenced as ${NAME}) of the machine that runs the engine.
/// </summary>
internal static partial class SecretChecks
{
    private static readonly (Regex Pattern, string What)[] Patterns =
    [
        (PrivateKey(), "a private key"),
        (AwsKey(), "an AWS access key id"),
        (GitHubToken(), "a GitHub token"),
        (SlackToken(), "a Slack token"),
        (Jwt(), "a JSON web token"),
        (UrlPassword(), "a password inside a URL"),
    ];

    public static void Check(LintContext ctx)
    {
        foreach (var document in ctx.Documents)
        {
            Walk(ctx, document, document.Root, null);
        }
    }

    private static void Walk(LintContext ctx, SpecDocument document, YamlNode node, string? key)
    {
        switch (node)
        {
            case YamlMapping mapping:
                foreach (var (k, v) in mapping.Entries)
                {
                    Walk(ctx, document, v, k.Value);
                }
                break;
            case YamlSequence sequence:
                foreach (var item in sequence.Items)
                {
                    Walk(ctx, document, item, key);
                }
                break;
            case YamlScalar scalar:
                Inspect(ctx, document, scalar, key);
                break;
        }
    }

    private static void Inspect(LintContext ctx, SpecDocument document, YamlScalar scalar, string? key)
    {
        var value = scalar.Value;
        foreach (var (pattern, what) in Patterns)
        {
            if (pattern.IsMatch(value))
            {
                Report(ctx, document, scalar, $"this value looks like {what}");
                return;
            }
        }
        if (key is not null && SecretKey().IsMatch(key) && value.Length > 0 && !EnvReference().IsMatch(value))
        {
            Report(ctx, document, scalar, $"'{key}' holds a literal value");
        }
    }

    private static void Report(LintContext ctx, SpecDocument document, YamlScalar scalar, string what) =>
        ctx.Findings.Add(Finding.Error("secret-literal", document.File, scalar.Start,
            $"{what}; specs are committed and shown in pull requests: remove it, rotate it, and reference an environment variable (${{NAME}}) instead"));

    [GeneratedRegex(@"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")]
    private static partial Regex AwsKey();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bxox[abposr]-[A-Za-z0-9-]{10,}")]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")]
    private static partial Regex Jwt();

    [GeneratedRegex(@"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"^(?:password|passwd|pwd|secret|client_?secret|token|access_?token|api_?key|apikey|private_?key|credentials?)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretKey();

    [GeneratedRegex(@"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")]
    private static partial Regex EnvReference();
}
