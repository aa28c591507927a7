using System.Text.Json;
using System.Text.RegularExpressions;
using LibGit2Sharp;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Cli;

/// <summary>`optaic init` as a new user runs it, then lint, apply and plan in the new repository; apply's progress on a terminal and in a log.</summary>
public class InitTests
{
    private static readonly Dictionary<string, string> NoColor = new() { ["NO_COLOR"] = "1" };

    [Fact]
    public void Init_makes_a_repository_that_lints_clean_applies_and_then_plans_nothing()
    {
        using var folder = new TempFolder();

        var (init, initOutput, initError) = OptaicProcess.Run(folder.Path, null, "init", "demo");
        var demo = folder.File("demo");
        var (lint, lintOutput, lintError) = OptaicProcess.Run(demo, null, "lint");
        var (apply, applyOutput, applyError) = OptaicProcess.Run(demo, null, "apply");
        var (plan, planOutput, planError) = OptaicProcess.Run(demo, null, "plan", "--detailed-exitcode");

        init.ShouldBe(0, initError);
        initOutput.ShouldContain("Created a Git repository on branch main");
        lint.ShouldBe(0, lintOutput + lintError);
        lintOutput.ShouldStartWith("No findings in 5 files, 5 documents");
        apply.ShouldBe(0, applyOutput + applyError);
        applyError.ShouldBeEmpty(); // init committed the specs: no warning
        // Not a terminal: one plain line as each action starts and ends, then the summary; no escape codes.
        applyOutput.ShouldContain("  [  0/3] start  + train my-signal\n");
        applyOutput.ShouldMatch(@"\[  1/3\] ok     \+ train my-signal: version 1 \(rank_ic 0\.\d+, gates passed\) -> production \(\d+:\d\d\)");
        applyOutput.ShouldContain("Apply: 3 succeeded, 0 failed a gate (nothing registered), 0 failed.");
        applyOutput.ShouldNotContain("\u001b[");
        plan.ShouldBe(0, planOutput + planError);
        planOutput.ShouldContain("No changes.");
        using var git = new Repository(demo);
        git.Head.FriendlyName.ShouldBe("main");
        git.Commits.Count().ShouldBe(2);
        git.RetrieveStatus(new StatusOptions()).IsDirty.ShouldBeFalse();
    }

