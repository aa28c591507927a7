using OptAIC.Tests.Apply;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Cli;

/// <summary>Long actions say what they are doing while they run (plain lines in a log; the live display on a terminal).</summary>
public class ProgressStageTests
{
    [Fact]
    public void Apply_reports_each_actions_stages_while_it_runs()
    {
        using var repo = ExampleRepository.Create(["spx-linear"]);

        var (exit, output, error) = OptaicProcess.Run(repo.Path, null, "apply");

        exit.ShouldBe(0, output + error);
        var lines = output.Split('\n');
        int At(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        At("...    + train spx-linear: loading data and computing features").ShouldBeGreaterThan(-1, output);
        At("...    + train spx-linear: training sdca on 2,752 rows").ShouldBeGreaterThan(At("+ train spx-linear: loading data"));
        At("...    + train spx-linear: registering the version").ShouldBeGreaterThan(At("+ train spx-linear: training sdca"));
        At("ok     + train spx-linear").ShouldBeGreaterThan(At("+ train spx-linear: registering the version"));
        At("...    + infer spx-linear: scoring").ShouldBeGreaterThan(At("ok     + train spx-linear"));
        At("...    + monitor spx-linear: drift and performance over").ShouldBeGreaterThan(At("ok     + infer spx-linear"));
    }
}
