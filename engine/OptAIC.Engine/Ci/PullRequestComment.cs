using System.Globalization;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace OptAIC.Engine.Ci;

/// <summary>One planned action as the comment shows it: '+' create, '~' update, '-' archive; the reasons down to the field.</summary>
public sealed record CommentAction(char Change, string Action, string Instance, IReadOnlyList<string> Reasons);

public sealed record HealthMetric(string Name, string Value);

/// <summary>The current state of an instance the pull request touches: its live version, stage, health and latest metrics.</summary>
public sealed record InstanceHealth(string Instance, string Status, string? Version = null, string? Stage = null, IReadOnlyList<HealthMetric>? Metrics = null, string? Note = null);

/// <summary>Everything the comment is rendered from.</summary>
public sealed record PullRequestCommentModel
{
    public required PullRequestLintReport Lint { get; init; }

    public IReadOnlyList<CommentAction> Plan { get; init; } = [];

    /// <summary>Why the plan could not be made (the specs do not load, a dataset is missing); null when it was.</summary>
    public string? PlanError { get; init; }

    public IReadOnlyList<InstanceHealth> Health { get; init; } = [];

    public string EngineVersion { get; init; } = "";

    /// <summary>A link to the CI run (GitHub: server/repo/actions/runs/id), shown at the bottom.</summary>
    public string? RunUrl { get; init; }

    /// <summary>Clean: no lint error in the changed specs or what depends on them, and a plan could be made.</summary>
    public bool IsClean => Lint.Errors == 0 && PlanError is null;
}

/// <summary>A pull-request comment template that does not parse or fails while rendering; the message names file, line and column.</summary>
public sealed class CommentTemplateException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The Markdown comment `optaic ci pr` posts: lint findings, the plan with reasons, and the health of
/// the instances touched. Rendered with Scriban from the built-in template or the repository's own
/// (`spec.templates.pullRequestComment` in the Project spec). Template variables are snake_case and
/// listed at the top of <see cref="DefaultTemplate"/>; the function md_cell escapes text for a table cell.
/// </summary>
public static class PullRequestComment
{
    /// <summary>The first line of every comment: workflows find the comment to update by it.</summary>
    public const string Marker = "<!-- optaic-plan -->";

    public const string DefaultTemplate = """
        {{~ ## Variables (objects as name(fields), lists as name[]):
              marker, clean, head, merge_base, engine_version, run_url,
              changes[](path, kind, old_path),
              lint(errors, warnings, findings[](file, line, column, severity, rule, message), dependents[], elsewhere, elsewhere_errors),
              plan(error, actions[](change, action, instance, reasons[])),
              health[](instance, status, version, stage, metrics[](name, value), note).
              Function: md_cell text escapes text for a table cell. ## ~}}
        {{ marker }}
        ### optaic: {{ if clean }}✅ clean{{ else }}❌ not clean{{ end }} at `{{ head }}`

        {{~ if changes.size == 0 ~}}
        This pull request changes no spec.
        {{~ else ~}}
        **Specs changed ({{ changes.size }}):** {{ for c in changes }}`{{ c.path }}` ({{ c.kind }}{{ if c.old_path }} from `{{ c.old_path }}`{{ end }}){{ if !for.last }}, {{ end }}{{ end }}
        {{~ if lint.dependents.size > 0 ~}}

        **Depending on them ({{ lint.dependents.size }}):** {{ for d in lint.dependents }}`{{ d }}`{{ if !for.last }}, {{ end }}{{ end }}
        {{~ end ~}}
        {{~ end ~}}

        #### Lint
        {{~ if lint.findings.size == 0 ~}}
        No findings in the changed specs and what depends on them.
        {{~ else ~}}
        {{ lint.errors }} error(s), {{ lint.warnings }} warning(s).

        | | Where | Rule | Finding |
        |---|---|---|---|
        {{~ for f in lint.findings ~}}
        | {{ if f.severity == "error" }}❌{{ else }}⚠️{{ end }} | `{{ f.file }}:{{ f.line }}:{{ f.column }}` | `{{ f.rule }}` | {{ md_cell f.message }} |
        {{~ end ~}}
        {{~ end ~}}
        {{~ if lint.elsewhere > 0 ~}}

        _{{ lint.elsewhere }} finding(s) ({{ lint.elsewhere_errors }} error(s)) in other specs, there before this pull request._
        {{~ end ~}}

        #### Plan
        {{~ if plan.error ~}}
        Planning failed: {{ plan.error }}
        {{~ else if plan.actions.size == 0 ~}}
        No changes: the registry already matches these specs.
        {{~ else ~}}
        {{ plan.actions.size }} action(s) when this is merged:

        ```diff
        {{~ for a in plan.actions ~}}
        {{ a.change }} {{ a.action }} {{ a.instance }}
        {{~ for r in a.reasons ~}}
            {{ r }}
        {{~ end ~}}
        {{~ end ~}}
        ```
        {{~ end ~}}
        {{~ if health.size > 0 ~}}

        #### Instances touched, as they are now
        | Instance | Version | Stage | Health | Metrics |
        |---|---|---|---|---|
        {{~ for h in health ~}}
        | `{{ h.instance }}` | {{ h.version ?? "–" }} | {{ h.stage ?? "–" }} | {{ md_cell h.status }}{{ if h.note }}: {{ md_cell h.note }}{{ end }} | {{ for m in h.metrics }}{{ m.name }} {{ m.value }}{{ if !for.last }}, {{ end }}{{ end }} |
        {{~ end ~}}
        {{~ end ~}}

        <sub>optaic {{ engine_version }} · compared with the merge base `{{ merge_base }}`{{ if run_url }} · [run]({{ run_url }}){{ end }}</sub>

        """;

