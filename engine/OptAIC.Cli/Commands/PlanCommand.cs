using System.CommandLine;
using OptAIC.Cli.Console;
using OptAIC.Cli.Help;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Lint.Output;
using OptAIC.Engine.Plan;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic plan`: what apply would do, and why, down to the field.</summary>
public static class PlanCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var format = new Option<string>("--format", "-f") { Description = "text, markdown (a pull-request comment) or json (stable, versioned).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "markdown", "json");
        var output = new Option<string?>("--out") { Description = "Also save the plan as JSON, for 'optaic apply FILE' (refused if the registry moved since)." };
        var detailed = new Option<bool>("--detailed-exitcode") { Description = "Exit 0 when there is nothing to do, 2 when there are changes, 1 on error." };
        var command = new Command("plan", "Compare the specs and data with the registry: what would be trained, promoted, scored, monitored or archived, and why.")
        {
            format, output, detailed,
        };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var session = ReconcileSession.Open(RepositoryLocator.Find(result.GetValue(repoOption)));
            if (!ReportInvalidSpecs(session))
            {
                return ExitCodes.Failed;
            }
            var plan = session.Plan();
            var chosen = result.GetValue(format);
            System.Console.Out.Write(chosen switch
            {
                "json" => PlanFormatter.Json(plan) + "\n",
                "markdown" => PlanFormatter.Markdown(plan),
                _ => PlanFormatter.Text(plan, Terminal.ColorEnabled ? Colorize : null),
            });
            if (result.GetValue(output) is { } path)
            {
                File.WriteAllText(path, PlanFormatter.Json(plan));
            }
            return result.GetValue(detailed) && plan.HasChanges ? ExitCodes.UsageOrChanges : ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic plan                                   # what apply would do, and why",
            "optaic plan --detailed-exitcode               # exit 2 when there is work (for scripts)",
            "optaic plan --out plan.json && optaic apply plan.json");
    }

    /// <summary>Prints lint's findings when the specs have errors; false means stop.</summary>
    public static bool ReportInvalidSpecs(ReconcileSession session)
    {
        if (session.Lint.Errors == 0)
        {
            return true;
        }
        LintFormatter.WriteText(session.Lint, System.Console.Error);
        System.Console.Error.WriteLine("optaic: the specs have errors; fix them (see above) before planning.");
        return false;
    }

    public static string Colorize(string line) => line.TrimStart()[0] switch
    {
        '+' => Terminal.Green(line),
        '-' => Terminal.Red(line),
        _ => Terminal.Yellow(line),
    };
}