    [Fact]
    public void Init_writes_editor_settings_modelines_the_pinned_workflows_the_hook_and_the_ignores()
    {
        using var folder = new TempFolder();

        var (exit, _, error) = OptaicProcess.Run(folder.Path, null, "init", "repo", "--name", "Research Desk");

        exit.ShouldBe(0, error);
        var repo = folder.File("repo");
        File.ReadAllText(Path.Combine(repo, ".gitignore")).ShouldContain(".optaic/");
        File.ReadAllText(Path.Combine(repo, "specs", "project.yaml")).ShouldContain("name: research-desk");
        using (var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo, ".vscode", "settings.json"))))
        {
            var schemas = settings.RootElement.GetProperty("yaml.schemas");
            schemas.GetProperty("./schemas/optaic.schema.json").EnumerateArray().Select(e => e.GetString()).ShouldContain("specs/**/*.yaml");
        }
        foreach (var spec in Directory.EnumerateFiles(Path.Combine(repo, "specs"), "*.yaml", SearchOption.AllDirectories))
        {
            var first = File.ReadLines(spec).First();
            var match = Regex.Match(first, @"^# yaml-language-server: \$schema=(\S+)$");
            match.Success.ShouldBeTrue(spec);
            File.Exists(Path.Combine(Path.GetDirectoryName(spec)!, match.Groups[1].Value)).ShouldBeTrue($"{spec}: {match.Groups[1].Value}");
        }
        var version = typeof(OptAIC.Cli.EngineInfo).Assembly.GetName().Version!.ToString(3);
        foreach (var workflow in new[] { "optaic-plan.yml", "optaic-reconcile.yml", "optaic-nightly.yml" })
        {
            var text = File.ReadAllText(Path.Combine(repo, ".github", "workflows", workflow));
            text.ShouldContain($"OPTAIC_VERSION: {version}");
            text.ShouldContain("dotnet tool install --global optaic --version \"$OPTAIC_VERSION\"");
        }
        File.ReadAllText(Path.Combine(repo, ".git", "hooks", "pre-commit")).ShouldContain("# optaic pre-commit hook");
        File.ReadAllLines(Path.Combine(repo, "specs", "data", "prices.csv")).Length.ShouldBe(601);
    }

    [Fact]
    public void Init_with_an_external_artifact_store_keeps_artifacts_out_of_git()
    {
        using var folder = new TempFolder();
        var store = folder.File("artifacts");

        OptaicProcess.Run(folder.Path, null, "init", "repo", "--artifact-store", store).Exit.ShouldBe(0);
        var repo = folder.File("repo");
        var (apply, output, error) = OptaicProcess.Run(repo, null, "apply", "--quiet");

        apply.ShouldBe(0, output + error);
        Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories).ShouldNotBeEmpty();
        Directory.Exists(Path.Combine(repo, "models", "artifacts")).ShouldBeFalse();
        // --quiet: the summary only.
        output.ShouldNotContain("start ");
        output.ShouldStartWith("\nApply: 3 succeeded");
    }

    [Fact]
    public void Init_refuses_a_folder_that_already_has_specs()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("specs"));

        var (exit, _, error) = OptaicProcess.Run(folder.Path, null, "init");

        exit.ShouldBe(2);
        error.ShouldContain("already has a specs/ folder");
    }

    [Fact]
    public void Apply_warns_on_uncommitted_specs_and_require_clean_refuses()
    {
        using var folder = new TempFolder();
        OptaicProcess.Run(folder.Path, null, "init", "repo").Exit.ShouldBe(0);
        var repo = folder.File("repo");
        var instance = Path.Combine(repo, "specs", "instances", "my-signal.yaml");
        File.WriteAllText(instance, File.ReadAllText(instance).Replace("l2Regularization: 0.1", "l2Regularization: 0.3", StringComparison.Ordinal));

        var (refused, refusedOutput, refusedError) = OptaicProcess.Run(repo, null, "apply", "--require-clean");
        var trainedWhenRefused = Directory.Exists(Path.Combine(repo, "models", "my-signal"));
        var (warned, _, warnedError) = OptaicProcess.Run(repo, null, "apply", "--quiet");

        refused.ShouldBe(1);
        refusedOutput.ShouldBeEmpty();
        refusedError.ShouldBe("optaic: specs/ has uncommitted changes and --require-clean is set; commit them (or drop the option) and apply again\n");
        trainedWhenRefused.ShouldBeFalse();
        warned.ShouldBe(0);
        warnedError.ShouldStartWith("optaic: warning: specs/ has uncommitted changes;");
    }

    [Fact]
    public void On_a_terminal_apply_shows_running_actions_live_and_never_colours_under_NO_COLOR()
    {
        using var folder = new TempFolder();
        OptaicProcess.Run(folder.Path, null, "init", "repo").Exit.ShouldBe(0);
        var repo = folder.File("repo");

        var (exit, screen) = OptaicProcess.RunOnTerminal(repo, "apply --no-commit");
        var (again, plainScreen) = OptaicProcess.RunOnTerminal(repo, "apply --no-commit", NoColor);

        exit.ShouldBe(0, screen);
        screen.ShouldContain("\u001b[?25l"); // the live display hides the cursor while it redraws
        screen.ShouldMatch(@"\u001b\[[0-9;]*m"); // and colours
        var text = OptaicProcess.Plain(screen);
        text.ShouldMatch(@"⋯ \+ train my-signal\s+\S.*\s+0:\d\d"); // a running action: its stage and elapsed time
        text.ShouldMatch(@"\d/3 done, 1 running\s+0:\d\d");
        text.ShouldContain("[  3/3] ok     + monitor my-signal");
        text.ShouldContain("Apply: 3 succeeded");
        again.ShouldBe(0, plainScreen);
        plainScreen.ShouldNotMatch(@"\u001b\[[0-9;]*m"); // NO_COLOR: cursor moves, no colour
    }

    [Fact]
    public void Status_on_a_terminal_keeps_its_columns_aligned_around_the_coloured_health()
    {
        using var folder = new TempFolder();
        OptaicProcess.Run(folder.Path, null, "init", "repo").Exit.ShouldBe(0);
        var repo = folder.File("repo");
        OptaicProcess.Run(repo, null, "apply", "--quiet").Exit.ShouldBe(0);

        var (exit, screen) = OptaicProcess.RunOnTerminal(repo, "status");

        exit.ShouldBe(0, screen);
        screen.ShouldMatch(@"\u001b\[[0-9;]*m(Healthy|Degraded|Failing)");
        var lines = OptaicProcess.Plain(screen).Split('\n');
        var header = lines.Single(l => l.Contains("INSTANCE", StringComparison.Ordinal));
        var row = lines.First(l => l.Contains("my-signal", StringComparison.Ordinal));
        foreach (var column in new[] { "HEALTH", "PRODUCTION", "LATEST", "METRIC", "LAST TRAINED" })
        {
            var start = header.IndexOf(column, StringComparison.Ordinal);
            row[start - 1].ShouldBe(' ', $"{column}\n{header}\n{row}");
            row[start].ShouldNotBe(' ', $"{column}\n{header}\n{row}");
        }
    }
}
