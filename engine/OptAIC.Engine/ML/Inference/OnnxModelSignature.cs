using System.Globalization;

namespace OptAIC.Engine.ML.Inference;

/// <summary>A named input of a multi-input model and the feature columns it takes, in its own order ([-1, n]).</summary>
public sealed record OnnxInput(string Name, IReadOnlyList<string> Features);

/// <summary>
/// What a model definition declares about an ONNX model: the input and output tensor names, the
/// feature columns in the order a row lays them out, and the expected shapes ([-1, F] in,
/// [-1, K] or [-1] out; -1 is the batch dimension). The output is a float tensor (regression scores,
/// class probabilities) or a ZipMap (a sequence of class -> probability maps, as the scikit-learn,
/// LightGBM and XGBoost exporters write classifiers).
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

    /// <summary>
    /// The named inputs of a multi-input model, each fed its own features; null for one input
    /// (<see cref="InputName"/>) that takes every feature in <see cref="FeatureNames"/> order.
    /// </summary>
    public IReadOnlyList<OnnxInput>? Inputs { get; init; }

    /// <summary>
    /// A classifier's class names in label order (output column k is class k); a ZipMap with text keys
    /// is read by these names. Null: keys are the label indexes 0..K-1.
    /// </summary>
    public IReadOnlyList<string>? ClassLabels { get; init; }

    /// <summary>A model with several named inputs; <paramref name="featureNames"/> is the row layout the scorer is given.</summary>
    public static OnnxModelSignature ForInputs(IReadOnlyList<OnnxInput> inputs, string outputName, IReadOnlyList<string> featureNames, int outputWidth = 1) =>
        new(inputs[0].Name, outputName, featureNames, [-1, featureNames.Count], [-1, outputWidth]) { Inputs = inputs };

    /// <summary>The inputs as fed: the declared ones, or the one input taking every feature.</summary>
    public IReadOnlyList<OnnxInput> EffectiveInputs => Inputs ?? [new OnnxInput(InputName, FeatureNames)];

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
        if (Inputs is { } inputs)
        {
            var used = inputs.SelectMany(i => i.Features).ToList();
            var unknown = used.FirstOrDefault(f => !FeatureNames.Contains(f));
            if (inputs.Count == 0 || inputs.Any(i => string.IsNullOrWhiteSpace(i.Name) || i.Features.Count == 0))
            {
                throw new OnnxModelException("each declared model input needs a name and at least one feature");
            }
            if (unknown is not null)
            {
                throw new OnnxModelException($"model input feature '{unknown}' is not one of the features ({string.Join(", ", FeatureNames)})");
            }
            if (used.Count != FeatureNames.Count || used.Distinct(StringComparer.Ordinal).Count() != used.Count)
            {
                throw new OnnxModelException(
                    $"the model inputs take {used.Count} features but there are {FeatureNames.Count}; give each feature to exactly one input");
            }
        }
        if (ClassLabels is { } labels && labels.Count != OutputWidth)
        {
            throw new OnnxModelException($"{labels.Count} class names are declared for {OutputWidth} outputs per row");
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
