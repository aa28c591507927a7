using System.CommandLine;
using OptAIC.Cli.Help;
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
        ci.Add(Reconcile(repoOption));
        return Examples.For(ci,
            "optaic ci pr --base origin/main --out comment.md",
            "optaic ci reconcile --remote origin --branch main");
    }

    private static Command Reconcile(Option<string?> repoOption)
    {
        var remote = new Option<string>("--remote") { Description = "The remote to push to.", DefaultValueFactory = _ => "origin" };
        var branch = new Option<string>("--branch") { Description = "The branch to reconcile.", DefaultValueFactory = _ => "main" };
        var scheduled = new Option<bool>("--scheduled") { Description = "A scheduled run (nightly): reconcile even when the last commit is the bot's own, and on top of newer commits." };
        var maxRetries = new Option<int>("--max-retries") { Description = "Fetch, re-plan and push again this many times after a rejected push.", DefaultValueFactory = _ => 3 };
        var lockWait = new Option<int>("--lock-wait") { Description = "Seconds to wait for another bot's lock on the remote.", DefaultValueFactory = _ => 1200 };
        var lease = new Option<int>("--lease") { Description = "Seconds the lock on the remote stays ours without renewal (renewed every third of it while apply runs); a crashed bot blocks others this long at most.", DefaultValueFactory = _ => 900 };
        var insecure = new Option<bool>("--allow-insecure-http") { Description = "Send the token (OPTAIC_GIT_TOKEN, GITHUB_TOKEN) to a plain http:// remote; refused by default." };
        var command = new Command("reconcile", "On the main branch: apply, commit as the bot, push; retry on a moved remote; one bot at a time (a lease on the remote).")
        {
            remote, branch, scheduled, maxRetries, lockWait, lease, insecure,
        };
        command.SetAction((result, ct) => CommandGuard.RunAsync(() =>
        {
            if (result.GetValue(lease) < 10)
            {
                throw new UsageException($"--lease {result.GetValue(lease)}: a lease shorter than 10 seconds would expire between its renewals; give seconds, e.g. --lease 900");
            }
            var root = RepositoryLocator.Find(result.GetValue(repoOption));
            var session = OptAIC.Engine.Plan.ReconcileSession.Open(root);
            if (!PlanCommand.ReportInvalidSpecs(session))
            {
                return Task.FromResult(ExitCodes.Failed);
            }
            var (name, email, prefix) = OptAIC.Engine.Plan.SpecBindings.CommitIdentity(session.Specs);
            // A GitHub scheduled or manual run is a scheduled reconcile even without the flag.
            var github = GitHubActions.FromEnvironment();
            var isScheduled = result.GetValue(scheduled) || github.IsScheduledOrManual;
            var options = new ReconcileBotOptions
            {
                RepositoryRoot = root,
                Remote = result.GetValue(remote)!,
                Branch = result.GetValue(branch)!,
                StartedFor = github.Sha,
                RunId = github.RunId is { } id ? $"gh-{id}" : Guid.NewGuid().ToString("N")[..12],
                Identity = new BotIdentity(name, email),
                MessagePrefix = prefix,
                SkipWhenHeadIsBotCommit = !isScheduled,
                ContinueWhenSuperseded = isScheduled,
                MaxRetries = result.GetValue(maxRetries),
                LockWait = TimeSpan.FromSeconds(result.GetValue(lockWait)),
                LeaseDuration = TimeSpan.FromSeconds(result.GetValue(lease)),
                AllowInsecureHttp = result.GetValue(insecure),
                Log = line => System.Console.Out.WriteLine(line),
            };
            var outcome = ReconcileBot.Run(options, new EngineReconciler(new OptAIC.Engine.Apply.ApplyOptions { Actor = options.Identity.Name }), ct);
            System.Console.Out.WriteLine($"{outcome.Status}: {outcome.Summary}");
            return Task.FromResult(outcome.Succeeded ? ExitCodes.Ok : ExitCodes.Failed);
        }));
        return Examples.For(command,
            "optaic ci reconcile                            # after a merge to main: apply, commit as the bot, push",
            "optaic ci reconcile --scheduled                # the nightly run: due retraining and monitoring");
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
            var github = GitHubActions.FromEnvironment();
            if (github.IsActions)
            {
                // Annotations on the pull request's lines, and the comment as the job's summary.
                LintFormatter.Write(review.Lint, LintFormat.GitHub, result.GetValue(output) is null ? System.Console.Error : System.Console.Out, EngineInfo.Version);
                github.AppendSummary(review.Comment);
            }
            return review.Clean ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return Examples.For(command,
            "optaic ci pr --base origin/main                # the comment on standard output",
            "optaic ci pr --base \"$BASE_SHA\" --head \"$HEAD_SHA\" --out comment.md");
    }
}
