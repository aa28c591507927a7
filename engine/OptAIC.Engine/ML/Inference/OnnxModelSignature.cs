using System.Globalization;

namespace OptAIC.Engine.ML.Inference;

/// <summary>
/// What a model definition declares about an ONNX model: the input and output tensor names, the
/// feature columns in the order the input lays them out, and the expected shapes ([-1, F] in,
/// [-1, K] or [-1] out; -1 is the batch dimension).
/// </summary>
public sealed record OnnxModelSignature(
    string InputName,
    string OutputName,
    IReadOnlyList<string> FeatureNames,
    IReadOnlyList<long> InputShape,
    IReadOnlyList<long> OutputShape)
{
    /// <summary>The usual table model: input [-1, features], output [-1, outputWidth].</summary>
    public static OnnxModelSignature ForTable(string inputName, string outputName, IReadOnlyList<string> featureNames, int outputWidth = 1) =>
        new(inputName, outputName, featureNames, [-1, featureNames.Count], [-1, outputWidth]);

    /// <summary>Values per output row (K), from the declared output shape.</summary>
    public int OutputWidth => OutputShape.Count == 1 ? 1 : checked((int)OutputShape[1]);

    /// <summary>Checks the declaration on its own, before it is compared with a model.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(InputName) || string.IsNullOrWhiteSpace(OutputName))
        {
            throw new OnnxModelException("the definition must name the model's input and output tensors");
        }
        if (FeatureNames.Count == 0)
        {
            throw new OnnxModelException("the definition lists no feature names; list the input columns in the order the model expects them");
        }
        var duplicate = FeatureNames.GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new OnnxModelException($"the definition lists feature '{duplicate.Key}' more than once");
        }
        if (InputShape.Count != 2 || InputShape[0] != -1 || InputShape[1] != FeatureNames.Count)
        {
            throw new OnnxModelException(
                $"the definition declares input shape {Format(InputShape)} but lists {FeatureNames.Count} feature names; " +
                $"declare [-1,{FeatureNames.Count}]");
        }
        var outputOk = (OutputShape.Count == 1 && OutputShape[0] == -1)
            || (OutputShape.Count == 2 && OutputShape[0] == -1 && OutputShape[1] >= 1);
        if (!outputOk)
        {
            throw new OnnxModelException($"the definition declares output shape {Format(OutputShape)}; declare [-1,K] (K values per row) or [-1]");
        }
    }

    internal static string Format(IEnumerable<long> shape) =>
        "[" + string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}

/// <summary>An ONNX model that cannot be loaded, or that does not match what its definition declares.</summary>
public sealed class OnnxModelException : Exception
{
    public OnnxModelException(string message)
        : base(message)
    {
    }

    public OnnxModelException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public OnnxModelException()
    {
    }
}
