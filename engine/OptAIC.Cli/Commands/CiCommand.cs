using System.CommandLine;
using OptAIC.Engine.Ci;
using OptAIC.Engine.Lint.Output;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic ci pr` and `optaic ci reconcile`: what the CI bot runs on pull requests and on the main branch.</summary>
public static class CiCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var ci = new Command("ci", "The CI bot: check a pull request; reconcile the main branch.");
        ci.Add(PullRequest(repoOption));
        return ci;
    }

    private static Command PullRequest(Option<string?> repoOption)
    {
        var baseRev = new Option<string>("--base") { Description = "The pull request's base (branch, tag or SHA).", Required = true };
        var headRev = new Option<string?>("--head") { Description = "The pull request's head (default: HEAD)." };
        var output = new Option<string?>("--out") { Description = "Write the Markdown comment to this file (default: standard output)." };
        var command = new Command("pr", "Lint what a pull request touches, plan its specs against the registry, and write the comment.")
        {
            baseRev, headRev, output,
        };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var root = RepositoryLocator.Find(result.GetValue(repoOption));
            var review = PullRequestReview.Run(root, result.GetValue(baseRev)!, result.GetValue(headRev));
            if (result.GetValue(output) is { } path)
            {
                File.WriteAllText(path, review.Comment);
            }
            else
            {
                System.Console.Out.Write(review.Comment);
            }
            if (Environment.GetEnvironmentVariable("GITHUB_ACTIONS") == "true")
            {
                // Annotations on the pull request's lines, and the comment as the job's summary.
                LintFormatter.Write(review.Lint, LintFormat.GitHub, result.GetValue(output) is null ? System.Console.Error : System.Console.Out, EngineInfo.Version);
                if (Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
                {
                    File.AppendAllText(summary, review.Comment + "\n");
                }
            }
            return review.Clean ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }
}
