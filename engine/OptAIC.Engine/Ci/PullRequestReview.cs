using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;
using Scriban;
using Scriban.Runtime;

namespace OptAIC.Engine.Ci;

/// <summary>What `optaic ci pr` found: lint of the head, the plan of the head against the registry, the comment.</summary>
public sealed record PullRequestReviewResult(
    LintReport Lint,
    ActionPlan? Plan,
    IReadOnlyList<string> TouchedFiles,
    IReadOnlyList<string> TouchedInstances,
    string Comment)
{
    /// <summary>Clean: no lint error anywhere in the head's specs (a plan with changes is the point of a pull request, not a problem).</summary>
    public bool Clean => Lint.Errors == 0;
}

/// <summary>
/// The pull-request check: lints the head commit's specs (read from Git, no checkout needed), marks the
/// findings in files the pull request touches, plans the head's specs against the registry of the
/// working tree (the base's), and renders the comment from a Scriban template.
/// </summary>
public static class PullRequestReview
{
    public const string DefaultTemplateName = "pull-request-comment.scriban";

    /// <summary>
    /// The first line of every comment (a repository's own template included): the plan workflow finds
    /// its earlier comment by it and updates that one instead of adding another.
    /// </summary>
    public const string CommentMarker = "<!-- optaic-plan -->";

    public static PullRequestReviewResult Run(string repositoryRoot, string baseRevision, string? headRevision, DateTimeOffset? now = null)
    {
        var root = Path.GetFullPath(repositoryRoot);
        string headSha;
        string baseSha;
        List<string> touched;
        using (var git = new LibGit2Sharp.Repository(root))
        {
            var head = Resolve(git, headRevision ?? "HEAD");
            var @base = Resolve(git, baseRevision);
            headSha = head.Sha;
            baseSha = @base.Sha;
            var mergeBase = git.ObjectDatabase.FindMergeBase(@base, head) ?? @base;
            touched = [.. git.Diff.Compare<TreeChanges>(mergeBase.Tree, head.Tree)
                .Select(c => c.Path.Replace('\\', '/'))
                .Where(p => p.StartsWith("specs/", StringComparison.Ordinal) && SpecPaths.IsYaml(p))
                .Order(StringComparer.Ordinal)];
        }

        using var source = new GitRevisionSpecSource(root, headSha, ["specs"]);
        var session = ReconcileSession.Open(root, source);
        var plan = session.Lint.Errors == 0 ? Planner.Plan(session.Specs, session.Snapshot(), session.PlanningContext(now)) : null;
        var instances = TouchedInstances(session.Specs, touched, plan);
        var comment = Render(session, plan, touched, instances, headSha, baseSha);
        return new PullRequestReviewResult(session.Lint, plan, touched, instances, comment);
    }

    private static Commit Resolve(LibGit2Sharp.Repository git, string revision) =>
        git.Lookup<Commit>(revision) ?? throw new SpecSourceException($"'{revision}' is not a commit of this repository (try a branch, tag or SHA that 'git log' shows)");

