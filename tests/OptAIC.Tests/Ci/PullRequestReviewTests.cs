using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Ci;
using OptAIC.Engine.Plan;
using OptAIC.Tests.Apply;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

public class PullRequestReviewTests
{
    [Fact]
    public async Task A_branch_that_changes_one_hyperparameter_gets_a_comment_naming_that_instance_and_field()
    {
        using var repo = ExampleRepository.Create(["spx-alpha", "spx-linear"]);
        await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();
        var main = Head(repo);
        repo.Edit("specs/instances/spx-linear.yaml", "l2Regularization: 0.5", "l2Regularization: 0.1");
        Commit(repo, "lower the linear signal's regularisation");

        var review = PullRequestReview.Run(repo.Path, main, null);

        review.Clean.ShouldBeTrue();
        review.TouchedFiles.ShouldBe(["specs/instances/spx-linear.yaml"]);
        review.TouchedInstances.ShouldBe(["spx-linear"]);
        review.Comment.ShouldContain("! train spx-linear: hyperparameters.l2Regularization: 0.5 -> 0.1");
        review.Comment.ShouldNotContain("train spx-alpha");
        review.Comment.ShouldMatch(@"\| `spx-linear` \| (healthy|degraded) \| 1 \| 1 \| rank_ic 0\.\d{3} \|");
        review.Comment.ShouldStartWith($"{PullRequestReview.CommentMarker}\n## OptAIC: ✅ ready to merge");
    }

    [Fact]
    public void A_branch_with_a_lint_error_is_not_clean_and_the_comment_locates_it()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        var main = Head(repo);
        repo.Edit("specs/instances/spx-alpha.yaml", "learningRate: 0.05", "learningRate: 5");
        Commit(repo, "a typo");

        var review = PullRequestReview.Run(repo.Path, main, null);

        review.Clean.ShouldBeFalse();
        review.Plan.ShouldBeNull();
        review.Comment.ShouldStartWith($"{PullRequestReview.CommentMarker}\n## OptAIC: ❌ needs changes");
        review.Comment.ShouldContain("`specs/instances/spx-alpha.yaml:17:19` | `hyperparameters` | hyperparameters.learningRate: 5 is above the maximum 1");
        review.Comment.ShouldContain("Not planned: the specs have errors.");
    }

    [Fact]
    public void A_repository_template_replaces_the_comment()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        repo.Edit("specs/project.yaml", "  concurrency:", "  templates:\n    pullRequestComment: .github/optaic-comment.scriban\n  concurrency:");
        Directory.CreateDirectory(repo.File(".github"));
        File.WriteAllText(repo.File(".github/optaic-comment.scriban"), "Plan for {{ head }}: {{ plan.summary }}");
        var main = Head(repo);
        Commit(repo, "own comment");

        var review = PullRequestReview.Run(repo.Path, main, null);

        // The marker comes first even in a repository's own template: the plan workflow updates one comment by it.
        review.Comment.ShouldStartWith($"{PullRequestReview.CommentMarker}\nPlan for {Head(repo)[..7]}: Plan: 1 to train");
    }

    private static string Head(ExampleRepository repo)
    {
        using var git = new Repository(repo.Path);
        return git.Head.Tip.Sha;
    }

    private static void Commit(ExampleRepository repo, string message)
    {
        using var git = new Repository(repo.Path);
        Commands.Stage(git, "*");
        var me = new Signature("dev", "dev@example.com", DateTimeOffset.UtcNow);
        git.Commit(message, me, me);
    }
}
