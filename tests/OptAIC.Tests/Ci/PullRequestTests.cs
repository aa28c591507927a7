using LibGit2Sharp;
using OptAIC.Engine.Ci;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

/// <summary>Lint of a pull request over the example repository, and the comment rendered from it.</summary>
public sealed class PullRequestTests : IDisposable
{
    private static readonly Signature Me = new("t", "t@example.com", DateTimeOffset.UnixEpoch);
    private readonly TempFolder _repo = new("optaic-pr");
    private readonly string _base;
    private readonly string _head;

    public PullRequestTests()
    {
        // main: the example specs, plus an instance with an error the pull request has nothing to do with.
        _repo.CopyFrom(TestPaths.ExampleSpecs, "specs");
        var alpha = File.ReadAllText(_repo.File("specs/instances/spx-alpha.yaml"));
        _repo.Write("specs/instances/spx-orphan.yaml", alpha.Replace("name: spx-alpha", "name: spx-orphan").Replace("definition: gbm-signal", "definition: no-such-definition"));
        Repository.Init(_repo.Path);
        using var git = new Repository(_repo.Path);
        Commands.Stage(git, "*");
        _base = git.Commit("example", Me, Me).Sha;
        // The pull request removes spx-linear, which the ensemble and both pipelines still use.
        git.Branches.Add("remove-linear", _base);
        Commands.Checkout(git, "remove-linear");
        File.Delete(_repo.File("specs/instances/spx-linear.yaml"));
        Commands.Stage(git, "*");
        _head = git.Commit("remove spx-linear", Me, Me).Sha;
    }

    [Fact]
    public void Findings_in_what_depends_on_a_removed_spec_count_and_older_ones_elsewhere_do_not()
    {
        var changes = ChangedSpecs.Between(_repo.Path, _base, _head);

        var report = PullRequestLint.Run(_repo.Path, changes);

        changes.Changes.ShouldBe([new SpecChange("specs/instances/spx-linear.yaml", SpecChangeKind.Deleted)]);
        report.DependentFiles.ShouldBe([
            "specs/instances/spx-ensemble.yaml",
            "specs/instances/spx-filtered.yaml",
            "specs/pipelines/daily-inference.yaml",
            "specs/pipelines/daily-monitoring.yaml",
        ]);
        report.Findings.ShouldAllBe(f => f.RuleId == "unresolved-reference" && f.Message.Contains("'spx-linear'"));
        report.Findings.Select(f => f.File).Distinct().Order(StringComparer.Ordinal).ShouldBe([
            "specs/instances/spx-ensemble.yaml",
            "specs/pipelines/daily-inference.yaml",
            "specs/pipelines/daily-monitoring.yaml",
        ]);
        report.Errors.ShouldBe(report.Findings.Count);
        var old = report.Elsewhere.ShouldHaveSingleItem();
        old.File.ShouldBe("specs/instances/spx-orphan.yaml");
        old.Message.ShouldContain("no-such-definition");
    }

    [Fact]
    public void A_pull_request_that_changes_no_spec_has_nothing_in_scope()
    {
        var report = PullRequestLint.Run(_repo.Path, ChangedSpecs.Between(_repo.Path, _base, _base));

        report.Findings.ShouldBeEmpty();
        report.Elsewhere.ShouldHaveSingleItem().File.ShouldBe("specs/instances/spx-orphan.yaml");
    }

    [Fact]
    public void The_comment_shows_findings_plan_and_health_and_starts_with_the_marker()
    {
        var model = new PullRequestCommentModel
        {
            Lint = PullRequestLint.Run(_repo.Path, ChangedSpecs.Between(_repo.Path, _base, _head)),
            Plan =
            [
                new CommentAction('-', "archive", "spx-linear", ["instance removed from specs"]),
                new CommentAction('~', "reinfer", "spx-ensemble", ["input spx-linear changes"]),
            ],
            Health = [new InstanceHealth("spx-linear", "drift | alert", "v3", "production", [new HealthMetric("rank_ic", "0.041")], "vol_20d\nPSI 0.31")],
            EngineVersion = "0.1.0",
            RunUrl = "https://github.com/o/r/actions/runs/1",
        };

        var markdown = PullRequestComment.Render(model);

        markdown.ShouldStartWith(PullRequestComment.Marker + "\n### optaic: ❌ not clean at `" + _head[..7] + "`\n");
        markdown.ShouldContain("**Specs changed (1):** `specs/instances/spx-linear.yaml` (deleted)");
        markdown.ShouldContain("**Depending on them (4):** `specs/instances/spx-ensemble.yaml`, ");
        markdown.ShouldContain("| ❌ | `specs/instances/spx-ensemble.yaml:");
        markdown.ShouldContain("_1 finding(s) (1 error(s)) in other specs, there before this pull request._");
        markdown.ShouldContain("```diff\n- archive spx-linear\n    instance removed from specs\n~ reinfer spx-ensemble\n    input spx-linear changes\n```");
        markdown.ShouldContain("| `spx-linear` | v3 | production | drift \\| alert: vol_20d<br>PSI 0.31 | rank_ic 0.041 |");
        markdown.ShouldContain("[run](https://github.com/o/r/actions/runs/1)");
        markdown.ShouldNotContain("\n\n\n");
        markdown.ShouldEndWith("</sub>\n");
        model.IsClean.ShouldBeFalse();
    }

