using System.Diagnostics;
using LibGit2Sharp;
using OptAIC.Engine.Ci;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

// The hook is a POSIX sh script run by the git CLI: these tests run where CI runs, on Linux.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class HookInstallerTests
{
    [Fact]
    public void Install_writes_an_executable_pre_commit_hook_into_git_hooks()
    {
        using var repo = NewRepository();

        var result = HookInstaller.Install(repo.Path);

        result.Status.ShouldBe(HookInstallStatus.Installed);
        result.HookPath.ShouldBe(Path.Combine(repo.Path, ".git", "hooks", "pre-commit"));
        var script = File.ReadAllText(result.HookPath);
        script.ShouldStartWith("#!/bin/sh\n");
        script.ShouldContain(HookInstaller.Marker);
        script.ShouldContain("git diff --cached --name-only --diff-filter=ACMRD -- 'specs/*.yaml' 'specs/*.yml'");
        script.ShouldContain("optaic lint --format text specs");
        script.ShouldContain("git commit --no-verify");
        File.GetUnixFileMode(result.HookPath).HasFlag(UnixFileMode.UserExecute).ShouldBeTrue();
        File.Exists(result.HookPath + ".optaic-tmp").ShouldBeFalse();
    }

    [Fact]
    public void A_foreign_hook_is_kept_unless_forced_and_then_backed_up()
    {
        using var repo = NewRepository();
        var hook = Path.Combine(repo.Path, ".git", "hooks", "pre-commit");
        File.WriteAllText(hook, "#!/bin/sh\nrun-my-formatter\n");

        var refused = Should.Throw<HookInstallException>(() => HookInstaller.Install(repo.Path));
        refused.Message.ShouldContain("--force");
        File.ReadAllText(hook).ShouldContain("run-my-formatter");

        var forced = HookInstaller.Install(repo.Path, force: true);
        forced.Status.ShouldBe(HookInstallStatus.ReplacedForeign);
        File.ReadAllText(forced.BackupPath!).ShouldContain("run-my-formatter");
        File.ReadAllText(hook).ShouldContain(HookInstaller.Marker);

        // Ours is replaced again without force.
        HookInstaller.Install(repo.Path).Status.ShouldBe(HookInstallStatus.Updated);
    }

    [Fact]
    public void Core_hooks_path_is_respected_relative_to_the_work_tree()
    {
        using var repo = NewRepository();
        using (var git = new Repository(repo.Path))
        {
            git.Config.Set("core.hooksPath", ".githooks");
        }

        var result = HookInstaller.Install(repo.Path);

        result.HookPath.ShouldBe(Path.Combine(repo.Path, ".githooks", "pre-commit"));
        File.Exists(Path.Combine(repo.Path, ".git", "hooks", "pre-commit")).ShouldBeFalse();
    }

    [Fact]
    public void Outside_a_repository_install_fails_with_a_clear_message()
    {
        using var folder = new TempFolder();

        Should.Throw<HookInstallException>(() => HookInstaller.Install(folder.Path)).Message.ShouldContain("not a Git repository");
    }

    [Fact]
    public void The_installed_hook_stops_a_commit_with_a_bad_spec_and_lets_a_good_one_through()
    {
        using var repo = NewRepository();
        using var bin = new TempFolder("optaic-fake-bin");
        var calls = bin.File("calls.log");
        // A stand-in for optaic: records its arguments, fails when a spec says "bad: true".
        var fake = bin.Write("optaic", """
            #!/bin/sh
            echo "$@" >> "$OPTAIC_FAKE_LOG"
            if grep -rl 'bad: true' specs >/dev/null 2>&1; then
              echo "specs/alpha.yaml:3:1: error: bad is not allowed [schema]"
              exit 1
            fi
            echo "No findings."
            exit 0
            """);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        HookInstaller.Install(repo.Path);

        // A commit that touches no spec does not run lint.
        repo.Write("README.md", "# changed\n");
        Git(repo.Path, bin.Path, calls, "add", "README.md").Code.ShouldBe(0);
        Git(repo.Path, bin.Path, calls, "commit", "-m", "docs").Code.ShouldBe(0);
        File.Exists(calls).ShouldBeFalse();

        repo.Write("specs/alpha.yaml", "kind: ModelInstance\nname: alpha\nbad: true\n");
        Git(repo.Path, bin.Path, calls, "add", "specs/alpha.yaml");
        var blocked = Git(repo.Path, bin.Path, calls, "commit", "-m", "bad spec");
        blocked.Code.ShouldNotBe(0);
        blocked.Output.ShouldContain("error: bad is not allowed");
        blocked.Output.ShouldContain("git commit --no-verify");
        File.ReadAllText(calls).ShouldBe("lint --format text specs\n");

        repo.Write("specs/alpha.yaml", "kind: ModelInstance\nname: alpha\n");
        Git(repo.Path, bin.Path, calls, "add", "specs/alpha.yaml");
        Git(repo.Path, bin.Path, calls, "commit", "-m", "good spec").Code.ShouldBe(0);
        using var git = new Repository(repo.Path);
        git.Head.Tip.MessageShort.ShouldBe("good spec");
    }

    [Fact]
    public void Without_optaic_on_the_path_the_hook_says_how_to_skip_it()
    {
        using var repo = NewRepository();
        using var bin = new TempFolder("optaic-empty-bin");
        HookInstaller.Install(repo.Path);
        repo.Write("specs/alpha.yaml", "kind: ModelInstance\n");
        Git(repo.Path, bin.Path, bin.File("calls.log"), "add", "specs/alpha.yaml");

        var result = Git(repo.Path, bin.Path, bin.File("calls.log"), "commit", "-m", "x");

        result.Code.ShouldNotBe(0);
        result.Output.ShouldContain("'optaic' is not on PATH");
        result.Output.ShouldContain("--no-verify");
    }

    private static TempFolder NewRepository()
    {
        var folder = new TempFolder("optaic-hook");
        Repository.Init(folder.Path);
        folder.Write("README.md", "# repo\n");
        using var git = new Repository(folder.Path);
        Commands.Stage(git, "README.md");
        var me = new Signature("t", "t@example.com", DateTimeOffset.UnixEpoch);
        git.Commit("init", me, me);
        return folder;
    }

    /// <summary>Runs the real git CLI (which runs the hook) with PATH = the fake bin folder, then the system folders.</summary>
    private static (int Code, string Output) Git(string repo, string bin, string log, params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/git") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["PATH"] = $"{bin}:/usr/bin:/bin";
        info.Environment["OPTAIC_FAKE_LOG"] = log;
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "t";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "t@example.com";
        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }
    }
}
