using System.Globalization;
using System.Text.Json;

namespace OptAIC.Engine.Web.Serving;

/// <summary>A request the protocol or the model cannot take: a 400 whose message names the field or input.</summary>
public sealed class InferRequestException(string message) : Exception(message);

/// <summary>A parsed inference request: its id, the feature rows row-major in the model's feature order (a categorical
/// feature as its category's index in the model, -1 for one it never saw), and those unseen categories' counts per feature.</summary>
public sealed record InferRequest(string? Id, int Rows, float[] Features, IReadOnlyList<string>? Outputs, IReadOnlyDictionary<string, long>? Unseen = null);

/// <summary>
/// Reads an Open Inference Protocol request body for one model and checks it completely before anything is scored:
/// either one input per feature (shape [N] or [N, 1]) or one input of shape [N, F] with the features in the model's
/// order; datatypes FP32, FP64, INT64 (JSON numbers; INT64 integral) or BYTES (numbers as text); data row-major, flat
/// or nested; every value a finite number (a row with a missing feature cannot be scored). Each problem is an
/// <see cref="InferRequestException"/> naming the input.
/// </summary>
public static class InferRequestParser
{
    internal const int MaxNesting = 16;

    internal static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = 32,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        AllowDuplicateProperties = false,
    };

    public static InferRequest Parse(ReadOnlyMemory<byte> body, ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (body.IsEmpty)
        {
            throw new InferRequestException("the request has no body; send the protocol's JSON: {\"inputs\": [...]}");
        }
        // The common shape in one forward pass; anything else (and every mistake) goes through the full reader
        // below, which takes the same requests to the same values and names each problem.
        return FastInferRequestReader.TryRead(body.Span, model) ?? ParseFully(body, model);
    }

    /// <summary>The full reader alone: every shape the protocol allows, and the error naming the input for every mistake.</summary>
    internal static InferRequest ParseFully(ReadOnlyMemory<byte> body, ServedModel model)
    {
        if (body.IsEmpty)
        {
            throw new InferRequestException("the request has no body; send the protocol's JSON: {\"inputs\": [...]}");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Options);
        }
        catch (JsonException e)
        {
            throw new InferRequestException($"the body is not valid JSON: {FirstSentence(e.Message)}");
        }
        using (document)
        {
            try
            {
                return Read(document.RootElement, model);
            }
            catch (InvalidOperationException)
            {
                // Valid JSON whose escapes do not make text (a lone surrogate such as \ud800): not a name or a value.
                throw new InferRequestException("the body holds a string that is not valid text (a lone \\uD800-\\uDFFF escape)");
            }
        }
    }

    private static InferRequest Read(JsonElement root, ServedModel model)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InferRequestException($"the body is a JSON {Kind(root)}; send an object: {{\"inputs\": [...]}}");
        }
        string? id = null;
        JsonElement? inputs = null;
        List<string>? outputs = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    id = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()
                        : throw new InferRequestException($"id is a {Kind(property.Value)}; it must be a string");
                    break;
                case "parameters":
                    RequireObject(property.Value, "parameters");
                    break;
                case "inputs":
                    inputs = property.Value;
                    break;
                case "outputs":
                    outputs = ReadOutputs(property.Value, model);
                    break;
                default:
                    throw new InferRequestException($"unknown field '{Clip(property.Name)}' in the request; it has id, parameters, inputs and outputs");
            }
        }
        if (inputs is not { } list)
        {
            throw new InferRequestException("the request has no inputs; give one per feature, or one [rows, features] input");
        }
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new InferRequestException($"inputs is a {Kind(list)}; it must be an array of tensors");
        }
        var tensors = new List<Tensor>(list.GetArrayLength());
        foreach (var input in list.EnumerateArray())
        {
            tensors.Add(ReadTensor(input, tensors.Count));
        }
        if (tensors.Count == 0)
        {
            throw new InferRequestException("inputs is empty; give one per feature, or one [rows, features] input");
        }
        // One 2-D input holds every feature, in the model's order (a feature's own name with [rows, 1] is the same thing for one feature).
        var unseen = model.HasCategories ? new Dictionary<string, long>(StringComparer.Ordinal) : null;
        var (rows, features) = tensors is [{ Shape.Length: 2 } only] && (!model.FeatureIndex.ContainsKey(only.Name) || only.Shape[1] == model.Features.Count)
            ? Matrix(only, model)
            : ByName(tensors, model, unseen);
        return new InferRequest(id, rows, features, outputs, unseen is { Count: > 0 } ? unseen : null);
    }

    private static List<string> ReadOutputs(JsonElement value, ServedModel model)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new InferRequestException($"outputs is a {Kind(value)}; it must be an array of {{\"name\": ...}}");
        }
        var known = OipProtocol.Outputs(model).Select(o => o.Name).ToList();
        var names = new List<string>();
        foreach (var output in value.EnumerateArray())
        {
            if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw new InferRequestException($"outputs[{names.Count}] must be an object with a string name");
            }
            foreach (var property in output.EnumerateObject())
            {
                if (property.Name is not ("name" or "parameters"))
                {
                    throw new InferRequestException($"outputs[{names.Count}]: unknown field '{Clip(property.Name)}'; a requested output has name and parameters");
                }
            }
            var text = name.GetString()!;
            if (!known.Contains(text, StringComparer.Ordinal))
            {
                throw new InferRequestException($"requested output '{Clip(text)}' is not an output of {model.Name} (its outputs: {string.Join(", ", known)})");
            }
            if (names.Contains(text, StringComparer.Ordinal))
            {
                throw new InferRequestException($"requested output '{text}' is asked for twice");
            }
            names.Add(text);
        }
        return names.Count == 0 ? throw new InferRequestException("outputs is empty; leave it out to get every output") : names;
    }

    private sealed record Tensor(string Name, TensorDatatype Datatype, long[] Shape, JsonElement Data);

    private static Tensor ReadTensor(JsonElement input, int index)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            throw new InferRequestException($"inputs[{index}] is a {Kind(input)}; each input is an object with name, datatype, shape and data");
        }
        string? name = null;
        string? datatype = null;
        JsonElement? shape = null;
        JsonElement? data = null;
        foreach (var property in input.EnumerateObject())
        {
            switch (property.Name)
            {
                case "name":
                    name = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new InferRequestException($"inputs[{index}]: name is a {Kind(property.Value)}; it must be a string");
                    break;
                case "datatype":
                    datatype = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new InferRequestException($"inputs[{index}]: datatype is a {Kind(property.Value)}; it must be a string");
                    break;
                case "shape":
                    shape = property.Value;
                    break;
                case "data":
                    data = property.Value;
                    break;
                case "parameters":
                    RequireObject(property.Value, $"inputs[{index}].parameters");
                    break;
                default:
                    throw new InferRequestException($"inputs[{index}]: unknown field '{Clip(property.Name)}'; an input has name, datatype, shape, data and parameters");
            }
        }
        var label = name is null ? $"inputs[{index}]" : $"input '{Clip(name)}'";
        if (name is null)
        {
            throw new InferRequestException($"{label} has no name");
        }
        if (datatype is null)
        {
            throw new InferRequestException($"{label} has no datatype; use one of {string.Join(", ", OipProtocol.AcceptedDatatypes)}");
        }
        if (!OipProtocol.TryParseDatatype(datatype, out var type))
        {
            throw new InferRequestException($"{label}: datatype '{Clip(datatype)}' is not accepted; use one of {string.Join(", ", OipProtocol.AcceptedDatatypes)}");
        }
        if (shape is not { ValueKind: JsonValueKind.Array } dims)
        {
            throw new InferRequestException($"{label} has no shape (an array such as [rows] or [rows, features])");
        }
        var sizes = new List<long>();
        foreach (var d in dims.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var size) || size < 0)
            {
                throw new InferRequestException($"{label}: shape [{dims.GetRawText()}] must hold non-negative integers");
            }
            sizes.Add(size);
        }
        if (sizes.Count is 0 or > 2)
        {
            throw new InferRequestException($"{label}: shape has {sizes.Count} dimensions; give [rows] or [rows, 1] per feature, or [rows, features]");
        }
        if (data is not { } values)
        {
            throw new InferRequestException($"{label} has no data");
        }
        return new Tensor(name, type, [.. sizes], values);
    }

    private static (int Rows, float[] Features) Matrix(Tensor tensor, ServedModel model)
    {
        var f = model.Features.Count;
        if (tensor.Shape[1] != f)
        {
            throw new InferRequestException(
                $"input '{Clip(tensor.Name)}': shape [{tensor.Shape[0]}, {tensor.Shape[1]}] has {tensor.Shape[1]} columns; {model.Name} takes {f} features as [rows, {f}] ({string.Join(", ", model.Features)}), or one input per feature");
        }
        if (model.HasCategories)
        {
            throw new InferRequestException(
                $"input '{Clip(tensor.Name)}': {model.Name} has categorical features ({string.Join(", ", model.CategoryNames.Keys)}); give one input per feature, the categorical ones as BYTES category names");
        }
        var rows = Rows(tensor, tensor.Shape[0], f);
        var features = new float[rows * f];
        Fill(tensor, features, 0, 1, rows * f, null);
        return (rows, features);
    }

    private static (int Rows, float[] Features) ByName(List<Tensor> tensors, ServedModel model, Dictionary<string, long>? unseen)
    {
        var f = model.Features.Count;
        var seen = new Tensor?[f];
        long? rows = null;
        foreach (var tensor in tensors)
        {
            if (!model.FeatureIndex.TryGetValue(tensor.Name, out var column))
            {
                var hint = tensors.Count == 1 && tensor.Shape.Length == 2 ? $"; one [rows, {f}] input holds every feature" : "";
                throw new InferRequestException($"input '{Clip(tensor.Name)}' is not a feature of {model.Name} (its features: {string.Join(", ", model.Features)}){hint}");
            }
            if (seen[column] is not null)
            {
                throw new InferRequestException($"input '{tensor.Name}' is given twice");
            }
            if (tensor.Shape.Length == 2 && tensor.Shape[1] != 1)
            {
                throw new InferRequestException($"input '{tensor.Name}': shape [{tensor.Shape[0]}, {tensor.Shape[1]}] is not one value per row; give [rows] or [rows, 1]");
            }
            if (rows is { } n && tensor.Shape[0] != n)
            {
                throw new InferRequestException($"input '{tensor.Name}' has {tensor.Shape[0]} rows, the inputs before it {n}; every feature needs one value per row");
            }
            rows = tensor.Shape[0];
            seen[column] = tensor;
        }
        for (var c = 0; c < f; c++)
        {
            if (seen[c] is null)
            {
                throw new InferRequestException($"input '{model.Features[c]}' is missing; {model.Name} needs every feature: {string.Join(", ", model.Features)}");
            }
        }
        var count = Rows(seen[0]!, rows!.Value, 1);
        var features = new float[count * f];
        for (var c = 0; c < f; c++)
        {
            var categories = model.Categories.TryGetValue(model.Features[c], out var known)
                ? new CategoryColumn(model.Features[c], known, model.CategoryNames[model.Features[c]])
                : null;
            if (categories is not null && seen[c]!.Datatype != TensorDatatype.BYTES)
            {
                throw new InferRequestException(
                    $"input '{seen[c]!.Name}' is categorical: its datatype is BYTES, each value a category name ({categories.Describe()}); a category the model never saw is scored and counted");
            }
            Fill(seen[c]!, features, c, f, count, categories);
            if (categories is { Unseen: > 0 })
            {
                unseen![categories.Feature] = categories.Unseen;
            }
        }
        return (count, features);
    }

    private static int Rows(Tensor tensor, long rows, int width)
    {
        if (rows == 0)
        {
            throw new InferRequestException($"input '{Clip(tensor.Name)}': shape has 0 rows; send at least one");
        }
        if (rows > Array.MaxLength / Math.Max(width, 1) / 2)
        {
            throw new InferRequestException($"input '{Clip(tensor.Name)}': shape has {rows} rows; that is more than a request can hold");
        }
        return (int)rows;
    }

    /// <summary>Writes the tensor's <paramref name="count"/> values, flattened row-major, to target[offset + i * stride].</summary>
    private static void Fill(Tensor tensor, float[] target, int offset, int stride, int count, CategoryColumn? categories)
    {
        var written = 0;
        Walk(tensor, tensor.Data, target, offset, stride, count, ref written, 0, categories);
        if (written != count)
        {
            throw new InferRequestException($"input '{Clip(tensor.Name)}': shape [{string.Join(", ", tensor.Shape)}] needs {count} values; data has {written}");
        }
    }

    private static void Walk(Tensor tensor, JsonElement element, float[] target, int offset, int stride, int count, ref int written, int depth, CategoryColumn? categories)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            if (depth > MaxNesting)
            {
                throw new InferRequestException($"input '{Clip(tensor.Name)}': data is nested deeper than {MaxNesting} arrays");
            }
            foreach (var item in element.EnumerateArray())
            {
                Walk(tensor, item, target, offset, stride, count, ref written, depth + 1, categories);
            }
            return;
        }
        if (depth == 0)
        {
            throw new InferRequestException($"input '{Clip(tensor.Name)}': data is a {Kind(element)}; it must be an array");
        }
        if (written >= count)
        {
            throw new InferRequestException($"input '{Clip(tensor.Name)}': data has more values than its shape [{string.Join(", ", tensor.Shape)}] holds ({count})");
        }
        target[offset + (written * stride)] = categories is null ? Value(tensor, element, written) : categories.Code(tensor, element, written);
        written++;
    }

    private static float Value(Tensor tensor, JsonElement element, int index)
    {
        double value;
        switch (tensor.Datatype)
        {
            case TensorDatatype.BYTES:
                if (element.ValueKind != JsonValueKind.String)
                {
                    throw Bad(tensor, index, $"is a {Kind(element)}; BYTES data are strings (numbers as text)");
                }
                var text = element.GetString()!;
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                {
                    throw Bad(tensor, index, $"'{Clip(text)}' is not a number");
                }
                break;
            case TensorDatatype.INT64:
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var integer))
                {
                    throw Bad(tensor, index, element.ValueKind == JsonValueKind.Number ? $"{Clip(element.GetRawText())} is not a 64-bit integer" : $"is a {Kind(element)}; INT64 data are integers");
                }
                value = integer;
                break;
            default:
                if (element.ValueKind != JsonValueKind.Number)
                {
                    throw Bad(tensor, index, $"is a {Kind(element)}; {tensor.Datatype} data are numbers");
                }
                if (!element.TryGetDouble(out value))
                {
                    throw Bad(tensor, index, $"{Clip(element.GetRawText())} is not a finite number");
                }
                break;
        }
        if (!double.IsFinite(value))
        {
            throw Bad(tensor, index, "is not a finite number (NaN and infinity are not allowed: a row with a missing feature cannot be scored)");
        }
        // The model takes 32-bit features: apply converts each value exactly so.
        var single = (float)value;
        if (!float.IsFinite(single))
        {
            throw Bad(tensor, index, $"{value.ToString("R", CultureInfo.InvariantCulture)} is beyond the model's 32-bit features");
        }
        return single;
    }

    /// <summary>A categorical feature's column: category names to the model's indices, and how many it never saw.</summary>
    private sealed class CategoryColumn(string feature, IReadOnlyDictionary<string, int> known, IReadOnlyList<string> names)
    {
        public string Feature { get; } = feature;

        public long Unseen { get; private set; }

        /// <summary>The category's index in the model; -1 (scored as apply scores it: no category slot set) for one it never saw, counted.</summary>
        public float Code(Tensor tensor, JsonElement element, int index)
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                throw Bad(tensor, index, $"is a {Kind(element)}; a categorical feature's data are category names (strings)");
            }
            if (known.TryGetValue(element.GetString()!, out var code))
            {
                return code;
            }
            Unseen++;
            return -1;
        }

        public string Describe() =>
            names.Count <= 5 ? string.Join(", ", names) : string.Join(", ", names.Take(5)) + $", ... ({names.Count} in all)";
    }

    private static InferRequestException Bad(Tensor tensor, int index, string problem) =>
        new($"input '{Clip(tensor.Name)}': data[{index}] {problem}");

    private static void RequireObject(JsonElement value, string what)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InferRequestException($"{what} is a {Kind(value)}; it must be an object");
        }
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    /// <summary>Names from the request are echoed in errors; a long one is cut.</summary>
    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