    [Fact]
    public void A_clean_pull_request_says_so_and_that_nothing_changes()
    {
        var model = new PullRequestCommentModel { Lint = PullRequestLint.Run(_repo.Path, ChangedSpecs.Between(_repo.Path, _base, _base)) };

        var markdown = PullRequestComment.Render(model);

        model.IsClean.ShouldBeTrue();
        markdown.ShouldContain("✅ clean");
        markdown.ShouldContain("This pull request changes no spec.");
        markdown.ShouldContain("No findings in the changed specs and what depends on them.");
        markdown.ShouldContain("No changes: the registry already matches these specs.");
        markdown.ShouldNotContain("Instances touched");
    }

    [Fact]
    public void A_failed_plan_makes_the_pull_request_not_clean()
    {
        var model = new PullRequestCommentModel
        {
            Lint = PullRequestLint.Run(_repo.Path, ChangedSpecs.Between(_repo.Path, _base, _base)),
            PlanError = "dataset spx-daily: specs/data/sp500-2000.csv does not exist",
        };

        model.IsClean.ShouldBeFalse();
        PullRequestComment.Render(model).ShouldContain("Planning failed: dataset spx-daily: specs/data/sp500-2000.csv does not exist");
    }

    [Fact]
    public void A_repository_template_named_in_the_project_spec_replaces_the_built_in_one()
    {
        _repo.Write(".optaic/pr.scriban", "Lint: {{ lint.errors }} errors; plan: {{ plan.actions.size }} actions\n");
        var project = new ProjectSpec { Templates = new TemplatesSpec { PullRequestComment = ".optaic/pr.scriban" } };
        var template = PullRequestComment.LoadTemplate(_repo.Path, project);
        var model = new PullRequestCommentModel
        {
            Lint = PullRequestLint.Run(_repo.Path, ChangedSpecs.Between(_repo.Path, _base, _head)),
            Plan = [new CommentAction('-', "archive", "spx-linear", [])],
        };

        var markdown = PullRequestComment.Render(model, template, ".optaic/pr.scriban");

        markdown.ShouldBe($"{PullRequestComment.Marker}\nLint: 3 errors; plan: 1 actions\n");
        PullRequestComment.LoadTemplate(_repo.Path, new ProjectSpec()).ShouldBeNull();
        Should.Throw<CommentTemplateException>(() => PullRequestComment.LoadTemplate(_repo.Path, new ProjectSpec { Templates = new TemplatesSpec { PullRequestComment = "missing.scriban" } }))
            .Message.ShouldContain("missing.scriban");
    }

    [Fact]
    public void A_broken_template_is_reported_with_file_line_and_column()
    {
        var model = new PullRequestCommentModel { Lint = PullRequestLint.Run(_repo.Path, ChangedSpecs.Between(_repo.Path, _base, _base)) };

        var parse = Should.Throw<CommentTemplateException>(() => PullRequestComment.Render(model, "ok\n{{ for x in }}", "pr.scriban"));
        var unknown = Should.Throw<CommentTemplateException>(() => PullRequestComment.Render(model, "line one\n{{ lint.nope.deeper }}", "pr.scriban"));

        parse.Message.ShouldStartWith("pr.scriban does not parse: pr.scriban:2:");
        unknown.Message.ShouldStartWith("pr.scriban failed at pr.scriban:2:");
    }

    public void Dispose() => _repo.Dispose();
}
