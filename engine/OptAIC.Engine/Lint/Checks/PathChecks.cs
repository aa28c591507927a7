using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>Every path a spec names stays inside the repository, and the files it names exist.</summary>
internal static class PathChecks
{
    public static void Check(LintContext ctx)
    {
        var project = ctx.Specs.ProjectSettings;
        var root = ctx.Source.RepositoryRoot;
        var projectDocument = ctx.Specs.Project?.Document;
        string dataRoot = "";
        if (projectDocument is not null)
        {
            dataRoot = Inside(ctx, projectDocument, ["spec", "dataRoot"], project.DataRoot) ?? "";
            Inside(ctx, projectDocument, ["spec", "registryPath"], project.RegistryPath);
            Inside(ctx, projectDocument, ["spec", "templates", "modelCard"], project.Templates?.ModelCard);
            Inside(ctx, projectDocument, ["spec", "templates", "pullRequestComment"], project.Templates?.PullRequestComment);
        }

        foreach (var dataset in ctx.Specs.Datasets.Values)
        {
            if (dataset.Value.Path.Replace('\\', '/').Split('/').Contains(".."))
            {
                // Even when it lands inside (dataRoot/../**/*), a glob with '..' reads what nobody meant: the whole repository, .git included.
                ctx.Error("path-outside-repository", dataset.Document, ["spec", "path"],
                    $"'{dataset.Value.Path}' climbs out of the data root with '..'; name the files below the project's dataRoot without '..'");
                continue;
            }
            var relative = Inside(ctx, dataset.Document, ["spec", "path"], Path.Combine(dataRoot, dataset.Value.Path), dataset.Value.Path);
            if (relative is null || relative.Contains('*', StringComparison.Ordinal))
            {
                continue;
            }
            if (!ctx.Source.Exists(relative))
            {
                ctx.Error("dataset-file-missing", dataset.Document, ["spec", "path"],
                    $"no file at {relative} ({ctx.Source.Description}); paths are relative to the project's dataRoot ('{(dataRoot.Length == 0 ? "." : dataRoot)}')");
            }
        }

        foreach (var definition in ctx.Specs.Definitions.Values)
        {
            if (definition.Value.Model.Onnx is { } onnx
                && Inside(ctx, definition.Document, ["spec", "model", "onnx", "path"], onnx.Path) is { } onnxPath
                && !ctx.Source.Exists(onnxPath))
            {
                ctx.Error("onnx-declaration", definition.Document, ["spec", "model", "onnx", "path"], $"no ONNX model at {onnxPath} ({ctx.Source.Description})");
            }
        }

        string? Inside(LintContext context, SpecDocument document, object[] path, string? value, string? shown = null)
        {
            if (value is null)
            {
                return null;
            }
            var relative = SpecPaths.RelativeInside(root, value);
            if (relative is null)
            {
                context.Error("path-outside-repository", document, path,
                    $"'{shown ?? value}' leads outside the repository; every path is relative to the repository and stays inside it");
            }
            return relative;
        }
    }
}
