using System.Text.RegularExpressions;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Cli;

/// <summary>How the command line answers mistakes, completes words and explains its verbs: the real `optaic` process.</summary>
public partial class CommandLineTests
{
    [Theory]
    [InlineData("lnit", "optaic: unknown verb 'lnit'; did you mean 'lint'?")]
    [InlineData("lint --fromat json", "optaic lint: unknown option '--fromat'; did you mean '--format'?")]
    [InlineData("apply --parallel abc", "optaic apply: --parallel: 'abc' is not a whole number")]
    [InlineData("apply --lock-timeout 1.5", "optaic apply: --lock-timeout: '1.5' is not a whole number")]
    [InlineData("lint --format jsn", "optaic lint: --format: 'jsn' is not one of github, json, sarif, text; did you mean 'json'?")]
    [InlineData("ci rconcile", "optaic ci: unknown verb 'rconcile'; did you mean 'reconcile'?")]
    [InlineData("plan --detailed-exit-code", "optaic plan: unknown option '--detailed-exit-code'; did you mean '--detailed-exitcode'?")]
    public void A_mistyped_verb_option_or_value_is_one_clear_line_with_a_suggestion_and_exit_2(string arguments, string message)
    {
        using var folder = new TempFolder();

        var (exit, output, error) = OptaicProcess.Run(folder.Path, null, arguments.Split(' '));

        exit.ShouldBe(2, output + error);
        error.Split('\n')[0].ShouldBe(message);
        error.ShouldNotContain("System.");
        error.ShouldNotContain("   at ");
        error.ShouldNotContain("no such file"); // --fromat is not read as a path
        output.ShouldBeEmpty();
    }

    [Fact]
    public void Words_after_a_double_dash_are_arguments_not_options()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);

        var (exit, _, error) = OptaicProcess.Run(repo.Path, null, "lint", "--", "--not-an-option");

        exit.ShouldBe(2);
        error.ShouldContain("--not-an-option: no such file or folder");
    }

    [Fact]
    public void Lint_outside_a_git_repository_exits_2_and_says_so()
    {
        using var folder = new TempFolder();
        folder.Write("specs/a.yaml", "apiVersion: optaic.io/v1\n");

        var (exit, output, error) = OptaicProcess.Run(folder.Path, null, "lint");

        exit.ShouldBe(2);
        error.ShouldBe($"optaic: {folder.Path} is not inside a Git repository; run optaic in a model repository, pass --repo DIR, or start one with 'optaic init'\n");
        output.ShouldBeEmpty();
    }

    [Fact]
    public void Lint_of_a_repository_without_specs_exits_2_and_says_so()
    {
        using var folder = new TempFolder();
        LibGit2Sharp.Repository.Init(folder.Path);

        var (noFolder, _, noFolderError) = OptaicProcess.Run(folder.Path, null, "lint");
        Directory.CreateDirectory(folder.File("specs"));
        var (empty, _, emptyError) = OptaicProcess.Run(folder.Path, null, "lint");

        noFolder.ShouldBe(2);
        noFolderError.ShouldContain("has no specs/ folder");
        empty.ShouldBe(2);
        emptyError.ShouldContain("no spec files (*.yaml) in specs under");
    }

    [Fact]
    public void Every_verb_has_help_with_an_example_of_itself()
    {
        using var folder = new TempFolder();
        var verbs = Verbs(folder.Path, []).ToList();

        verbs.Select(v => string.Join(' ', v)).ShouldContain("lint");
        verbs.Select(v => string.Join(' ', v)).ShouldContain("ci reconcile");
        foreach (var verb in verbs)
        {
            var (exit, output, error) = OptaicProcess.Run(folder.Path, null, [.. verb, "--help"]);
            exit.ShouldBe(0, error);
            var examples = output[(output.IndexOf("Examples:\n", StringComparison.Ordinal) + 1)..];
            output.ShouldContain("Examples:\n", customMessage: $"optaic {string.Join(' ', verb)} --help has no examples: add Examples.For(command, ...) where the verb is created");
            examples.ShouldContain($"  optaic {verb[0]}", customMessage: $"optaic {string.Join(' ', verb)}");
        }
    }

    [Fact]
    public void The_suggest_directive_completes_verbs_options_and_values()
    {
        using var folder = new TempFolder();

        OptaicProcess.Run(folder.Path, null, "[suggest:3]", "lin").Output.ShouldBe("lint\n");
        OptaicProcess.Run(folder.Path, null, "[suggest:11]", "plan --deta").Output.ShouldBe("--detailed-exitcode\n");
        OptaicProcess.Run(folder.Path, null, "[suggest:14]", "lint --format ").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ShouldBe(["github", "json", "sarif", "text"]);
    }

    [Fact]
    public void The_bash_completion_script_completes_in_a_real_bash()
    {
        using var folder = new TempFolder();
        var script = OptaicProcess.Run(folder.Path, null, "completion", "bash").Output;
        folder.Write("completion.bash", script);
        var binary = OptaicProcess.Binary;

        string Complete(string line) => Bash(folder.Path, $$"""
            source completion.bash
            COMP_LINE='{{binary}} {{line}}'; COMP_POINT=${#COMP_LINE}
            read -r -a COMP_WORDS <<< "$COMP_LINE"; [[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _optaic_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """);

        Complete("sta").ShouldBe("status\n");
        Complete("apply --no").ShouldBe("--no-commit\n");
        Complete("status --format ").ShouldBe("json\ntext\n");
    }

    [Theory]
    [InlineData("zsh", "compdef _optaic optaic")]
    [InlineData("fish", "complete -c optaic")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName optaic")]
    public void Completion_scripts_for_the_other_shells_ask_optaic_through_the_suggest_directive(string shell, string registration)
    {
        using var folder = new TempFolder();

        var (exit, output, _) = OptaicProcess.Run(folder.Path, null, "completion", shell);

        exit.ShouldBe(0);
        output.ShouldContain(registration);
        output.ShouldContain("[suggest:");
    }

    /// <summary>Verbs as the help lists them ("Commands:" sections), depth first.</summary>
    private static IEnumerable<string[]> Verbs(string folder, string[] parent)
    {
        var help = OptaicProcess.Run(folder, null, [.. parent, "--help"]).Output;
        var at = help.IndexOf("Commands:\n", StringComparison.Ordinal);
        if (at < 0)
        {
            yield break;
        }
        var section = help[(at + "Commands:\n".Length)..];
        section = section[..Math.Max(0, section.IndexOf("\n\n", StringComparison.Ordinal))];
        foreach (Match line in CommandLine().Matches(section))
        {
            string[] verb = [.. parent, line.Groups[1].Value];
            yield return verb;
            foreach (var child in Verbs(folder, verb))
            {
                yield return child;
            }
        }
    }

    private static string Bash(string folder, string script)
    {
        var info = new System.Diagnostics.ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    [GeneratedRegex(@"^  ([a-z][a-z-]*)\b", RegexOptions.Multiline)]
    private static partial Regex CommandLine();
}
