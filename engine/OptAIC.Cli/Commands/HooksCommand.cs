using System.CommandLine;
using OptAIC.Cli.Help;
using OptAIC.Engine.Ci;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic hooks install`: lint specs before every commit, locally.</summary>
public static class HooksCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var force = new Option<bool>("--force") { Description = "Replace an existing pre-commit hook that optaic did not write (it is backed up first)." };
        var install = new Command("install", "Write a Git pre-commit hook that runs 'optaic lint' when a commit touches specs/.") { force };
        install.SetAction(result => CommandGuard.Run(() =>
        {
            try
            {
                var installed = HookInstaller.Install(RepositoryLocator.Find(result.GetValue(repoOption)), result.GetValue(force));
                System.Console.Out.WriteLine($"{installed.Status}: {installed.HookPath}" + (installed.BackupPath is { } backup ? $" (the previous hook is kept at {backup})" : ""));
                System.Console.Out.WriteLine("Skip it for one commit with 'git commit --no-verify'.");
                return ExitCodes.Ok;
            }
            catch (HookInstallException e)
            {
                System.Console.Error.WriteLine($"optaic: {e.Message}");
                return ExitCodes.UsageOrChanges;
            }
        }));
        Examples.For(install, "optaic hooks install", "optaic hooks install --force    # replace another pre-commit hook (kept as a backup)");
        return Examples.For(new Command("hooks", "Git hooks for local checks.") { install }, "optaic hooks install");
    }
}
