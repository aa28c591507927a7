using Newtonsoft.Json;
using OptAIC.Engine.Specs.Model;
using OptAIC.Engine.Specs.Text;
using OptAIC.Engine.Specs.Yaml;

namespace OptAIC.Engine.Specs;

public sealed record SpecLoadResult(IReadOnlyList<SpecDocument> Documents, IReadOnlyList<Finding> Findings, int FileCount);

/// <summary>
/// Reads every spec file of a source, in parallel: YAML (with its bounds), the envelope, the kind's
/// JSON Schema, then binds each valid document to its spec class. Problems become findings; the
/// documents that passed are returned for the semantic checks.
/// </summary>
public static class SpecLoader
{
    private static readonly JsonSerializer Binder = JsonSerializer.Create(new JsonSerializerSettings
    {
        MissingMemberHandling = MissingMemberHandling.Ignore,
        FloatParseHandling = FloatParseHandling.Double,
    });

    public static SpecLoadResult Load(ISpecSource source, YamlLimits? limits = null)
    {
        limits ??= YamlLimits.Default;
        var files = source.Files();
        var perFile = new (List<SpecDocument> Documents, List<Finding> Findings)[files.Count];
        Parallel.For(0, files.Count, i => perFile[i] = LoadFile(files[i], limits));
        var documents = new List<SpecDocument>();
        var findings = new List<Finding>();
        foreach (var (fileDocuments, fileFindings) in perFile)
        {
            documents.AddRange(fileDocuments);
            findings.AddRange(fileFindings);
        }
        return new SpecLoadResult(documents, findings, files.Count);
    }

    private static (List<SpecDocument>, List<Finding>) LoadFile(SpecFile file, YamlLimits limits)
    {
        var documents = new List<SpecDocument>();
        var findings = new List<Finding>();
        if (file.Link is { } link)
        {
            findings.Add(Finding.Error("spec-symlink", file.Path, SourcePosition.Start,
                $"a symbolic link (to {link}), which lint does not follow: Git keeps only the link, so put the spec file itself here"));
            return (documents, findings);
        }
        if (file.Size > limits.MaxFileBytes)
        {
            findings.Add(Finding.Error("yaml-file-too-large", file.Path, SourcePosition.Start,
                $"file is {file.Size:N0} bytes, over the {limits.MaxFileBytes:N0}-byte cap for a spec file; split it into several files"));
            return (documents, findings);
        }
        var yaml = YamlLoader.Load(file.Path, file.Read(), limits);
        findings.AddRange(yaml.Errors.Select(e => Finding.Error(e.RuleId, file.Path, e.Position, e.Message)));
        for (var index = 0; index < yaml.Documents.Count; index++)
        {
            var root = yaml.Documents[index];
            if (root is not YamlMapping)
            {
                findings.Add(Finding.Error("spec-envelope", file.Path, root.Start,
                    "a spec document must be a mapping with apiVersion, kind, metadata and spec"));
                continue;
            }
            var document = new SpecDocument(file.Path, index, root);
            if (CheckEnvelope(document, findings))
            {
                var schemaFindings = SchemaCatalog.Default.Validate(document);
                findings.AddRange(schemaFindings);
                if (schemaFindings.Count == 0)
                {
                    document.Spec = document.SpecJson.ToObject(SpecKinds.SpecType(document.Kind!), Binder);
                }
            }
            documents.Add(document);
        }
        return (documents, findings);
    }

    private static bool CheckEnvelope(SpecDocument document, List<Finding> findings)
    {
        if (document.Kind is null)
        {
            findings.Add(Finding.Error("spec-envelope", document.File, document.PositionOf(),
                $"missing 'kind'; each document needs 'kind: <{string.Join("|", SpecKinds.All)}>'"));
            return false;
        }
        if (!SpecKinds.All.Contains(document.Kind))
        {
            findings.Add(Finding.Error("spec-unknown-kind", document.File, document.PositionOf("kind"),
                $"unknown kind '{document.Kind}'{Suggestions.DidYouMean(document.Kind, SpecKinds.All)} (kinds: {string.Join(", ", SpecKinds.All)})"));
            return false;
        }
        if (document.ApiVersion != SpecKinds.ApiVersion)
        {
            findings.Add(Finding.Error("spec-api-version", document.File, document.PositionOf("apiVersion"),
                document.ApiVersion is null
                    ? $"missing 'apiVersion'; write 'apiVersion: {SpecKinds.ApiVersion}'"
                    : $"apiVersion '{document.ApiVersion}' is not supported; this engine reads '{SpecKinds.ApiVersion}'"));
            return false;
        }
        return true;
    }
}