    /// <summary>The repository's template (from the Project spec) if it names one, else null for the built-in one.</summary>
    public static string? LoadTemplate(string repositoryRoot, ProjectSpec project)
    {
        if (project.Templates?.PullRequestComment is not { Length: > 0 } relative)
        {
            return null;
        }
        var path = Path.Combine(repositoryRoot, relative);
        if (!File.Exists(path))
        {
            throw new CommentTemplateException($"{relative}: the pull-request comment template named in the Project spec (templates.pullRequestComment) does not exist");
        }
        return File.ReadAllText(path);
    }

    /// <summary>Renders the comment; <paramref name="template"/> null uses the built-in one.</summary>
    public static string Render(PullRequestCommentModel model, string? template = null, string templateName = "built-in pull-request comment template")
    {
        var parsed = Template.Parse(template ?? DefaultTemplate, templateName);
        if (parsed.HasErrors)
        {
            var errors = string.Join("; ", parsed.Messages.Where(m => m.Type == ParserMessageType.Error).Select(m => $"{Position(templateName, m.Span)}: {m.Message}"));
            throw new CommentTemplateException($"{templateName} does not parse: {errors}");
        }
        var context = new TemplateContext { StrictVariables = true, LoopLimit = 100_000, NewLine = "\n" };
        context.PushCulture(CultureInfo.InvariantCulture);
        context.PushGlobal(Globals(model));
        string text;
        try
        {
            text = parsed.Render(context);
        }
        catch (ScriptRuntimeException e)
        {
            throw new CommentTemplateException($"{templateName} failed at {Position(templateName, e.Span)}: {e.OriginalMessage}", e);
        }
        text = text.ReplaceLineEndings("\n").TrimEnd('\n') + "\n";
        // Workflows find the comment by its marker: keep it first even in a repository's own template.
        return text.StartsWith(Marker, StringComparison.Ordinal) ? text : Marker + "\n" + text;
    }

    /// <summary>Text made safe for a Markdown table cell: no pipe, no line break.</summary>
    public static string MarkdownCell(string? text) =>
        (text ?? "").Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings("<br>");

    private static ScriptObject Globals(PullRequestCommentModel model)
    {
        var lint = model.Lint;
        var globals = new ScriptObject
        {
            ["marker"] = Marker,
            ["clean"] = model.IsClean,
            ["head"] = Short(lint.Changes.Head),
            ["merge_base"] = Short(lint.Changes.MergeBase),
            ["engine_version"] = model.EngineVersion,
            ["run_url"] = model.RunUrl,
            ["changes"] = Array(lint.Changes.Changes.Select(c => Object(
                ("path", c.Path), ("kind", c.Kind.ToString().ToLowerInvariant()), ("old_path", c.OldPath)))),
            ["lint"] = Object(
                ("errors", lint.Errors),
                ("warnings", lint.Warnings),
                ("findings", Array(lint.Findings.Select(Finding))),
                ("dependents", Array(lint.DependentFiles)),
                ("elsewhere", lint.Elsewhere.Count),
                ("elsewhere_errors", lint.Elsewhere.Count(f => f.Severity == Severity.Error))),
            ["plan"] = Object(
                ("error", model.PlanError),
                ("actions", Array(model.Plan.Select(a => Object(
                    ("change", a.Change.ToString()), ("action", a.Action), ("instance", a.Instance), ("reasons", Array(a.Reasons))))))),
            ["health"] = Array(model.Health.Select(h => Object(
                ("instance", h.Instance), ("status", h.Status), ("version", h.Version), ("stage", h.Stage), ("note", h.Note),
                ("metrics", Array((h.Metrics ?? []).Select(m => Object(("name", m.Name), ("value", m.Value)))))))),
        };
        globals.Import("md_cell", new Func<string?, string>(MarkdownCell));
        return globals;
    }

    private static ScriptObject Finding(Finding f) => Object(
        ("file", f.File), ("line", f.Position.Line), ("column", f.Position.Column),
        ("severity", f.Severity == Severity.Error ? "error" : "warning"), ("rule", f.RuleId), ("message", f.Message));

    private static ScriptObject Object(params (string Key, object? Value)[] members)
    {
        var result = new ScriptObject();
        foreach (var (key, value) in members)
        {
            result[key] = value;
        }
        return result;
    }

    private static ScriptArray Array<T>(IEnumerable<T> items)
    {
        var array = new ScriptArray();
        foreach (var item in items)
        {
            array.Add(item);
        }
        return array;
    }

    private static string Position(string name, SourceSpan span) => $"{name}:{span.Start.Line + 1}:{span.Start.Column + 1}";

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;
}
