using System.Diagnostics;
using System.Text.Json;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Cli;

/// <summary>The `optaic` command as a user runs it: a real process, its output and its exit code.</summary>
public class CommandTests
{
    [Fact]
    public void Lint_of_the_example_prints_no_findings_and_exits_0()
    {
        var (exit, output, error) = Optaic($"lint --repo {TestPaths.RepositoryRoot}");

        exit.ShouldBe(0, error);
        output.ShouldStartWith("No findings in 17 files, 17 documents");
    }

    [Fact]
    public void Lint_findings_exit_1_with_one_line_each_and_no_colour_when_redirected()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        repo.Edit("specs/instances/spx-alpha.yaml", "seed: 42", "seed: forty-two");

        var (exit, output, _) = Optaic($"lint --repo {repo.Path}");

        exit.ShouldBe(1);
        output.ShouldStartWith("specs/instances/spx-alpha.yaml:19:3: error: spec.seed: expected an integer, got 'forty-two' [schema-type]");
        output.ShouldNotContain("\u001b[");
    }

    [Theory]
    [InlineData("lint no/such/folder", "no/such/folder: no such file or folder")]
    [InlineData("lint --rev no-such-rev", "--rev no-such-rev: no such commit")]
    [InlineData("frobnicate", "optaic: unknown verb 'frobnicate'")]
    [InlineData("lint --format xml", "xml")]
    public void A_usage_error_exits_2_with_a_message_and_no_stack_trace(string arguments, string message)
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);

        var (exit, output, error) = Optaic($"{arguments} --repo {repo.Path}", workingDirectory: repo.Path);

        exit.ShouldBe(2, output + error);
        error.ShouldContain(message);
        (output + error).ShouldNotContain("   at ");
    }

    [Fact]
    public void Plan_with_detailed_exitcode_exits_2_when_there_is_work_and_json_has_its_stable_shape()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);

        var (exit, output, error) = Optaic($"plan --detailed-exitcode --format json --repo {repo.Path}");

        exit.ShouldBe(2, error);
        var json = JsonDocument.Parse(output).RootElement;
        json.GetProperty("format_version").GetString().ShouldBe("1.0");
        json.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("id").GetString())
            .ShouldBe(["train:spx-alpha", "infer:spx-alpha", "monitor:spx-alpha"]);
    }

    [Fact]
    public void Plan_refuses_specs_with_lint_errors_and_shows_them()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        repo.Edit("specs/instances/spx-alpha.yaml", "definition: gbm-signal", "definition: gbm-signl");

        var (exit, _, error) = Optaic($"plan --repo {repo.Path}");

        exit.ShouldBe(1);
        error.ShouldContain("model definition 'gbm-signl' does not exist; did you mean 'gbm-signal'? [unresolved-reference]");
        error.ShouldContain("fix them (see above) before planning");
    }

    [Fact]
    public void Schema_export_writes_the_very_schema_files_of_the_repository()
    {
        using var target = new TempFolder();

        var (exit, _, error) = Optaic($"schema export {target.Path}");

        exit.ShouldBe(0, error);
        foreach (var schema in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "schemas")))
        {
            File.ReadAllText(target.File(Path.GetFileName(schema))).ShouldBe(File.ReadAllText(schema));
        }
    }

    internal static (int Exit, string Output, string Error) Optaic(string arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "optaic"), arguments)
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment.Remove("NO_COLOR"); // colour must be off because output is redirected, not because of NO_COLOR
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
