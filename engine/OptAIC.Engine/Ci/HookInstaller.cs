using LibGit2Sharp;

namespace OptAIC.Engine.Ci;

public enum HookInstallStatus
{
    /// <summary>There was no pre-commit hook; ours is in place now.</summary>
    Installed,

    /// <summary>Ours was there already and was rewritten (same or newer script).</summary>
    Updated,

    /// <summary>Another hook was there; it was moved to <see cref="HookInstallResult.BackupPath"/> (with force).</summary>
    ReplacedForeign,
}

public sealed record HookInstallResult(HookInstallStatus Status, string HookPath, string? BackupPath = null);

/// <summary>The hook could not be installed (a foreign hook without force, not a Git repository).</summary>
public sealed class HookInstallException(string message) : Exception(message);

/// <summary>
/// `optaic hooks install`: a Git pre-commit hook that lints the specs when a commit touches them, so
/// that a broken spec fails on the author's machine in a second rather than in CI. The hook goes
/// where Git looks for it (core.hooksPath if set, else the common .git/hooks, also from a linked
/// worktree); a hook that is not ours is left alone unless forced, and then kept as a backup.
/// </summary>
public static class HookInstaller
{
    /// <summary>The line that marks a hook as ours (so reinstalling replaces it without force).</summary>
    public const string Marker = "# optaic pre-commit hook";

    public static HookInstallResult Install(string repositoryRoot, bool force = false, string command = "optaic", string specsFolder = "specs")
    {
        var folder = HooksFolder(repositoryRoot);
        Directory.CreateDirectory(folder);
        var hook = Path.Combine(folder, "pre-commit");
        var status = HookInstallStatus.Installed;
        string? backup = null;
        if (File.Exists(hook))
        {
            if (File.ReadAllText(hook).Contains(Marker, StringComparison.Ordinal))
            {
                status = HookInstallStatus.Updated;
            }
            else if (!force)
            {
                throw new HookInstallException(
                    $"{hook} exists and is not optaic's; run 'optaic hooks install --force' to replace it (it is kept as pre-commit.before-optaic), or call 'optaic lint' from it yourself");
            }
            else
            {
                backup = hook + ".before-optaic";
                File.Move(hook, backup, overwrite: true);
                status = HookInstallStatus.ReplacedForeign;
            }
        }
        // Written whole, then moved into place: Git never runs a half-written hook.
        var temporary = hook + ".optaic-tmp";
        File.WriteAllText(temporary, Script(command, specsFolder));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        File.Move(temporary, hook, overwrite: true);
        return new HookInstallResult(status, hook, backup);
    }

    /// <summary>Where Git runs hooks from for this repository.</summary>
    public static string HooksFolder(string repositoryRoot)
    {
        Repository repository;
        try
        {
            repository = new Repository(repositoryRoot);
        }
        catch (RepositoryNotFoundException)
        {
            throw new HookInstallException($"{repositoryRoot} is not a Git repository; run 'optaic hooks install' inside a clone");
        }
        using (repository)
        {
            var workTree = repository.Info.WorkingDirectory ?? repositoryRoot;
            if (repository.Config.Get<string>("core.hooksPath")?.Value is { Length: > 0 } configured)
            {
                // Relative hooksPath is relative to the top of the work tree, where hooks run.
                var expanded = configured.StartsWith("~/", StringComparison.Ordinal)
                    ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), configured[2..])
                    : configured;
                return Path.GetFullPath(expanded, workTree);
            }
            return Path.Combine(CommonGitFolder(repository.Info.Path), "hooks");
        }
    }

    /// <summary>
    /// The POSIX sh script. It runs only when the commit adds, changes, renames or deletes a spec
    /// file, and then lints all specs: a spec is checked against the others it references, so linting
    /// the staged files alone would report every reference to an unstaged one.
    /// </summary>
    public static string Script(string command = "optaic", string specsFolder = "specs") => $$"""
        #!/bin/sh
        {{Marker}} (written by 'optaic hooks install'; reinstalling replaces it).
        # When a commit touches a spec, lint the specs; findings stop the commit.
        # Skip it once with: git commit --no-verify
        staged=$(git diff --cached --name-only --diff-filter=ACMRD -- '{{specsFolder}}/*.yaml' '{{specsFolder}}/*.yml')
        if [ -z "$staged" ]; then
          exit 0
        fi
        if ! command -v {{command}} >/dev/null 2>&1; then
          echo "optaic pre-commit: '{{command}}' is not on PATH; install it, or skip this check with 'git commit --no-verify'" >&2
          exit 1
        fi
        echo "optaic pre-commit: linting specs (staged: $(echo "$staged" | wc -l | tr -d ' ') spec file(s))" >&2
        if ! {{command}} lint --format text {{specsFolder}}; then
          echo "" >&2
          echo "optaic pre-commit: fix the findings above, or commit anyway with 'git commit --no-verify'" >&2
          exit 1
        fi
        exit 0

        """;

    private static string CommonGitFolder(string gitFolder)
    {
        // A linked worktree's git folder names the shared one in 'commondir'; hooks live there.
        var commonFile = Path.Combine(gitFolder, "commondir");
        if (File.Exists(commonFile))
        {
            var common = File.ReadAllText(commonFile).Trim();
            return Path.GetFullPath(common, gitFolder);
        }
        return gitFolder;
    }
}
