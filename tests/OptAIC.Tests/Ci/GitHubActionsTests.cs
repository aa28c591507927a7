using OptAIC.Engine.Ci;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Yaml;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

public class GitHubActionsTests
{
    private static GitHubActions With(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return GitHubActions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Actions_is_detected_from_GITHUB_ACTIONS_only()
    {
        With(("GITHUB_ACTIONS", "true")).IsActions.ShouldBeTrue();
        With(("GITHUB_ACTIONS", "false")).IsActions.ShouldBeFalse();
        With().IsActions.ShouldBeFalse();
    }

    [Fact]
    public void Annotations_escape_like_the_actions_toolkit()
    {
        var line = GitHubActions.Annotation(AnnotationLevel.Error, "100% wrong\nsee: docs, here", "specs/a,b:c.yaml", 12, 3, "optaic rule: x");

        line.ShouldBe("::error file=specs/a%2Cb%3Ac.yaml,line=12,col=3,title=optaic rule%3A x::100%25 wrong%0Asee: docs, here");
        GitHubActions.Annotation(AnnotationLevel.Notice, "plain").ShouldBe("::notice::plain");
    }

    [Fact]
    public void A_finding_becomes_an_annotation_on_its_line_titled_with_its_rule()
    {
        var finding = Finding.Warning("pit-lookahead", "specs/features/f.yaml", new SourcePosition(7, 9), "feature 'x' reads lead(close, 1)");
        using var output = new StringWriter();

        GitHubActions.WriteAnnotations([finding], output);

        output.ToString().ShouldBe("::warning file=specs/features/f.yaml,line=7,col=9,title=optaic pit-lookahead::feature 'x' reads lead(close, 1)" + Environment.NewLine);
    }

    [Fact]
    public void The_job_summary_is_appended_to_the_file_GitHub_names()
    {
        using var folder = new TempFolder();
        var summary = folder.Write("summary.md", "## earlier step\n");
        var actions = With(("GITHUB_ACTIONS", "true"), ("GITHUB_STEP_SUMMARY", summary));

        actions.AppendSummary("## optaic plan\n~ retrain spx-alpha").ShouldBeTrue();

        File.ReadAllText(summary).ShouldBe("## earlier step\n## optaic plan\n~ retrain spx-alpha\n");
        With().AppendSummary("x").ShouldBeFalse();
    }

    [Fact]
    public void Pull_request_revisions_come_from_the_event_payload()
    {
        using var folder = new TempFolder();
        var payload = folder.Write("event.json", """
            {"action":"synchronize","number":17,
             "pull_request":{"number":17,"base":{"ref":"main","sha":"aaaa111"},"head":{"ref":"feature","sha":"bbbb222"}}}
            """);
        var actions = With(("GITHUB_EVENT_PATH", payload), ("GITHUB_BASE_REF", "main"), ("GITHUB_SHA", "merge333"));

        actions.PullRequest().ShouldBe(new PullRequestRevisions("aaaa111", "bbbb222", 17));
    }

    [Fact]
    public void Without_a_payload_the_base_branch_and_sha_are_used_and_a_push_is_no_pull_request()
    {
        With(("GITHUB_BASE_REF", "main"), ("GITHUB_HEAD_REF", "feature"), ("GITHUB_SHA", "merge333"))
            .PullRequest().ShouldBe(new PullRequestRevisions("origin/main", "merge333"));

        using var folder = new TempFolder();
        var push = folder.Write("event.json", """{"ref":"refs/heads/main","after":"cccc"}""");
        With(("GITHUB_EVENT_PATH", push), ("GITHUB_EVENT_NAME", "push")).PullRequest().ShouldBeNull();
    }

    [Fact]
    public void A_broken_payload_is_reported_with_its_path()
    {
        using var folder = new TempFolder();
        var broken = folder.Write("event.json", "{ not json");

        var error = Should.Throw<GitHubEventException>(() => With(("GITHUB_EVENT_PATH", broken)).PullRequest());

        error.Message.ShouldContain(broken);
        error.Message.ShouldContain("--base and --head");
    }

    [Fact]
    public void Run_id_and_event_kind_feed_the_bot()
    {
        var scheduled = With(("GITHUB_RUN_ID", "991"), ("GITHUB_RUN_ATTEMPT", "2"), ("GITHUB_EVENT_NAME", "schedule"));

        scheduled.RunId.ShouldBe("991-2");
        scheduled.IsScheduledOrManual.ShouldBeTrue();
        With(("GITHUB_EVENT_NAME", "push")).IsScheduledOrManual.ShouldBeFalse();
        With().RunId.ShouldBeNull();
    }
}
