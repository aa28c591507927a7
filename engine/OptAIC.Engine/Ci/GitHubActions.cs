using System.Text;
using System.Text.Json;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Ci;

public enum AnnotationLevel
{
    Notice,
    Warning,
    Error,
}

/// <summary>The two commits a pull request is about: its base and its head.</summary>
public sealed record PullRequestRevisions(string Base, string Head, int? Number = null);

/// <summary>The GitHub Actions event could not be read (a broken or unexpected GITHUB_EVENT_PATH).</summary>
public sealed class GitHubEventException(string message) : Exception(message);

/// <summary>
/// What the command needs from GitHub Actions: whether it runs there, the job summary
/// (GITHUB_STEP_SUMMARY), workflow-command annotations, and the pull request's base and head from the
/// event payload. Built from a variable lookup so that tests do not touch the process environment.
/// </summary>
public sealed class GitHubActions
{
    private readonly Func<string, string?> _variable;

    private GitHubActions(Func<string, string?> variable) => _variable = variable;

    public static GitHubActions FromEnvironment(Func<string, string?>? variable = null) =>
        new(variable ?? Environment.GetEnvironmentVariable);

    /// <summary>GITHUB_ACTIONS=true: set by every GitHub Actions runner.</summary>
    public bool IsActions => string.Equals(_variable("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>push, pull_request, schedule, workflow_dispatch, ...</summary>
    public string? EventName => Value("GITHUB_EVENT_NAME");

    /// <summary>The commit the workflow runs for (on pull_request: GitHub's merge commit, not the head).</summary>
    public string? Sha => Value("GITHUB_SHA");

    /// <summary>The branch or tag name (main on a push to main).</summary>
    public string? RefName => Value("GITHUB_REF_NAME");

    /// <summary>A unique id for the bot's trailer and lock: run id and attempt ("1234-1"), or null outside Actions.</summary>
    public string? RunId => Value("GITHUB_RUN_ID") is { } id ? $"{id}-{Value("GITHUB_RUN_ATTEMPT") ?? "1"}" : null;

    /// <summary>Scheduled and manual runs look for due work whatever the last commit was; push runs skip the bot's own commits.</summary>
    public bool IsScheduledOrManual => EventName is "schedule" or "workflow_dispatch";

    public string? StepSummaryPath => Value("GITHUB_STEP_SUMMARY");

    /// <summary>Appends Markdown to the job summary; false when there is no summary file (outside Actions).</summary>
    public bool AppendSummary(string markdown)
    {
        if (StepSummaryPath is not { } path)
        {
            return false;
        }
        File.AppendAllText(path, markdown.EndsWith('\n') ? markdown : markdown + "\n", new UTF8Encoding(false));
        return true;
    }

    /// <summary>
    /// The base and head commits of the pull request: from the event payload (pull_request.base.sha,
    /// pull_request.head.sha), else from GITHUB_BASE_REF (as origin/BRANCH) and GITHUB_SHA; null when
    /// this is not a pull request run.
    /// </summary>
    public PullRequestRevisions? PullRequest()
    {
        if (Value("GITHUB_EVENT_PATH") is { } eventPath && File.Exists(eventPath))
        {
            var fromEvent = ReadEvent(eventPath);
            if (fromEvent is not null)
            {
                return fromEvent;
            }
        }
        if (Value("GITHUB_BASE_REF") is { } baseRef)
        {
            // GITHUB_SHA is the merge of head into base: its diff from the merge base is the PR's.
            var head = Value("GITHUB_SHA") ?? "HEAD";
            return new PullRequestRevisions($"origin/{baseRef}", head);
        }
        return null;
    }

    /// <summary>One annotation as a workflow command; GitHub shows it on the file's line in the pull request.</summary>
    public static string Annotation(AnnotationLevel level, string message, string? file = null, int? line = null, int? column = null, string? title = null)
    {
        var properties = new List<string>();
        if (file is not null)
        {
            properties.Add($"file={EscapeProperty(file)}");
        }
        if (line is { } l)
        {
            properties.Add($"line={l}");
        }
        if (column is { } c)
        {
            properties.Add($"col={c}");
        }
        if (title is not null)
        {
            properties.Add($"title={EscapeProperty(title)}");
        }
        var name = level switch
        {
            AnnotationLevel.Error => "error",
            AnnotationLevel.Warning => "warning",
            _ => "notice",
        };
        return properties.Count == 0
            ? $"::{name}::{EscapeData(message)}"
            : $"::{name} {string.Join(',', properties)}::{EscapeData(message)}";
    }

    /// <summary>An annotation for a lint finding, titled with its rule.</summary>
    public static string Annotation(Finding finding) => Annotation(
        finding.Severity == Severity.Error ? AnnotationLevel.Error : AnnotationLevel.Warning,
        finding.Message, finding.File, finding.Position.Line, finding.Position.Column, $"optaic {finding.RuleId}");

    /// <summary>Writes one annotation per finding (GitHub reads them from the step's standard output).</summary>
    public static void WriteAnnotations(IEnumerable<Finding> findings, TextWriter output)
    {
        foreach (var finding in findings)
        {
            output.WriteLine(Annotation(finding));
        }
    }

    // The escapes of actions/toolkit (packages/core/src/command.ts): data escapes %, CR, LF; properties also ':' and ','.
    public static string EscapeData(string text) => text.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    public static string EscapeProperty(string text) => EscapeData(text).Replace(":", "%3A").Replace(",", "%2C");

    private string? Value(string name) => _variable(name) is { Length: > 0 } value ? value : null;

    private static PullRequestRevisions? ReadEvent(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("pull_request", out var pr) || pr.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var baseSha = Sha(pr, "base");
            var headSha = Sha(pr, "head");
            if (baseSha is null || headSha is null)
            {
                throw new GitHubEventException($"{path}: pull_request has no base.sha or head.sha; is this a pull_request event?");
            }
            int? number = pr.TryGetProperty("number", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : null;
            return new PullRequestRevisions(baseSha, headSha, number);
        }
        catch (JsonException e)
        {
            throw new GitHubEventException($"{path}: the event payload is not valid JSON ({e.Message}); pass --base and --head instead");
        }

        static string? Sha(JsonElement pr, string side) =>
            pr.TryGetProperty(side, out var part) && part.ValueKind == JsonValueKind.Object &&
            part.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
                ? sha.GetString()
                : null;
    }
}
