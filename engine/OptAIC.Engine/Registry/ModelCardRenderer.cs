using System.Collections;
using System.Globalization;
using System.Text;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace OptAIC.Engine.Registry;

/// <summary>What a model card is rendered from: the version record and the definition's docs.</summary>
public sealed class ModelCardContext
{
    public required VersionRecord Version { get; init; }

    /// <summary>The stage the version will have once registered (e.g. staging), if known.</summary>
    public Stage? Stage { get; init; }

    /// <summary>The definition's <c>docs.description</c>.</summary>
    public string? Description { get; init; }

    public string? IntendedUse { get; init; }

    /// <summary>Free model card text from the definition's docs (Markdown).</summary>
    public string? Notes { get; init; }

    public IReadOnlyList<string> Caveats { get; init; } = [];
}

/// <summary>
/// Renders model cards with Scriban from the embedded default template (<c>Registry/Templates/model-card.scriban</c>)
/// or a repository's own template (e.g. <c>&lt;repo&gt;/.optaic/templates/model-card.scriban</c>). Template
/// variables are snake_case; the default template lists them at its top. Errors in a template name its file,
/// line and column.
/// </summary>
public sealed class ModelCardRenderer
{
    public const string DefaultTemplateName = "model-card.scriban";

    private readonly Template _template;

    private ModelCardRenderer(Template template, string sourceName)
    {
        _template = template;
        SourceName = sourceName;
    }

    /// <summary>The template file (or the embedded resource name) cards are rendered from.</summary>
    public string SourceName { get; }

    /// <summary>The built-in template.</summary>
    public static ModelCardRenderer Default { get; } = FromText(LoadDefaultTemplate(), "templates/" + DefaultTemplateName);

    /// <summary>The repository's template when <paramref name="overridePath"/> is given and exists, else the built-in one.</summary>
    public static ModelCardRenderer ForRepository(string? overridePath) =>
        !string.IsNullOrEmpty(overridePath) && File.Exists(overridePath) ? FromFile(overridePath) : Default;

    public static ModelCardRenderer FromFile(string path) => FromText(File.ReadAllText(path), path);

    /// <exception cref="ModelCardTemplateException">The template does not parse.</exception>
    public static ModelCardRenderer FromText(string templateText, string sourceName)
    {
        var template = Template.Parse(templateText, sourceName);
        if (template.HasErrors)
        {
            var errors = string.Join("; ", template.Messages.Where(m => m.Type == ParserMessageType.Error).Select(m => $"{Position(sourceName, m.Span)}: {m.Message}"));
            throw new ModelCardTemplateException($"Model card template {sourceName} does not parse: {errors}");
        }

        return new ModelCardRenderer(template, sourceName);
    }

    /// <summary>Renders the card as Markdown with LF line ends and one trailing newline.</summary>
    /// <exception cref="ModelCardTemplateException">The template fails while rendering (e.g. an unknown variable).</exception>
    public string Render(ModelCardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var globals = BuildModel(context);
        var templateContext = new TemplateContext
        {
            StrictVariables = true,
            LoopLimit = 1_000_000,
            NewLine = "\n",
        };
        templateContext.PushCulture(CultureInfo.InvariantCulture);
        templateContext.PushGlobal(globals);
        string text;
        try
        {
            text = _template.Render(templateContext);
        }
        catch (ScriptRuntimeException e)
        {
            throw new ModelCardTemplateException($"Model card template {SourceName} failed at {Position(SourceName, e.Span)}: {e.OriginalMessage}", e);
        }

        return Normalize(text);
    }

