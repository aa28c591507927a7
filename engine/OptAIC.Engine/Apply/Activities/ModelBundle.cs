using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using OptAIC.Engine.ML.Inference;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// What a registered version's artifact holds: the fitted model's bytes (ML.NET, combiner, or none for
/// a filter) and what scoring needs besides it: feature names, classes, and the statistics of the
/// training predictions that the output transform uses (never those of the scored batch, which would
/// look ahead). Stored as a zip with fixed timestamps, so equal content gives equal bytes and sha256.
/// </summary>
public sealed class ModelBundle
{
    public const string MediaType = "application/vnd.optaic.model+zip";

    public string Category { get; set; } = "";
    public string Algorithm { get; set; } = "";
    public string Task { get; set; } = "regression";
    public List<string> Features { get; set; } = [];
    public List<string> Classes { get; set; } = [];
    public List<string> Inputs { get; set; } = [];
    public string? Regime { get; set; }

    /// <summary>Statistics of the out-of-sample training predictions: tanh-zscore and rank read these.</summary>
    public TransformState? Transform { get; set; }

    [JsonIgnore]
    public byte[] Model { get; set; } = [];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private static readonly DateTimeOffset Epoch = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "bundle.json", JsonSerializer.SerializeToUtf8Bytes(this, Json));
            Write(zip, "model.bin", Model);
        }
        return buffer.ToArray();
    }

    public static ModelBundle FromBytes(byte[] bytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var bundle = JsonSerializer.Deserialize<ModelBundle>(Read(zip, "bundle.json"), Json)
                ?? throw new InvalidDataException("empty bundle.json");
            bundle.Model = Read(zip, "model.bin");
            return bundle;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or IOException)
        {
            throw new JobException($"the model artifact is damaged or not an OptAIC model ({e.Message}); retrain the version");
        }
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// The one way a version's model scores rows, whoever trained it: an ML.NET model trained here, or an
    /// imported ONNX file fed the bundle's features as the definition maps them to the model's inputs.
    /// Apply's inference and evaluation and the model server all score through this.
    /// </summary>
    public IBatchScorer OpenScorer(Specs.Model.ModelDefinitionSpec definition)
    {
        if (Algorithm != Specs.Model.ImportedModels.Onnx)
        {
            return ML.Training.TrainedModel.FromBytes(Model);
        }
        var onnx = definition.Model.Onnx ?? throw new JobException("the definition has algorithm onnx but no model.onnx");
        var multiclass = Task == "multiclass";
        var width = multiclass ? Math.Max(1, Classes.Count) : 1;
        var signature = onnx.Inputs is { Count: > 0 } inputs
            ? OnnxModelSignature.ForInputs([.. inputs.Select(i => new OnnxInput(i.Name, i.Features))], onnx.Output, Features, width)
            : OnnxModelSignature.ForTable(onnx.Input ?? "", onnx.Output, Features, width);
        if (multiclass && Classes.Count > 0)
        {
            signature = signature with { ClassLabels = Classes };
        }
        try
        {
            return new OnnxScorer(Model, signature);
        }
        catch (OnnxModelException e)
        {
            throw new JobException($"the ONNX model does not match its definition: {e.Message}");
        }
    }

    private static void Write(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = Epoch;
        using var stream = entry.Open();
        stream.Write(content);
    }

    private static byte[] Read(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"no {name}");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
