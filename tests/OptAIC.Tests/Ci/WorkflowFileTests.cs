using System.Text.Json;
using System.Text.RegularExpressions;
using OptAIC.Engine.Ci;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace OptAIC.Tests.Ci;

/// <summary>The engine's workflow, the templates for model repositories and the pre-commit hook file are well-formed GitHub Actions / pre-commit YAML.</summary>
public class WorkflowFileTests
{
    private static string GitHubFolder => Path.Combine(TestPaths.RepositoryRoot, ".github");

    public static TheoryData<string> WorkflowFiles() => [.. WorkflowPaths()];

    private static List<string> WorkflowPaths() =>
        [.. new[] { "workflows", "workflow-templates" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(GitHubFolder, folder), "*.yml"))
            .Select(file => Path.GetRelativePath(GitHubFolder, file).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void The_expected_workflows_exist()
    {
        WorkflowPaths().ShouldBe([
            "workflows/ci.yml",
            "workflows/release.yml",
            "workflow-templates/optaic-nightly.yml",
            "workflow-templates/optaic-plan.yml",
            "workflow-templates/optaic-reconcile.yml",
        ], ignoreOrder: true);
    }

    [Theory]
    [MemberData(nameof(WorkflowFiles))]
    public void Each_workflow_has_triggers_and_jobs_whose_steps_use_or_run(string relative)
    {
        var root = Load(Path.Combine(GitHubFolder, relative));

        root.Children.ShouldContainKey(new YamlScalarNode("name"));
        var on = root.Children[new YamlScalarNode("on")];
        (on is YamlMappingNode or YamlSequenceNode or YamlScalarNode).ShouldBeTrue();
        var jobs = (YamlMappingNode)root.Children[new YamlScalarNode("jobs")];
        jobs.Children.ShouldNotBeEmpty();
        foreach (var (jobName, jobNode) in jobs.Children)
        {
            var job = (YamlMappingNode)jobNode;
            job.Children.ShouldContainKey(new YamlScalarNode("runs-on"), $"{relative}: job {jobName}");
            var steps = (YamlSequenceNode)job.Children[new YamlScalarNode("steps")];
            steps.Children.ShouldNotBeEmpty();
            foreach (var stepNode in steps.Children)
            {
                var step = (YamlMappingNode)stepNode;
                var uses = step.Children.ContainsKey(new YamlScalarNode("uses"));
                var run = step.Children.ContainsKey(new YamlScalarNode("run"));
                (uses ^ run).ShouldBeTrue($"{relative}: job {jobName}: a step has exactly one of 'uses' and 'run'");
                if (uses)
                {
                    // Actions are pinned to a version, never a moving branch.
                    ((YamlScalarNode)step.Children[new YamlScalarNode("uses")]).Value!.ShouldMatch(@"^[\w.-]+/[\w.-]+(/[\w.-]+)*@v\d+$");
                }
            }
        }
        // Every expression is closed.
        var text = File.ReadAllText(Path.Combine(GitHubFolder, relative));
        Regex.Count(text, @"\$\{\{").ShouldBe(Regex.Count(text, @"\}\}"), relative);
    }

    [Fact]
    public void The_engines_ci_runs_the_ci_script_with_dotnet_10()
    {
        var text = File.ReadAllText(Path.Combine(GitHubFolder, "workflows", "ci.yml"));

        text.ShouldContain("uses: actions/setup-dotnet@v4");
        text.ShouldContain("dotnet-version: 10.0.x");
        text.ShouldContain("run: bash .ci/run");
    }

    [Fact]
    public void The_ci_script_packs_installs_and_inits_before_it_ends_with_the_readmes_test_command()
    {
        var run = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, ".ci", "run")).TrimEnd();
        var steps = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, ".ci", "pack-and-init"));
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));

        run.ShouldEndWith("dotnet test OptAIC.sln -c Release");
        readme.ShouldContain("dotnet test OptAIC.sln -c Release ");
        run.ShouldContain("bash .ci/pack-and-init");
        // The Dockerfile's steps are the scripts CI runs, so CI tests them.
        var dockerfile = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "engine", "Dockerfile"));
        foreach (var script in new[] { "engine/docker/pack.sh", "engine/docker/install.sh" })
        {
            steps.ShouldContain($"bash {script}");
            dockerfile.ShouldContain($"bash {script}");
        }
        foreach (var command in new[] { "init demo", "apply", "plan --detailed-exitcode" })
        {
            steps.ShouldContain($"\"$optaic\" {command}");
        }
    }

    [Fact]
    public void The_release_workflow_packs_and_publishes_the_tool_and_the_image_on_a_version_tag()
    {
        var root = Load(Path.Combine(GitHubFolder, "workflows", "release.yml"));
        var text = File.ReadAllText(Path.Combine(GitHubFolder, "workflows", "release.yml"));

        var tags = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)root.Children[new YamlScalarNode("on")]).Children[new YamlScalarNode("push")]).Children[new YamlScalarNode("tags")];
        ((YamlScalarNode)tags.Children[0]).Value.ShouldBe("v*.*.*");
        text.ShouldContain("bash engine/docker/pack.sh");
        text.ShouldContain("dotnet nuget push");
        text.ShouldContain("uses: docker/build-push-action@v6");
        text.ShouldContain("file: engine/Dockerfile");
    }

    [Fact]
    public void The_plan_template_runs_ci_pr_on_pull_requests_and_may_comment()
    {
        var root = Load(Path.Combine(GitHubFolder, "workflow-templates", "optaic-plan.yml"));
        var text = File.ReadAllText(Path.Combine(GitHubFolder, "workflow-templates", "optaic-plan.yml"));

        ((YamlMappingNode)root.Children[new YamlScalarNode("on")]).Children.ShouldContainKey(new YamlScalarNode("pull_request"));
        Scalar(root, "permissions", "pull-requests").ShouldBe("write");
        Scalar(root, "permissions", "contents").ShouldBe("read");
        text.ShouldContain("optaic ci pr");
        text.ShouldContain("--base \"${{ github.event.pull_request.base.sha }}\"");
        text.ShouldContain("--head \"${{ github.event.pull_request.head.sha }}\"");
        text.ShouldContain("--out comment.md");
        // The marker the comment step looks for is the one the engine writes.
        text.ShouldContain($"const marker = '{PullRequestReview.CommentMarker}';");
        text.ShouldContain("OPTAIC_VERSION:");
        text.ShouldContain("uses: github/codeql-action/upload-sarif@v3");
        text.ShouldContain("optaic lint --format sarif > optaic-lint.sarif");
        Scalar(root, "permissions", "security-events").ShouldBe("write");
    }

    [Fact]
    public void The_reconcile_templates_share_one_concurrency_group_and_skip_the_bots_commits()
    {
        var push = Load(Path.Combine(GitHubFolder, "workflow-templates", "optaic-reconcile.yml"));
        var nightly = Load(Path.Combine(GitHubFolder, "workflow-templates", "optaic-nightly.yml"));

        foreach (var root in new[] { push, nightly })
        {
            Scalar(root, "concurrency", "group").ShouldBe("optaic-reconcile");
            Scalar(root, "concurrency", "cancel-in-progress").ShouldBe("false");
            Scalar(root, "permissions", "contents").ShouldBe("write");
        }
        var pushOn = (YamlMappingNode)push.Children[new YamlScalarNode("on")];
        ((YamlSequenceNode)((YamlMappingNode)pushOn.Children[new YamlScalarNode("push")]).Children[new YamlScalarNode("branches")]).Children
            .Select(n => ((YamlScalarNode)n).Value).ShouldBe(["main"]);
        var job = (YamlMappingNode)((YamlMappingNode)push.Children[new YamlScalarNode("jobs")]).Children[new YamlScalarNode("reconcile")];
        ((YamlScalarNode)job.Children[new YamlScalarNode("if")]).Value!.ShouldContain($"'{ReconcileBot.TrailerKey}:'");

        var nightlyOn = (YamlMappingNode)nightly.Children[new YamlScalarNode("on")];
        nightlyOn.Children.ShouldContainKey(new YamlScalarNode("workflow_dispatch"));
        var cron = ((YamlScalarNode)((YamlMappingNode)((YamlSequenceNode)nightlyOn.Children[new YamlScalarNode("schedule")]).Children[0]).Children[new YamlScalarNode("cron")]).Value!;
        Cronos.CronExpression.Parse(cron).ShouldNotBeNull();
        foreach (var name in new[] { "optaic-reconcile.yml", "optaic-nightly.yml" })
        {
            File.ReadAllText(Path.Combine(GitHubFolder, "workflow-templates", name)).ShouldContain("optaic ci reconcile");
        }
    }

    [Fact]
    public void Each_template_has_a_setup_header_and_a_properties_file()
    {
        foreach (var template in Directory.EnumerateFiles(Path.Combine(GitHubFolder, "workflow-templates"), "*.yml"))
        {
            File.ReadAllText(template).ShouldStartWith("# ");
            File.ReadAllText(template).ShouldContain("Setup (copy this file to .github/workflows/");
            var properties = Path.ChangeExtension(template, ".properties.json");
            using var json = JsonDocument.Parse(File.ReadAllText(properties));
            json.RootElement.GetProperty("name").GetString().ShouldBe(Path.GetFileNameWithoutExtension(template).Replace('-', ' '));
            json.RootElement.GetProperty("description").GetString().ShouldNotBeNullOrWhiteSpace();
        }
    }

    [Fact]
    public void The_pre_commit_hook_file_declares_optaic_lint_for_spec_files()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(TestPaths.RepositoryRoot, ".pre-commit-hooks.yaml")))
        {
            stream.Load(reader);
        }
        var hooks = (YamlSequenceNode)stream.Documents[0].RootNode;
        var hook = (YamlMappingNode)hooks.Children.ShouldHaveSingleItem();
        string Field(string key) => ((YamlScalarNode)hook.Children[new YamlScalarNode(key)]).Value!;

        Field("id").ShouldBe("optaic-lint");
        Field("language").ShouldBe("system");
        Field("entry").ShouldStartWith("optaic lint");
        Field("pass_filenames").ShouldBe("false");
        var files = new Regex(Field("files"));
        files.IsMatch("specs/instances/spx-alpha.yaml").ShouldBeTrue();
        files.IsMatch("specs/project.yml").ShouldBeTrue();
        files.IsMatch("models/spx-alpha/versions/0001.yaml").ShouldBeFalse();
        files.IsMatch("specs/data/README.md").ShouldBeFalse();
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.ShouldHaveSingleItem().RootNode;
    }

    private static string? Scalar(YamlMappingNode root, string section, string key) =>
        ((YamlScalarNode)((YamlMappingNode)root.Children[new YamlScalarNode(section)]).Children[new YamlScalarNode(key)]).Value;
}
