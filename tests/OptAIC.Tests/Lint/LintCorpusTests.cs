using System.Text.RegularExpressions;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Specs;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Lint;

/// <summary>
/// Every bad spec under Fixtures/lint/cases names, in its first lines, the exact findings it must
/// produce (`# expect: rule line:col`). Each is linted inside a copy of the real example repository:
/// it must produce exactly those errors, and the rest of the repository none.
/// </summary>
public partial class LintCorpusTests
{
    public static TheoryData<string> Cases() => [.. CaseFiles()];

    private static IEnumerable<string> CaseFiles() =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.Fixtures, "lint", "cases"), "*.yaml")
            .Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

    [Fact]
    public void The_corpus_holds_at_least_forty_bad_files_covering_most_rules()
    {
        var cases = CaseFiles().ToList();
        cases.Count.ShouldBeGreaterThanOrEqualTo(40);
        var covered = cases.SelectMany(c => Expectations(File.ReadAllText(CasePath(c))).Select(e => e.Rule)).ToHashSet();
        var uncovered = LintRules.All.Select(r => r.Id).Where(id => !covered.Contains(id)).ToList();
        // Rules tested elsewhere: the size cap (a generated file) and the schema fallbacks.
        uncovered.Except(["yaml-file-too-large", "schema-invalid", "inference-bounds", "onnx-declaration", "instance-features",
            "instance-target", "hyperparameters-schema", "pipeline-timeout", "spec-symlink", "dataset-data", "dataset-frequency"]).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_spec_gives_exactly_its_finding_at_its_line_and_column(string caseFile)
    {
        var text = File.ReadAllText(CasePath(caseFile));
        var expected = Expectations(text);
        expected.ShouldNotBeEmpty($"{caseFile} declares no '# expect: rule line:col'");

        using var repo = new TempFolder();
        repo.CopyFrom(TestPaths.ExampleSpecs, "specs");
        // Sorted after the example's own folders, so a duplicate is reported on the case, not on the example.
        var relative = $"specs/zz-cases/{caseFile}";
        Directory.CreateDirectory(repo.File("specs/zz-cases"));
        File.Copy(CasePath(caseFile), repo.File(relative));
        // The ONNX files written by scikit-learn (Fixtures/onnx), for the cases that import one.
        foreach (var model in Directory.EnumerateFiles(Path.Combine(TestPaths.Fixtures, "onnx"), "*.onnx"))
        {
            File.Copy(model, repo.File($"specs/zz-cases/{Path.GetFileName(model)}"));
        }

        var report = Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));

        report.Findings.Where(f => f.File != relative).ShouldBeEmpty("the rest of the example must stay clean");
        var actual = report.Findings.Select(f => (f.RuleId, f.Position.Line, f.Position.Column)).OrderBy(f => f).ToList();
        actual.ShouldBe(expected.Select(e => (e.Rule, e.Line, e.Column)).OrderBy(f => f).ToList(),
            string.Join("\n", report.Findings));
    }

    private static string CasePath(string caseFile) => Path.Combine(TestPaths.Fixtures, "lint", "cases", caseFile);

    private static List<(string Rule, int Line, int Column)> Expectations(string text) =>
        [.. ExpectLine().Matches(text).Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value)))];

    [GeneratedRegex(@"^# expect: ([a-z0-9-]+) (\d+):(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ExpectLine();
}
