using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace OptAIC.Engine.Web.Serving;

/// <summary>The tensor datatypes serving accepts in a request (the Open Inference Protocol's names).</summary>
public enum TensorDatatype
{
    FP32,
    FP64,
    INT64,
    BYTES,
}

/// <summary>A tensor an instance takes or gives: its name, datatype and shape (-1 for the rows).</summary>
public sealed record TensorMetadata(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary>
/// The Open Inference Protocol's JSON over HTTP/REST (KServe's V2, as Triton, Seldon MLServer and OpenVINO speak
/// it): server and model metadata, and inference responses, written straight to UTF-8 with
/// <see cref="Utf8JsonWriter"/>. Errors are <c>{"error": "..."}</c> (with the status beside it, as every error of
/// the host).
/// </summary>
public static class OipProtocol
{
    public const string ServerName = "optaic";

    /// <summary>The output every instance gives: its published score (for a classifier, the index of the most likely class).</summary>
    public const string ScoreOutput = "score";

    public const string ClassOutput = "class";

    public const string ClassNameOutput = "class_name";

    /// <summary>The request datatypes, as the protocol spells them.</summary>
    public static IReadOnlyList<string> AcceptedDatatypes { get; } = ["FP32", "FP64", "INT64", "BYTES"];

    public static bool TryParseDatatype(string text, out TensorDatatype datatype)
    {
        switch (text)
        {
            case "FP32":
                datatype = TensorDatatype.FP32;
                return true;
            case "FP64":
                datatype = TensorDatatype.FP64;
                return true;
            case "INT64":
                datatype = TensorDatatype.INT64;
                return true;
            case "BYTES":
                datatype = TensorDatatype.BYTES;
                return true;
            default:
                datatype = default;
                return false;
        }
    }

    /// <summary>One input per feature (FP64, one value per row; BYTES category names for a categorical one); or, without categorical features, all of them at once as one [rows, features] input.</summary>
    public static IReadOnlyList<TensorMetadata> Inputs(ServedModel model) =>
        [.. model.Features.Select(f => new TensorMetadata(f, model.Categories.ContainsKey(f) ? "BYTES" : "FP64", [-1]))];

    /// <summary>score; for a classifier also class, class_name and p_&lt;class&gt; (as apply's prediction files).</summary>
    public static IReadOnlyList<TensorMetadata> Outputs(ServedModel model)
    {
        var outputs = new List<TensorMetadata> { new(ScoreOutput, "FP64", [-1]) };
        if (model.Multiclass)
        {
            outputs.Add(new(ClassOutput, "INT64", [-1]));
            outputs.Add(new(ClassNameOutput, "BYTES", [-1]));
            outputs.AddRange(Enumerable.Range(0, model.Scorer.OutputWidth).Select(c => new TensorMetadata("p_" + ClassName(model, c), "FP64", [-1])));
        }
        return outputs;
    }

    public static string ClassName(ServedModel model, int c) =>
        c >= 0 && c < model.Classes.Count ? model.Classes[c] : c.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>GET /v2</c>: the server's name, version and protocol extensions (none).</summary>
    public static byte[] ServerMetadata(string version)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", ServerName);
            json.WriteString("version", version);
            json.WriteStartArray("extensions");
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>GET /v2/models/{name}</c>: versions, platform, inputs, outputs, and how the model scores.</summary>
    public static byte[] ModelMetadata(ServedModel model, IReadOnlyList<int> versions)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", model.Name);
            json.WriteStartArray("versions");
            foreach (var v in versions)
            {
                json.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
            }
            json.WriteEndArray();
            json.WriteString("platform", model.Bundle.Algorithm == Specs.Model.ImportedModels.Onnx ? "onnxruntime_onnx" : $"optaic_mlnet_{model.Bundle.Algorithm}");
            WriteTensors(json, "inputs", Inputs(model));
            WriteTensors(json, "outputs", Outputs(model));
            json.WriteStartObject("parameters");
            json.WriteString("version", model.Version.ToString(CultureInfo.InvariantCulture));
            json.WriteString("category", model.Definition.Category);
            json.WriteString("output_transform", model.Multiclass ? "argmax" : model.Transform.ToString());
            json.WriteStartArray("bounds");
            WriteNumber(json, model.Guardrails.Min);
            WriteNumber(json, model.Guardrails.Max);
            json.WriteEndArray();
            json.WriteStartArray("features_shape");
            json.WriteNumberValue(-1);
            json.WriteNumberValue(model.Features.Count);
            json.WriteEndArray();
            json.WriteString("artifact_sha256", model.Record.Artifact.Sha256);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The protocol's inference response: name, version, the request's id, and the outputs asked for (all by default).</summary>
    public static void WriteInferResponse(IBufferWriter<byte> buffer, ServedModel model, string? id, ScoredRows scored, IReadOnlyList<string>? outputs, IReadOnlyDictionary<string, long>? unseen = null)
    {
        using var json = new Utf8JsonWriter(buffer);
        json.WriteStartObject();
        json.WriteString("model_name", model.Name);
        json.WriteString("model_version", model.Version.ToString(CultureInfo.InvariantCulture));
        if (id is not null)
        {
            json.WriteString("id", id);
        }
        json.WriteStartArray("outputs");
        var rows = scored.Rows;
        foreach (var output in outputs ?? [.. Outputs(model).Select(o => o.Name)])
        {
            json.WriteStartObject();
            json.WriteString("name", output);
            if (output == ScoreOutput)
            {
                WriteHeader(json, "FP64", rows);
                foreach (var s in scored.Scores)
                {
                    WriteNumber(json, s);
                }
            }
            else if (output == ClassOutput)
            {
                WriteHeader(json, "INT64", rows);
                foreach (var s in scored.Scores)
                {
                    json.WriteNumberValue((long)s);
                }
            }
            else if (output == ClassNameOutput)
            {
                WriteHeader(json, "BYTES", rows);
                foreach (var s in scored.Scores)
                {
                    json.WriteStringValue(ClassName(model, (int)s));
                }
            }
            else
            {
                // p_<class>: that class's probability in each row.
                var c = Enumerable.Range(0, scored.Classes).First(k => "p_" + ClassName(model, k) == output);
                WriteHeader(json, "FP64", rows);
                for (var r = 0; r < rows; r++)
                {
                    WriteNumber(json, scored.Probabilities![(r * scored.Classes) + c]);
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (unseen is { Count: > 0 })
        {
            // Rows scored with a category the model never saw, per feature (apply counts them in its infer run too).
            json.WriteStartObject("parameters");
            json.WriteStartObject("unseen_categories");
            foreach (var (feature, count) in unseen)
            {
                json.WriteNumber(feature, count);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter json, string datatype, int rows)
    {
        json.WriteString("datatype", datatype);
        json.WriteStartArray("shape");
        json.WriteNumberValue(rows);
        json.WriteEndArray();
        json.WriteStartArray("data");
    }

    // JSON has no NaN or infinity: an allowed NaN score (or an open bound) is null.
    private static void WriteNumber(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private static void WriteTensors(Utf8JsonWriter json, string name, IReadOnlyList<TensorMetadata> tensors)
    {
        json.WriteStartArray(name);
        foreach (var t in tensors)
        {
            json.WriteStartObject();
            json.WriteString("name", t.Name);
            json.WriteString("datatype", t.Datatype);
            json.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                json.WriteNumberValue(d);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
