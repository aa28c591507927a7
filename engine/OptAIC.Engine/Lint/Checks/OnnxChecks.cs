using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>
/// An imported ONNX model matches its spec: lint opens the file and compares its inputs (names, widths)
/// with the instances' features, its output names, and a classifier's class count with model.classes.
/// </summary>
internal static class OnnxChecks
{
    private const string Rule = "onnx-signature";

    public static void Check(LintContext ctx)
    {
        foreach (var definition in ctx.Specs.Definitions.Values)
        {
            if (!ImportedModels.IsImported(definition.Value) || definition.Value.Model.Onnx is not { } onnx
                || SpecPaths.RelativeInside(ctx.Source.RepositoryRoot, onnx.Path) is not { } path
                || ctx.Source.ReadBytes(path) is not { } bytes)
            {
                continue;
            }
            OnnxModelInfo info;
            try
            {
                info = OnnxModelInfo.Read(bytes);
            }
            catch (OnnxModelException ex)
            {
                ctx.Error(Rule, definition.Document, ["spec", "model", "onnx", "path"], $"{path} is not a usable ONNX model: {ex.Message}");
                continue;
            }
            CheckDefinition(ctx, definition, onnx, path, info);
            foreach (var instance in ctx.Specs.Instances.Values.Where(i => i.Value.Definition == definition.Name))
            {
                CheckInstance(ctx, instance, onnx, path, info);
            }
        }
    }

    private static void CheckDefinition(LintContext ctx, Spec<ModelDefinitionSpec> definition, OnnxSpec onnx, string path, OnnxModelInfo info)
    {
        var document = definition.Document;
        var inputs = string.Join(", ", info.Inputs.Select(i => i.Name));
        if (onnx.Inputs is { } declared)
        {
            for (var i = 0; i < declared.Count; i++)
            {
                var port = info.Inputs.FirstOrDefault(p => p.Name == declared[i].Name);
                if (port is null)
                {
                    ctx.Error(Rule, document, ["spec", "model", "onnx", "inputs", i, "name"], $"{path} has no input '{declared[i].Name}' (its inputs: {inputs})");
                }
                else if (port.Width is { } width && width != declared[i].Features.Count)
                {
                    ctx.Error(Rule, document, ["spec", "model", "onnx", "inputs", i, "features"],
                        $"input '{port.Name}' of {path} takes {width} feature(s) per row, but {declared[i].Features.Count} are listed");
                }
            }
            var undeclared = info.Inputs.Where(p => declared.All(d => d.Name != p.Name)).Select(p => p.Name).ToList();
            if (undeclared.Count > 0)
            {
                ctx.Error(Rule, document, ["spec", "model", "onnx", "inputs"], $"{path} also has input(s) {string.Join(", ", undeclared)}; list each with its features");
            }
        }
        else if (onnx.Input is { } input)
        {
            if (info.Inputs.All(p => p.Name != input))
            {
                ctx.Error(Rule, document, ["spec", "model", "onnx", "input"], $"{path} has no input '{input}' (its inputs: {inputs})");
            }
            else if (info.Inputs.Count > 1)
            {
                ctx.Error(Rule, document, ["spec", "model", "onnx", "input"],
                    $"{path} has {info.Inputs.Count} inputs ({inputs}); declare them under 'inputs', each with the features it takes");
            }
        }
        foreach (var port in info.Inputs.Where(p => !p.IsFloatTensor))
        {
            ctx.Error(Rule, document, ["spec", "model", "onnx", "path"], $"input '{port.Name}' of {path} is a {port.Type}; only float tensors are supported");
        }

        var output = info.Outputs.FirstOrDefault(o => o.Name == onnx.Output);
        var outputs = string.Join(", ", info.Outputs.Select(o => o.Name));
        if (output is null)
        {
            ctx.Error(Rule, document, ["spec", "model", "onnx", "output"], $"{path} has no output '{onnx.Output}' (its outputs: {outputs})");
        }
        if (onnx.Label is { } label && info.Outputs.All(o => o.Name != label))
        {
            ctx.Error(Rule, document, ["spec", "model", "onnx", "label"], $"{path} has no output '{label}' (its outputs: {outputs})");
        }
        if (output is null)
        {
            return;
        }
        if (!output.IsFloatTensor && !output.IsZipMap)
        {
            ctx.Error(Rule, document, ["spec", "model", "onnx", "output"],
                $"output '{output.Name}' of {path} is a {output.Type}; read a float tensor (scores, probabilities) or a ZipMap");
            return;
        }
        var task = definition.Value.Model.Task ?? (definition.Value.Category == "regime" ? "multiclass" : "regression");
        if (task == "multiclass")
        {
            var classes = definition.Value.Model.Classes;
            if (classes is null)
            {
                ctx.Error(Rule, document, ["spec", "model"], $"an imported classifier lists its classes under model.classes, in label order ({path} outputs {output.Width?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "K"} per row)");
            }
            else if (output.Width is { } k && k != classes.Count)
            {
                ctx.Error(Rule, document, ["spec", "model", "classes"], $"{classes.Count} classes are listed, but output '{output.Name}' of {path} gives {k} probabilities per row");
            }
        }
        else if (output.IsZipMap || output.Width is > 1)
        {
            ctx.Error(Rule, document, ["spec", "model", "onnx", "output"],
                $"output '{output.Name}' of {path} gives {output.Width?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "several"} values per row; a {task} model reads one (or set task: multiclass)");
        }
    }

    private static void CheckInstance(LintContext ctx, Spec<ModelInstanceSpec> instance, OnnxSpec onnx, string path, OnnxModelInfo info)
    {
        if (instance.Value.Features is not { } selection || !ctx.Specs.FeatureSets.TryGetValue(selection.FeatureSet, out var set))
        {
            return;
        }
        var features = FeatureSelection.Of(set.Value, selection);
        object[] at = selection.Include is null ? ["spec", "features"] : ["spec", "features", "include"];
        if (onnx.Inputs is { } declared)
        {
            var listed = declared.SelectMany(d => d.Features).ToList();
            var missing = listed.Where(f => !features.Contains(f)).ToList();
            var unused = features.Where(f => !listed.Contains(f)).ToList();
            if (missing.Count > 0 || unused.Count > 0)
            {
                ctx.Error(Rule, instance.Document, at,
                    $"the model's inputs take features {string.Join(", ", listed)}, but this instance selects {string.Join(", ", features)}" +
                    (missing.Count > 0 ? $" (not selected: {string.Join(", ", missing)})" : "") + (unused.Count > 0 ? $" (not taken by any input: {string.Join(", ", unused)})" : ""));
            }
            return;
        }
        var input = info.Inputs.FirstOrDefault(p => p.Name == onnx.Input);
        if (input?.Width is { } width && width != features.Count && info.Inputs.Count == 1)
        {
            ctx.Error(Rule, instance.Document, at,
                $"input '{input.Name}' of {path} takes {width} feature(s) per row, but this instance selects {features.Count} ({string.Join(", ", features)}); " +
                "the features go to the input in the feature set's order");
        }
    }
}
