using Microsoft.ML.OnnxRuntime;

namespace OptAIC.Engine.ML.Inference;

/// <summary>One input or output of an ONNX model as the file declares it.</summary>
/// <param name="Type">"float tensor", "int64 tensor", "ZipMap" (a sequence of maps), ...</param>
/// <param name="Width">Values per row: the second dimension of a [-1, K] tensor, 1 for [-1], the map size of a ZipMap; null when the file leaves it open.</param>
public sealed record OnnxPort(string Name, string Type, int? Width)
{
    public bool IsFloatTensor => Type == "float tensor";

    public bool IsZipMap => Type == "ZipMap";
}

/// <summary>
/// What an ONNX file declares: its inputs and outputs with their widths, read once with ONNX Runtime so
/// lint can compare them with the spec before anything runs. A ZipMap's class count is not in the
/// file's types: it is read off one probe row of zeros.
/// </summary>
public sealed record OnnxModelInfo(IReadOnlyList<OnnxPort> Inputs, IReadOnlyList<OnnxPort> Outputs)
{
    /// <exception cref="OnnxModelException">The bytes are not a model ONNX Runtime can load.</exception>
    public static OnnxModelInfo Read(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        InferenceSession session;
        try
        {
            session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"ONNX Runtime cannot load it: {FirstLine(ex.Message)}", ex);
        }
        using (session)
        {
            var inputs = session.InputMetadata.Select(p => Port(p.Key, p.Value)).ToList();
            var outputs = session.OutputMetadata.Select(p => Port(p.Key, p.Value)).ToList();
            if (outputs.Any(o => o.IsZipMap) && inputs.All(i => i.IsFloatTensor && i.Width is not null))
            {
                var sizes = ProbeZipMaps(session, inputs, outputs.Where(o => o.IsZipMap).Select(o => o.Name).ToArray());
                outputs = [.. outputs.Select(o => sizes.TryGetValue(o.Name, out var k) ? o with { Width = k } : o)];
            }
            return new OnnxModelInfo(inputs, outputs);
        }
    }

    private static OnnxPort Port(string name, NodeMetadata meta)
    {
        if (meta.OnnxValueType == OnnxValueType.ONNX_TYPE_SEQUENCE
            && meta.AsSequenceMetadata().ElementMeta.OnnxValueType == OnnxValueType.ONNX_TYPE_MAP)
        {
            return new OnnxPort(name, "ZipMap", null);
        }
        if (!meta.IsTensor)
        {
            return new OnnxPort(name, meta.OnnxValueType.ToString(), null);
        }
        var type = (meta.IsString ? "string" : meta.ElementDataType.ToString().ToLowerInvariant()) + " tensor";
        var dims = meta.Dimensions;
        int? width = dims.Length switch
        {
            1 => 1,
            2 when dims[1] >= 0 => dims[1],
            _ => null,
        };
        return new OnnxPort(name, type, width);
    }

    private static Dictionary<string, int> ProbeZipMaps(InferenceSession session, List<OnnxPort> inputs, string[] zipMaps)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(new float[i.Width!.Value], [1, i.Width!.Value])).ToArray();
        try
        {
            using var results = session.Run(new RunOptions(), [.. inputs.Select(i => i.Name)], values, zipMaps);
            var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < zipMaps.Length; i++)
            {
                using var map = results[i].GetValue(0, OrtAllocator.DefaultInstance);
                using var keys = map.GetValue(0, OrtAllocator.DefaultInstance);
                sizes[zipMaps[i]] = checked((int)keys.GetTensorTypeAndShape().ElementCount);
            }
            return sizes;
        }
        catch (OnnxRuntimeException)
        {
            // A model that cannot score a row of zeros still has its declared ports; scoring reports the error.
            return [];
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
