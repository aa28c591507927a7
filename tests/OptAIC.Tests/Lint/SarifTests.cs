using System.Text.Json;
using System.Text.RegularExpressions;
using OptAIC.Engine.Lint;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Cli;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Lint;

/// <summary>lint's SARIF, as GitHub code scanning reads it: each rule links to its own section of the rules' page.</summary>
public partial class SarifTests
{
    [Fact]
    public void Every_rule_has_a_help_uri_to_an_anchor_that_lint_rules_md_has()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        repo.Edit("specs/instances/spx-alpha.yaml", "seed: 42", "seed: forty-two");

        var (exit, output, _) = OptaicProcess.Run(repo.Path, null, "lint", "--format", "sarif");

        exit.ShouldBe(1);
        using var sarif = JsonDocument.Parse(output);
        var run = sarif.RootElement.GetProperty("runs")[0];
        var anchors = Anchors(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "engine", "docs", "lint-rules.md")));
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        rules.Count.ShouldBe(LintRules.All.Count);
        foreach (var rule in rules)
        {
            var uri = rule.GetProperty("helpUri").GetString()!;
            uri.ShouldStartWith(LintRules.DocumentationUri + "#");
            anchors.ShouldContain(uri[(uri.IndexOf('#', StringComparison.Ordinal) + 1)..], $"engine/docs/lint-rules.md needs <a id=\"{rule.GetProperty("id").GetString()}\"></a> above the rule's heading");
        }
        run.GetProperty("results")[0].GetProperty("ruleId").GetString().ShouldBe("schema-type");
    }

    /// <summary>The explicit anchors of the page (<c>&lt;a id="rule-id"&gt;&lt;/a&gt;</c> above each rule's heading).</summary>
    private static HashSet<string> Anchors(string markdown) => [.. Anchor().Matches(markdown).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"^<a id=""([a-z0-9-]+)""></a>$", RegexOptions.Multiline)]
    private static partial Regex Anchor();
}
