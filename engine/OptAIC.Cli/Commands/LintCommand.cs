using System.CommandLine;
using OptAIC.Cli.Console;
using OptAIC.Cli.Help;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Lint.Output;
using OptAIC.Engine.Specs;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic lint [PATH...]`: the specs checked, findings at file:line:col.</summary>
public static class LintCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var paths = new Argument<string[]>("path") { Description = "Spec files or folders, relative to the repository (default: specs).", Arity = ArgumentArity.ZeroOrMore };
        var format = new Option<string>("--format", "-f") { Description = "text, json, github (workflow annotations) or sarif (SARIF 2.1.0).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "github", "sarif");
        var rev = new Option<string?>("--rev") { Description = "Lint the specs as they are in this commit, read from Git without a checkout." };
        var warningsAsErrors = new Option<bool>("--warnings-as-errors") { Description = "Warnings count as errors for the exit code." };
        var command = new Command("lint", "Check specs: YAML, JSON Schemas, references across files, point-in-time rules, secrets.")
        {
            paths, format, rev, warningsAsErrors,
        };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var root = RepositoryLocator.FindGitWorkTree(result.GetValue(repoOption));
            var relativeTargets = result.GetValue(paths) is { Length: > 0 } given
                ? given.Select(t => ToRepositoryPath(root, t)).ToList()
                : [result.GetValue(rev) is null ? DefaultSpecsPath(root) : "specs"];
            var report = Run(root, relativeTargets, result.GetValue(rev));
            if (report.FileCount == 0)
            {
                throw new UsageException($"no spec files (*.yaml) in {string.Join(", ", relativeTargets)}{(result.GetValue(rev) is { } r ? $" at {r}" : "")} under {root}; write specs there, or start with 'optaic init'");
            }
            var chosen = Enum.Parse<LintFormat>(result.GetValue(format)!, ignoreCase: true);
            if (chosen == LintFormat.Text && Terminal.ColorEnabled)
            {
                WriteColored(report);
            }
            else
            {
                LintFormatter.Write(report, chosen, System.Console.Out, EngineInfo.Version);
            }
            var failing = report.Errors + (result.GetValue(warningsAsErrors) ? report.Warnings : 0);
            return failing > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic lint                                    # the specs/ folder of the repository around you",
            "optaic lint specs/instances/spx-alpha.yaml     # one file (checked against the others it references)",
            "optaic lint --rev origin/main                  # the specs of a commit, without a checkout",
            "optaic lint --format sarif > lint.sarif        # for GitHub code scanning");
    }

    public static string DefaultSpecsPath(string root) => Directory.Exists(Path.Combine(root, "specs")) ? "specs"
        : throw new UsageException($"{root} has no specs/ folder; write the specs there, name the files to lint, or start with 'optaic init'");

    private static LintReport Run(string root, IReadOnlyList<string> targets, string? revision)
    {
        if (revision is null)
        {
            return Linter.Run(new DirectorySpecSource(root, targets));
        }
        using var source = new GitRevisionSpecSource(root, revision, targets);
        return Linter.Run(source);
    }

    private static string ToRepositoryPath(string root, string path)
    {
        var full = Path.GetFullPath(path, Directory.GetCurrentDirectory());
        return SpecPaths.RelativeInside(root, full) ?? throw new UsageException($"{path}: outside the repository {root}; lint reads files inside it only");
    }

    private static void WriteColored(LintReport report)
    {
        foreach (var f in report.Findings)
        {
            var level = f.Severity == Severity.Error ? Terminal.Red("error") : Terminal.Yellow("warning");
            System.Console.Out.WriteLine($"{Terminal.Bold($"{f.File}:{f.Position.Line}:{f.Position.Column}")}: {level}: {f.Message} {Terminal.Dim($"[{f.RuleId}]")}");
        }
        var summary = LintFormatter.Summary(report);
        System.Console.Out.WriteLine(report.Errors > 0 ? Terminal.Red(summary) : Terminal.Green(summary));
    }
}
