using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Ci;
using OptAIC.Engine.Plan;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

/// <summary>The pull-request flow with the real engine: a bare "remote", a developer's clone and the bot's clone.</summary>
public class ReconcileEndToEndTests
{
    [Fact]
    public void A_merged_hyperparameter_change_is_reconciled_by_one_bot_commit_that_plans_nothing_afterwards()
    {
        using var example = ExampleRepository.Create(["spx-alpha", "spx-linear"]);
        using var folder = new TempFolder("optaic-remote");
        var bare = folder.File("remote.git");
        Repository.Clone(example.Path, bare, new CloneOptions { IsBare = true });
        var bot = Clone(bare, folder.File("bot"));
        var developer = Clone(bare, folder.File("dev"));

        // First reconcile of the main branch: every instance gets version 1.
        var first = ReconcileBot.Run(Options(bot), new EngineReconciler());
        first.Status.ShouldBe(BotStatus.Pushed, string.Join("\n", first.Messages));

        // A developer lowers one hyperparameter; the pull request's comment names exactly that.
        Pull(developer);
        var main = Head(developer);
        Edit(developer, "specs/instances/spx-linear.yaml", "l2Regularization: 0.5", "l2Regularization: 0.1");
        CommitAndPush(developer, "lower the linear signal's regularisation");
        PullRequestReview.Run(developer, main, null).Comment.ShouldContain("! train spx-linear: hyperparameters.l2Regularization: 0.5 -> 0.1");

        // After the merge the bot reconciles: one commit, version 2 of spx-linear only.
        Pull(bot);
        var second = ReconcileBot.Run(Options(bot), new EngineReconciler());

        second.Status.ShouldBe(BotStatus.Pushed, string.Join("\n", second.Messages));
        var fresh = Clone(bare, folder.File("fresh"));
        using (var git = new Repository(fresh))
        {
            var head = git.Head.Tip;
            head.Sha.ShouldBe(second.PushedCommit);
            head.Author.Name.ShouldBe("optaic-bot");
            ReconcileBot.HasTrailer(head.Message).ShouldBeTrue();
            head.Parents.Single().Message.ShouldStartWith("lower the linear signal's regularisation");
        }
        var session = ReconcileSession.Open(fresh);
        session.Registry.GetVersionNumbers("spx-linear").ShouldBe([1, 2]);
        session.Registry.GetVersionNumbers("spx-alpha").ShouldBe([1]);
        session.Plan().Actions.ShouldBeEmpty();

        // The bot's own commit never triggers another reconcile.
        ReconcileBot.Run(Options(fresh), new EngineReconciler()).Status.ShouldBe(BotStatus.OwnCommit);
    }

    private static ReconcileBotOptions Options(string clone) => new()
    {
        RepositoryRoot = clone,
        Branch = "master",
        LockWait = TimeSpan.FromSeconds(30),
        LockPoll = TimeSpan.FromMilliseconds(200),
        RetryBackoff = TimeSpan.FromMilliseconds(50),
    };

    private static string Clone(string bare, string path)
    {
        Repository.Clone(bare, path);
        return path;
    }

    private static string Head(string clone)
    {
        using var git = new Repository(clone);
        return git.Head.Tip.Sha;
    }

    private static void Pull(string clone)
    {
        using var git = new Repository(clone);
        Commands.Fetch(git, "origin", [], null, null);
        var remoteHead = git.Branches[$"origin/{git.Head.FriendlyName}"].Tip;
        git.Reset(ResetMode.Hard, remoteHead);
    }

    private static void Edit(string clone, string relative, string from, string to)
    {
        var path = Path.Combine(clone, relative);
        File.WriteAllText(path, File.ReadAllText(path).Replace(from, to, StringComparison.Ordinal));
    }

    private static void CommitAndPush(string clone, string message)
    {
        using var git = new Repository(clone);
        Commands.Stage(git, "*");
        var me = new Signature("dev", "dev@example.com", DateTimeOffset.UtcNow);
        git.Commit(message, me, me);
        git.Network.Push(git.Head);
    }
}
