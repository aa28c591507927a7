using System.Text;
using System.Text.Json;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Lint.Output;

public enum LintFormat
{
    Text,
    Json,
    GitHub,
    Sarif,
}

/// <summary>Writes a lint report for people (text), machines (json), pull requests (github) or code scanning (sarif).</summary>
public static class LintFormatter
{
    public static void Write(LintReport report, LintFormat format, TextWriter output, string engineVersion)
    {
        switch (format)
        {
            case LintFormat.Text:
                WriteText(report, output);
                break;
            case LintFormat.Json:
                WriteJson(report, output);
                break;
            case LintFormat.GitHub:
                WriteGitHub(report, output);
                break;
            case LintFormat.Sarif:
                WriteSarif(report, output, engineVersion);
                break;
        }
    }

    /// <summary>One line per finding, `path:line:col: error|warning: message [rule]`, then a summary line.</summary>
    public static void WriteText(LintReport report, TextWriter output)
    {
        foreach (var finding in report.Findings)
        {
            output.WriteLine(finding.ToString());
        }
        output.WriteLine(Summary(report));
    }

    public static string Summary(LintReport report)
    {
        var files = $"{report.FileCount} file{(report.FileCount == 1 ? "" : "s")}";
        var docs = $"{report.DocumentCount} document{(report.DocumentCount == 1 ? "" : "s")}";
        if (report.Findings.Count == 0)
        {
            return $"No findings in {files}, {docs} ({report.SourceDescription}).";
        }
        return $"{Plural(report.Errors, "error")}, {Plural(report.Warnings, "warning")} in {files}, {docs} ({report.SourceDescription}).";
    }

    private static string Plural(int count, string word) => $"{count} {word}{(count == 1 ? "" : "s")}";

    private static void WriteJson(LintReport report, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format_version", "1.0");
            json.WriteString("source", report.SourceDescription);
            json.WriteNumber("files", report.FileCount);
            json.WriteNumber("documents", report.DocumentCount);
            json.WriteNumber("errors", report.Errors);
            json.WriteNumber("warnings", report.Warnings);
            json.WriteStartArray("findings");
            foreach (var finding in report.Findings)
            {
                json.WriteStartObject();
                json.WriteString("rule", finding.RuleId);
                json.WriteString("severity", finding.Severity == Severity.Error ? "error" : "warning");
                json.WriteString("file", finding.File);
                json.WriteNumber("line", finding.Position.Line);
                json.WriteNumber("column", finding.Position.Column);
                json.WriteString("message", finding.Message);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>GitHub Actions workflow commands: each becomes an annotation on the pull request's changed line.</summary>
    private static void WriteGitHub(LintReport report, TextWriter output)
    {
        foreach (var finding in report.Findings)
        {
            var level = finding.Severity == Severity.Error ? "error" : "warning";
            output.WriteLine(
                $"::{level} file={Property(finding.File)},line={finding.Position.Line},col={finding.Position.Column},title={Property("optaic " + finding.RuleId)}::{Data(finding.Message)}");
        }
        output.WriteLine(Summary(report));
    }

    // Escapes of GitHub's workflow-command format (actions/toolkit, command.ts): one definition, in Ci.
    private static string Data(string text) => Ci.GitHubActions.EscapeData(text);

    private static string Property(string text) => Ci.GitHubActions.EscapeProperty(text);

    /// <summary>SARIF 2.1.0, as GitHub code scanning and other tools read it.</summary>
    private static void WriteSarif(LintReport report, TextWriter output, string engineVersion)
    {
        var rules = LintRules.All;
        var index = rules.Select((r, i) => (r.Id, i)).ToDictionary(p => p.Id, p => p.i, StringComparer.Ordinal);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            json.WriteString("version", "2.1.0");
            json.WriteStartArray("runs");
            json.WriteStartObject();
            json.WriteStartObject("tool");
            json.WriteStartObject("driver");
            json.WriteString("name", "optaic");
            json.WriteString("semanticVersion", engineVersion);
            json.WriteString("informationUri", LintRules.DocumentationUri);
            json.WriteStartArray("rules");
            foreach (var rule in rules)
            {
                json.WriteStartObject();
                json.WriteString("id", rule.Id);
                json.WriteStartObject("shortDescription");
                json.WriteString("text", rule.Summary);
                json.WriteEndObject();
                json.WriteString("helpUri", LintRules.HelpUri(rule));
                json.WriteStartObject("help");
                json.WriteString("text", $"{rule.Summary}\nFails on:\n{rule.FailingExample}");
                json.WriteEndObject();
                json.WriteStartObject("defaultConfiguration");
                json.WriteString("level", rule.Severity == Severity.Error ? "error" : "warning");
                json.WriteEndObject();
                json.WriteStartObject("properties");
                json.WriteString("category", rule.Group);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("results");
            foreach (var finding in report.Findings)
            {
                json.WriteStartObject();
                json.WriteString("ruleId", finding.RuleId);
                if (index.TryGetValue(finding.RuleId, out var ruleIndex))
                {
                    json.WriteNumber("ruleIndex", ruleIndex);
                }
                json.WriteString("level", finding.Severity == Severity.Error ? "error" : "warning");
                json.WriteStartObject("message");
                json.WriteString("text", finding.Message);
                json.WriteEndObject();
                json.WriteStartArray("locations");
                json.WriteStartObject();
                json.WriteStartObject("physicalLocation");
                json.WriteStartObject("artifactLocation");
                json.WriteString("uri", finding.File);
                json.WriteString("uriBaseId", "%SRCROOT%");
                json.WriteEndObject();
                json.WriteStartObject("region");
                json.WriteNumber("startLine", finding.Position.Line);
                json.WriteNumber("startColumn", finding.Position.Column);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