    /// <summary>Instances whose own spec changed, that read a changed definition, feature set or dataset, or that the plan changes.</summary>
    private static List<string> TouchedInstances(SpecSet specs, List<string> touched, ActionPlan? plan)
    {
        var files = touched.ToHashSet(StringComparer.Ordinal);
        var changedDefinitions = specs.Definitions.Values.Where(d => files.Contains(d.Document.File)).Select(d => d.Name).ToHashSet();
        var changedDatasets = specs.Datasets.Values.Where(d => files.Contains(d.Document.File)).Select(d => d.Name).ToHashSet();
        var changedSets = specs.FeatureSets.Values
            .Where(f => files.Contains(f.Document.File) || changedDatasets.Contains(f.Value.Source) || f.Value.Join.Any(j => changedDatasets.Contains(j.Dataset)))
            .Select(f => f.Name).ToHashSet();
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var instance in specs.Instances.Values)
        {
            if (files.Contains(instance.Document.File) || changedDefinitions.Contains(instance.Value.Definition)
                || (instance.Value.Features is { } selection && changedSets.Contains(selection.FeatureSet)))
            {
                result.Add(instance.Name);
            }
        }
        foreach (var action in plan?.Actions ?? [])
        {
            result.Add(action.Instance);
        }
        return [.. result];
    }

    private static string Render(ReconcileSession session, ActionPlan? plan, List<string> touched, List<string> instances, string head, string @base)
    {
        var files = touched.ToHashSet(StringComparer.Ordinal);
        var model = new ScriptObject
        {
            ["head"] = head[..7],
            ["base"] = @base[..7],
            ["clean"] = session.Lint.Errors == 0,
            ["touched_files"] = touched,
            ["lint"] = new ScriptObject
            {
                ["errors"] = session.Lint.Errors,
                ["warnings"] = session.Lint.Warnings,
                ["findings"] = session.Lint.Findings.Select(f => new ScriptObject
                {
                    ["file"] = f.File,
                    ["line"] = f.Position.Line,
                    ["column"] = f.Position.Column,
                    ["severity"] = f.Severity == Severity.Error ? "error" : "warning",
                    ["rule"] = f.RuleId,
                    ["message"] = f.Message.Replace("|", "\\|", StringComparison.Ordinal),
                    ["in_pull_request"] = files.Contains(f.File),
                }).ToList(),
            },
            ["plan"] = plan is null ? null : new ScriptObject
            {
                ["has_changes"] = plan.HasChanges,
                ["summary"] = PlanFormatter.Summary(plan),
                ["actions"] = plan.Actions.Select(a => new ScriptObject
                {
                    ["change"] = a.Change.ToString(),
                    ["verb"] = PlanFormatter.Verb(a.Kind),
                    ["instance"] = a.Instance,
                    ["reasons"] = a.Reasons.ToList(),
                }).ToList(),
                ["notes"] = plan.Notes.ToList(),
            },
            ["instances"] = instances.Select(name => InstanceRow(session, name)).ToList(),
        };
        var (text, templateName) = LoadTemplate(session);
        var template = Template.Parse(text, templateName);
        if (template.HasErrors)
        {
            throw new SpecSourceException($"{templateName}: {string.Join("; ", template.Messages.Select(m => m.ToString()))}");
        }
        var context = new TemplateContext { MemberRenamer = member => member.Name };
        context.PushGlobal(model);
        var rendered = template.Render(context);
        return rendered.Contains(CommentMarker, StringComparison.Ordinal) ? rendered : CommentMarker + "\n" + rendered;
    }

    private static ScriptObject InstanceRow(ReconcileSession session, string name)
    {
        var overview = InstanceOverview.Read(session, name);
        var alerts = overview.Alerts;
        return new ScriptObject
        {
            ["name"] = name,
            ["health"] = overview.Registered ? overview.Health.ToLowerInvariant() : "new",
            ["production"] = overview.Production,
            ["latest"] = overview.Latest,
            ["metric"] = overview.Metric,
            ["value"] = overview.MetricValue,
            ["alerts"] = alerts.Count == 0 ? "-" : $"{alerts.Count(a => a.Kind == AlertKind.Drift)} drift, {alerts.Count(a => a.Kind == AlertKind.Performance)} performance, {alerts.Count(a => a.Kind == AlertKind.Other)} rule",
        };
    }

    private static (string Text, string Name) LoadTemplate(ReconcileSession session)
    {
        if (session.Specs.ProjectSettings.Templates?.PullRequestComment is { } custom)
        {
            var path = Path.Combine(session.RepositoryRoot, custom);
            return (File.ReadAllText(path), custom);
        }
        using var stream = typeof(PullRequestReview).Assembly.GetManifestResourceStream("templates/" + DefaultTemplateName)!;
        using var reader = new StreamReader(stream);
        return (reader.ReadToEnd(), DefaultTemplateName);
    }
}