    private static ScriptObject BuildModel(ModelCardContext context)
    {
        var v = context.Version;
        var model = new ScriptObject
        {
            ["instance"] = v.Instance,
            ["version"] = v.Version,
            ["created_at"] = YamlScalars.FormatDateTimeOffset(v.CreatedAt),
            ["definition"] = v.Definition,
            ["category"] = v.Category,
            ["algorithm"] = v.Algorithm,
            ["stage"] = context.Stage is { } stage ? RecordShape.KeyName(stage.ToString()) : null,
            ["description"] = Trimmed(context.Description),
            ["intended_use"] = Trimmed(context.IntendedUse),
            ["notes"] = Trimmed(context.Notes),
            ["caveats"] = Array(context.Caveats.Cast<object?>()),
            ["features"] = Array(v.Features.Cast<object?>()),
            ["target"] = v.Target,
            ["training_window"] = v.TrainingWindow is { } w
                ? Object(("from", w.From?.ToString(YamlScalars.DateFormat, CultureInfo.InvariantCulture)), ("to", w.To?.ToString(YamlScalars.DateFormat, CultureInfo.InvariantCulture)), ("rows", w.Rows))
                : null,
            ["datasets"] = Array(v.Lineage.Datasets.Select(d => Object(("name", d.Key), ("version", d.Value)))),
            ["hyperparameters"] = Array(v.Hyperparameters.Select(h => Object(("name", h.Key), ("value", ValueText(h.Value))))),
            ["metrics"] = Array(v.Metrics.Select(m => Object(("name", m.Key), ("value", m.Value), ("text", Number(m.Value))))),
            ["gates"] = Array(v.Gates.Select(g => Object(
                ("metric", g.Metric), ("op", g.Op), ("threshold", g.Threshold), ("value", g.Value), ("passed", g.Passed),
                ("threshold_text", Number(g.Threshold)), ("value_text", Number(g.Value))))),
            ["gates_passed"] = v.Gates.TrueForAll(g => g.Passed),
            ["artifact"] = Object(("uri", v.Artifact.Uri), ("sha256", v.Artifact.Sha256), ("bytes", v.Artifact.Bytes), ("media_type", v.Artifact.MediaType)),
            ["lineage"] = Object(("parent", v.Lineage.Parent), ("outputs", Array(v.Lineage.Outputs.Cast<object?>()))),
            ["fingerprint"] = Object(("value", v.Fingerprint.Value), ("parts", Array(v.Fingerprint.Parts.Select(p => Object(("name", p.Key), ("value", p.Value)))))),
            ["engine_version"] = v.EngineVersion,
            ["trainer_version"] = v.TrainerVersion,
            ["training_run"] = v.TrainingRun,
        };
        return model;
    }

    private static ScriptObject Object(params (string Name, object? Value)[] members)
    {
        var o = new ScriptObject();
        foreach (var (name, value) in members)
        {
            o[name] = value;
        }

        return o;
    }

    private static ScriptArray Array(IEnumerable<object?> items) => new(items);

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>Metrics read best with six significant digits; the record keeps the exact value.</summary>
    private static string Number(double value) => double.IsFinite(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : YamlScalars.FormatDouble(value);

    private static string ValueText(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        double d => YamlScalars.FormatDouble(d),
        float f => YamlScalars.FormatSingle(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IDictionary map => "{" + string.Join(", ", map.Keys.Cast<object>().Select(k => $"{k}: {ValueText(map[k])}")) + "}",
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(ValueText)) + "]",
        _ => value.ToString() ?? "",
    };

    private static string Position(string source, SourceSpan span) =>
        $"{source}({span.Start.Line + 1},{span.Start.Column + 1})";

    private static string Normalize(string text)
    {
        var lf = text.ReplaceLineEndings("\n");
        var lines = lf.Split('\n').Select(l => l.TrimEnd(' ', '\t'));
        var builder = new StringBuilder();
        var blank = 0;
        foreach (var line in lines)
        {
            // At most one blank line in a row: templates with conditional sections leave gaps.
            blank = line.Length == 0 ? blank + 1 : 0;
            if (blank <= 1)
            {
                builder.Append(line).Append('\n');
            }
        }

        return builder.ToString().Trim('\n') + "\n";
    }

    private static string LoadDefaultTemplate()
    {
        using var stream = typeof(ModelCardRenderer).Assembly.GetManifestResourceStream("templates/" + DefaultTemplateName)
            ?? throw new InvalidOperationException($"The embedded resource templates/{DefaultTemplateName} is missing from the engine assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
