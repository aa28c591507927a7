using System.Text.Json;
using LibGit2Sharp;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Lint.Output;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Yaml;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Lint;

public class LintTests
{
    [Fact]
    public void The_example_repository_lints_clean()
    {
        var report = Linter.Run(new DirectorySpecSource(TestPaths.RepositoryRoot, ["specs"]));

        report.Findings.ShouldBeEmpty(string.Join("\n", report.Findings));
        report.DocumentCount.ShouldBeGreaterThanOrEqualTo(15);
    }

    [Fact]
    public void A_file_over_the_size_cap_is_refused_before_it_is_parsed()
    {
        using var repo = new TempFolder();
        var big = "apiVersion: optaic.io/v1\nkind: Dataset\nmetadata:\n  name: big\n  annotations:\n" +
            string.Concat(Enumerable.Range(0, 40_000).Select(i => $"    k{i}: \"{new string('x', 20)}\"\n"));
        repo.Write("specs/big.yaml", big);

        var report = Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));

        var finding = report.Findings.ShouldHaveSingleItem();
        finding.RuleId.ShouldBe("yaml-file-too-large");
        finding.Message.ShouldContain("split it");
    }

    [Fact]
    public void An_alias_bomb_fails_fast_with_bounded_memory()
    {
        // Nine levels of ten aliases: 10^9 nodes if expanded.
        var lines = new List<string> { "a0: &a0 [x,x,x,x,x,x,x,x,x,x]" };
        for (var i = 1; i <= 9; i++)
        {
            lines.Add($"a{i}: &a{i} [{string.Join(",", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }
        var before = GC.GetAllocatedBytesForCurrentThread();

        var file = YamlLoader.Load("bomb.yaml", System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines)));

        file.Errors.ShouldHaveSingleItem().RuleId.ShouldBe("yaml-alias-bomb");
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThan(10_000_000);
    }

    [Fact]
    public void Text_output_is_one_line_per_finding_then_a_summary()
    {
        var report = LintOf("bad.yaml", "apiVersion: optaic.io/v1\nkind: Pipeline\nmetadata: {name: p}\nspec: {steps: [], shedule: x}\n");
        var text = new StringWriter();

        LintFormatter.Write(report, LintFormat.Text, text, "1.0.0");

        var lines = text.ToString().TrimEnd().Split('\n');
        lines.Length.ShouldBe(3);
        lines[0].ShouldBe("specs/bad.yaml:4:8: error: spec.steps: needs at least 1 item(s) [schema-range]");
        lines[1].ShouldStartWith("specs/bad.yaml:4:19: error: spec.shedule: unknown field 'shedule'; did you mean 'schedule'?");
        lines[1].ShouldEndWith("[schema-unknown-field]");
        lines[2].ShouldStartWith("2 errors, 0 warnings in 1 file, 1 document");
    }

    [Fact]
    public void Json_github_and_sarif_outputs_carry_rule_file_line_and_column()
    {
        var report = LintOf("bad.yaml", "apiVersion: optaic.io/v1\nkind: ModelInstance\nmetadata: {name: x}\nspec: {definition: d, training: {start: '2020-01-01', end: '2021-01-01'}, seed: -1}\n");

        var json = JsonDocument.Parse(Render(report, LintFormat.Json)).RootElement;
        json.GetProperty("format_version").GetString().ShouldBe("1.0");
        var first = json.GetProperty("findings")[0];
        first.GetProperty("rule").GetString().ShouldBe("schema-range");
        first.GetProperty("line").GetInt32().ShouldBe(4);

        Render(report, LintFormat.GitHub).ShouldContain("::error file=specs/bad.yaml,line=4,col=");

        var sarif = JsonDocument.Parse(Render(report, LintFormat.Sarif)).RootElement;
        sarif.GetProperty("version").GetString().ShouldBe("2.1.0");
        var run = sarif.GetProperty("runs")[0];
        run.GetProperty("tool").GetProperty("driver").GetProperty("rules").GetArrayLength().ShouldBe(LintRules.All.Count);
        var result = run.GetProperty("results")[0];
        result.GetProperty("ruleId").GetString().ShouldBe("schema-range");
        var region = result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region");
        region.GetProperty("startLine").GetInt32().ShouldBe(4);
    }

    [Fact]
    public void Rev_lints_the_specs_of_a_commit_without_a_checkout()
    {
        using var repo = new TempFolder();
        Repository.Init(repo.Path);
        repo.Write("specs/p.yaml", "apiVersion: optaic.io/v1\nkind: Pipeline\nmetadata: {name: p}\nspec: {steps: [{name: a, action: infer, instance: x}]}\n");
        string firstCommit;
        using (var git = new Repository(repo.Path))
        {
            Commands.Stage(git, "*");
            var me = new Signature("t", "t@example.com", DateTimeOffset.UnixEpoch);
            firstCommit = git.Commit("bad", me, me).Sha;
        }
        // The working tree is fixed afterwards; the commit keeps the unresolved instance.
        repo.Write("specs/p.yaml", "apiVersion: optaic.io/v1\nkind: Pipeline\nmetadata: {name: p}\nspec: {steps: []}\n");

        using var source = new GitRevisionSpecSource(repo.Path, firstCommit, ["specs"]);
        var atCommit = Linter.Run(source);
        var now = Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));

        atCommit.Findings.ShouldHaveSingleItem().RuleId.ShouldBe("unresolved-reference");
        atCommit.SourceDescription.ShouldBe($"commit {firstCommit[..7]}");
        now.Findings.ShouldHaveSingleItem().RuleId.ShouldBe("schema-range");
    }

    [Fact]
    public void Every_rule_is_documented_with_a_failing_example()
    {
        var docs = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "engine", "docs", "lint-rules.md"));
        foreach (var rule in LintRules.All)
        {
            docs.ShouldContain($"`{rule.Id}`", customMessage: $"engine/docs/lint-rules.md does not document {rule.Id}");
        }
    }

    private static LintReport LintOf(string name, string content)
    {
        var repo = new TempFolder();
        repo.Write($"specs/{name}", content);
        return Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));
    }

    private static string Render(LintReport report, LintFormat format)
    {
        var writer = new StringWriter();
        LintFormatter.Write(report, format, writer, "1.0.0");
        return writer.ToString();
    }
}
