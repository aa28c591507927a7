using OptAIC.Engine.Plan;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Plan;

/// <summary>What the data says is a plan error (file, row, column), before anything trains.</summary>
public class PlanDataChecksTests
{
    private static TempFolder Example()
    {
        var repo = new TempFolder();
        repo.CopyFrom(TestPaths.ExampleSpecs, "specs");
        return repo;
    }

    private static void Edit(TempFolder repo, string relative, string from, string to)
    {
        var path = repo.File(relative);
        var text = File.ReadAllText(path);
        text.ShouldContain(from);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void The_example_plans_without_data_findings()
    {
        using var repo = Example();

        ReconcileSession.Open(repo.Path).Lint.Findings.ShouldBeEmpty();
    }

    [Fact]
    public void A_date_in_another_format_is_a_plan_error_naming_file_row_and_column()
    {
        using var repo = Example();
        Edit(repo, "specs/data/sp500-2000.csv", "\n2000-01-04,", "\nJan 4 2000,");

        var session = ReconcileSession.Open(repo.Path);

        var finding = session.Lint.Findings.ShouldHaveSingleItem();
        finding.RuleId.ShouldBe("dataset-data");
        finding.File.ShouldBe("specs/datasets/spx-daily.yaml");
        finding.Message.ShouldContain("sp500-2000.csv");
        finding.Message.ShouldContain("row 2");
        finding.Message.ShouldContain("column 'date'");
        Should.Throw<InvalidSpecsException>(() => session.EnsureValid());
    }

    [Fact]
    public void The_declared_format_fixes_it()
    {
        using var repo = Example();
        var csv = repo.File("specs/data/sp500-2000.csv");
        var lines = File.ReadAllLines(csv);
        File.WriteAllLines(csv, [lines[0], .. lines.Skip(1).Select(l => DateTime.Parse(l[..10], System.Globalization.CultureInfo.InvariantCulture).ToString("MMM d yyyy", System.Globalization.CultureInfo.InvariantCulture) + l[10..])]);
        Edit(repo, "specs/datasets/spx-daily.yaml", "{ name: date, type: date }", "{ name: date, type: date, format: \"%b %d %Y\" }");

        ReconcileSession.Open(repo.Path).Lint.Findings.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("hour", "business-day")]
    [InlineData("day", "business-day")]
    public void A_declared_frequency_the_data_does_not_have_is_a_plan_error(string declared, string actual)
    {
        using var repo = Example();
        Edit(repo, "specs/datasets/spx-daily.yaml", "frequency: business-day", $"frequency: {declared}");

        var finding = ReconcileSession.Open(repo.Path).Lint.Findings.ShouldHaveSingleItem();

        finding.RuleId.ShouldBe("dataset-frequency");
        finding.Message.ShouldContain($"declare frequency: {actual}");
    }
}
