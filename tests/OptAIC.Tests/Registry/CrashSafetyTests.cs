using LibGit2Sharp;
using OptAIC.Engine.Diagnostics;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Cli;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

/// <summary>
/// The registry is never lost: the real `optaic` killed (SIGKILL) at every named failpoint, or refused a write as
/// a full disk would, and then run again. Afterwards HEAD = index = work tree, the plan is empty, every record's
/// artifact is stored with its sha256, and a user's next ordinary commit touches no registry file.
/// </summary>
public class CrashSafetyTests
{
    private static readonly string[] OneInstance = ["spx-linear"];

    public static TheoryData<string> AllFailpoints() => [.. Failpoints.Names];

    [Fact]
    public void A_question_mark_lists_every_failpoint_and_exits_0()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        var (exit, output, _) = OptaicProcess.Run(repo.Path, new Dictionary<string, string> { [Failpoints.Variable] = "?" }, "plan");

        exit.ShouldBe(0);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(Failpoints.Names);
        Failpoints.Names.Count.ShouldBeGreaterThanOrEqualTo(9);
    }

    [Theory]
    [MemberData(nameof(AllFailpoints))]
    public void A_kill_at_any_failpoint_is_completed_by_the_next_apply(string failpoint)
    {
        using var repo = ExampleRepository.Create(OneInstance);
        var (killed, _, _) = OptaicProcess.Run(repo.Path, new Dictionary<string, string> { [Failpoints.Variable] = failpoint }, "apply", "--quiet");
        killed.ShouldBe(137, $"the process kills itself at {failpoint}");

        var (exit, output, error) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");

        exit.ShouldBe(0, output + error);
        error.ShouldNotContain("internal error");
        AssertWhole(repo);
    }

    [Theory]
    [InlineData("between-artifacts")]
    [InlineData("between-records")]
    [InlineData("before-commit-objects")]
    public void A_full_disk_is_one_clear_line_with_exit_1_and_the_next_apply_completes(string failpoint)
    {
        using var repo = ExampleRepository.Create(OneInstance);
        var head = Head(repo);
        var (exit, output, error) = OptaicProcess.Run(repo.Path, new Dictionary<string, string> { [Failpoints.Variable] = "enospc:" + failpoint }, "apply", "--quiet");

        exit.ShouldBe(1, output + error);
        (output + error).ShouldContain("no space left on the device");
        (output + error).ShouldNotContain("internal error");
        (output + error).ShouldNotContain(AtomicFile.TempSuffix);
        Head(repo).ShouldBe(head, "nothing is committed");
        Directory.EnumerateFiles(repo.Path, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories).ShouldBeEmpty("nothing half-written is left");

        var (again, o2, e2) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");
        again.ShouldBe(0, o2 + e2);
        AssertWhole(repo);
    }

    [Fact]
    public void An_index_rolled_back_by_hand_is_refused_by_plan_and_repaired_by_apply()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        OptaicProcess.Run(repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        Git(repo.Path, "read-tree", "HEAD~1"); // every registry file now shows as a staged deletion

        var (planExit, planOut, planErr) = OptaicProcess.Run(repo.Path, null, "plan", "--detailed-exitcode");
        planExit.ShouldBe(1, planOut + planErr);
        planErr.ShouldContain("the index lags behind the last commit");

        var (exit, _, error) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");
        exit.ShouldBe(0, error);
        error.ShouldContain("recovered: repaired");
        AssertWhole(repo);
    }

    [Fact]
    public void A_deleted_artifact_is_refused_with_the_file_and_what_to_do_and_never_committed()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        OptaicProcess.Run(repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        var head = Head(repo);
        var artifact = Directory.EnumerateFiles(Path.Combine(repo.Path, "models", "artifacts"), "*", SearchOption.AllDirectories).First();
        File.Delete(artifact);
        var relative = Path.GetRelativePath(repo.Path, artifact).Replace('\\', '/');

        foreach (var verb in new[] { "plan", "apply", "status" })
        {
            var (exit, output, error) = OptaicProcess.Run(repo.Path, null, verb);
            exit.ShouldBe(1, $"{verb}: {output}{error}");
            error.ShouldContain(relative);
            error.ShouldContain($"git checkout HEAD -- {relative}");
            error.ShouldNotContain("internal error");
        }

        Head(repo).ShouldBe(head, "apply committed nothing, least of all the deletion");
        var verify = OptaicProcess.Run(repo.Path, null, "verify");
        verify.Exit.ShouldBe(1);
        verify.Output.ShouldContain("[deleted-file]");
    }

    [Theory]
    [InlineData("garbage: [unclosed", "not valid YAML")]
    [InlineData("\u00ff\u00fe binary", "not UTF-8")]
    public void A_corrupt_version_record_stops_plan_apply_and_status_naming_file_and_line(string content, string expected)
    {
        using var repo = ExampleRepository.Create(OneInstance);
        OptaicProcess.Run(repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        var record = Directory.EnumerateFiles(Path.Combine(repo.Path, "models", "spx-linear", "versions")).Single();
        if (expected == "not UTF-8")
        {
            File.WriteAllBytes(record, [0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);
        }
        else
        {
            File.WriteAllText(record, content);
        }

        foreach (var verb in new[] { "plan", "apply", "status", "verify" })
        {
            var (exit, output, error) = OptaicProcess.Run(repo.Path, null, verb);
            exit.ShouldBe(1, $"{verb}: {output}{error}");
            (output + error).ShouldContain(expected);
            (output + error).ShouldMatch(@"versions/0*1\.yaml\(\d+,\d+\)");
            (output + error).ShouldNotContain("internal error");
            (output + error).ShouldNotContain("   at ");
        }
    }

    [Fact]
    public void Starting_over_with_git_reset_hard_after_an_interrupted_apply_reapplies_honestly()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        // Killed after the training's run was journaled and some records were written.
        OptaicProcess.Run(repo.Path, new Dictionary<string, string> { [Failpoints.Variable] = "between-records" }, "apply", "--quiet").Exit.ShouldBe(137);
        Git(repo.Path, "reset", "--hard");
        Git(repo.Path, "clean", "-fdq", "models");

        var (exit, output, error) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");

        exit.ShouldBe(0, output + error);
        output.ShouldContain("Committed");
        AssertWhole(repo);
    }

    [Fact]
    public void Journals_are_removed_after_a_successful_commit_and_the_work_folder_is_git_ignored()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        File.Delete(repo.File(".gitignore"));
        Git(repo.Path, "commit", "-qam", "no ignore file");

        var (exit, _, error) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");

        exit.ShouldBe(0, error);
        error.ShouldContain(".optaic/ was not git-ignored");
        File.ReadAllText(Path.Combine(repo.Path, ".git", "info", "exclude")).ShouldContain("/.optaic/");
        var runs = Path.Combine(repo.Path, ".optaic", "runs");
        (Directory.Exists(runs) ? Directory.GetDirectories(runs) : []).ShouldBeEmpty();
        AssertWhole(repo);
    }

    /// <summary>HEAD = index = work tree, an empty plan, a clean verify, and a user's commit touches no registry file.</summary>
    [Fact]
    public async Task Ctrl_c_at_any_moment_of_apply_exits_130_with_the_closing_message_and_the_next_apply_completes()
    {
        // Signal points taken from the child's own progress (as the 1st, 2nd and 4th of 6 actions start), so they land mid-run.
        var interrupted = 0;
        foreach (var after in new[] { 1, 2, 4 })
        {
            using var repo = ExampleRepository.Create(["spx-alpha", "spx-linear"]);
            using (var child = System.Diagnostics.Process.Start(AtATerminal(OptaicProcess.Binary, "apply", "--repo", repo.Path))!)
            {
                var error = child.StandardError.ReadToEndAsync();
                var started = 0;
                while (started < after && await child.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (line.TrimStart().StartsWith('[') && line.Contains("] start ", StringComparison.Ordinal))
                    {
                        started++;
                    }
                }
                if (!child.HasExited)
                {
                    System.Diagnostics.Process.Start("kill", ["-INT", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
                    interrupted++;
                    var rest = child.StandardOutput.ReadToEndAsync();
                    await child.WaitForExitAsync();
                    child.ExitCode.ShouldBe(130, $"interrupted after {after} actions: {await rest}{await error}");
                    (await error).ShouldContain("interrupted; the work done so far is journaled");
                }
                else
                {
                    await child.WaitForExitAsync();
                }
            }
            var (exit, output, stderr) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");
            exit.ShouldBe(0, output + stderr);
            AssertWhole(repo);
        }
        interrupted.ShouldBe(3, "every Ctrl-C must land while apply is running");
    }

    /// <summary>
    /// The command as a terminal starts it: SIGINT at its default. A test host started in the background of a
    /// script inherits SIGINT ignored (as shells set background jobs), and a child keeps that; python3 resets it
    /// and execs the command under the same pid.
    /// </summary>
    private static System.Diagnostics.ProcessStartInfo AtATerminal(params string[] command)
    {
        var info = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])" }.Concat(command))
        {
            info.ArgumentList.Add(argument);
        }
        return info;
    }

    [Fact]
    public void Applying_a_stale_saved_plan_is_refused_with_exit_1_and_changes_nothing()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        var planFile = Path.Combine(Path.GetTempPath(), $"optaic-plan-{Guid.NewGuid():N}.json");
        OptaicProcess.Run(repo.Path, null, "plan", "--out", planFile).Exit.ShouldBe(0);
        OptaicProcess.Run(repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        var head = Head(repo);

        var (exit, output, error) = OptaicProcess.Run(repo.Path, null, "apply", planFile);

        exit.ShouldBe(1, output + error);
        error.ShouldContain("the saved plan is stale");
        error.ShouldContain("run 'optaic plan' again");
        Head(repo).ShouldBe(head);
        File.Delete(planFile);
    }

    [Fact]
    public void A_read_only_registry_folder_is_one_line_naming_it_with_exit_1_and_the_next_apply_completes()
    {
        using var repo = ExampleRepository.Create(OneInstance);
        OptaicProcess.Run(repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        repo.Edit("specs/instances/spx-linear.yaml", "  seed: 7", "  seed: 8");
        Git(repo.Path, "commit", "-qam", "new seed");
        var folder = Path.Combine(repo.Path, "models", "spx-linear", "versions");
        var head = Head(repo);
        ReadOnly(folder, true);
        try
        {
            var (exit, output, error) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");

            exit.ShouldBe(1, output + error);
            error.ShouldContain("models/spx-linear/versions");
            error.ShouldNotContain("internal error");
            error.ShouldNotContain(AtomicFile.TempSuffix);
            error.Trim().Split('\n').Count(l => l.StartsWith("optaic:", StringComparison.Ordinal)).ShouldBe(1, error);
            Head(repo).ShouldBe(head, "nothing is committed");
        }
        finally
        {
            ReadOnly(folder, false);
        }
        var (again, o2, e2) = OptaicProcess.Run(repo.Path, null, "apply", "--quiet");
        again.ShouldBe(0, o2 + e2);
        AssertWhole(repo, versions: 2);
    }

    /// <summary>Read-only even for root (chattr +i), else by permissions.</summary>
    private static void ReadOnly(string folder, bool on)
    {
        var chattr = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chattr", [on ? "+i" : "-i", folder]) { RedirectStandardError = true })!;
        chattr.WaitForExit();
        if (chattr.ExitCode != 0 && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, on
                ? UnixFileMode.UserRead | UnixFileMode.UserExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void AssertWhole(ExampleRepository repo, int versions = 1)
    {
        using (var git = new Repository(repo.Path))
        {
            var dirty = git.RetrieveStatus(new StatusOptions { IncludeUntracked = true }).Where(e => e.State != FileStatus.Ignored).Select(e => $"{e.FilePath} {e.State}").ToList();
            dirty.ShouldBeEmpty("HEAD, index and work tree agree");
        }

        var session = ReconcileSession.Open(repo.Path);
        session.Plan().Actions.ShouldBeEmpty("the next plan is empty");
        RegistryCheck.Full(session.Registry, repo.Path).Problems.ShouldBeEmpty("every record points at a stored artifact with its sha256");
        session.Registry.GetVersionNumbers("spx-linear").ShouldBe([.. Enumerable.Range(1, versions)], "each version once, never a duplicate");

        File.AppendAllText(repo.File("specs/notes.txt"), "a user's change\n");
        Git(repo.Path, "add", "-A");
        Git(repo.Path, "commit", "-qm", "user change");
        Git(repo.Path, "diff", "--name-only", "HEAD~1", "HEAD").Trim().ShouldBe("specs/notes.txt", "the user's commit touches no registry file");
    }

    private static string Head(ExampleRepository repo)
    {
        using var git = new Repository(repo.Path);
        return git.Head.Tip.Sha;
    }

    private static string Git(string directory, params string[] arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"git {string.Join(' ', arguments)}: {error}");
        return output;
    }
}
