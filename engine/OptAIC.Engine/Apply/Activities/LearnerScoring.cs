using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// How a learner's version turns feature rows into published scores: the model's raw outputs, then for a
/// classifier the most likely class, otherwise the definition's output transform with the training statistics
/// stored in the version, then the definition's guardrails. Apply's infer step (InferActivity) and
/// <c>optaic serve</c> both score through it; a test holds the two to the same score for every row.
/// </summary>
public static class LearnerScoring
{
    private const int ChunkRows = 8192;

    /// <summary>The model's raw outputs for <paramref name="rows"/> row-major feature rows: rows x OutputWidth values, in chunks.</summary>
    public static double[] Raw(IBatchScorer model, ReadOnlySpan<float> features, int rows, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var width = model.OutputWidth;
        var featureCount = model.FeatureNames.Count;
        var output = new float[rows * width];
        for (var from = 0; from < rows; from += ChunkRows)
        {
            ct.ThrowIfCancellationRequested();
            var n = Math.Min(ChunkRows, rows - from);
            model.Score(features.Slice(from * featureCount, n * featureCount), n, output.AsSpan(from * width, n * width));
        }
        var result = new double[output.Length];
        for (var i = 0; i < output.Length; i++)
        {
            result[i] = output[i];
        }
        return result;
    }

    /// <summary>The most likely class of each row of <paramref name="classes"/> probabilities (the first on ties; -1 when none is a number).</summary>
    public static double[] Argmax(ReadOnlySpan<double> probabilities, int rows, int classes)
    {
        var predicted = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var best = -1;
            var bestP = double.NegativeInfinity;
            for (var c = 0; c < classes; c++)
            {
                var p = probabilities[(r * classes) + c];
                if (p > bestP)
                {
                    bestP = p;
                    best = c;
                }
            }
            predicted[r] = best;
        }
        return predicted;
    }

    /// <summary>The definition's output transform: its own, else tanh-zscore for a signal and none for the rest.</summary>
    public static OutputTransform TransformFor(ModelDefinitionSpec definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var name = definition.Inference.Transform ?? (definition.Category == "signal" ? "tanh-zscore" : "none");
        var bounds = definition.Inference.Bounds;
        return name == "clip"
            ? OutputTransform.Clip(bounds?[0] ?? -1, bounds?[1] ?? 1)
            : OutputTransform.Parse(name);
    }

    /// <summary>Transforms raw scores in place with the version's training statistics (rows grouped by <paramref name="time"/> for a panel rank).</summary>
    public static void Transform(ModelDefinitionSpec definition, Span<double> scores, ReadOnlySpan<DateTime> time, bool panel, ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var transform = TransformFor(definition);
        if (transform.Kind == OutputTransformKind.None)
        {
            return;
        }
        transform.Apply(scores, time, panel, bundle.Transform);
    }

    /// <summary>The definition's guardrails: its bounds (a signal's [-1, 1] by default), NaN and coverage; for classes, non-negative.</summary>
    public static Guardrails GuardrailsFor(ModelDefinitionSpec definition, bool classes)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var signalLike = definition.Category is "signal" or "combining" or "filtering";
        var bounds = definition.Inference.Bounds;
        var rails = new Guardrails(
            bounds?[0] ?? (signalLike ? -1 : double.NegativeInfinity),
            bounds?[1] ?? (signalLike ? 1 : double.PositiveInfinity),
            definition.Inference.AllowNaN ?? false,
            definition.Inference.MinCoverage ?? 0.95);
        return classes ? rails with { Min = 0, Max = double.PositiveInfinity } : rails;
    }

    /// <summary>Throws <see cref="GuardrailException"/> (with the counts, and the first offending row) when the scores break the guardrails.</summary>
    public static void CheckGuardrails(ModelDefinitionSpec definition, ReadOnlySpan<double> scores, bool classes)
    {
        var tally = new GuardrailTally(GuardrailsFor(definition, classes));
        var rowNumbers = new long[scores.Length];
        for (var i = 0; i < rowNumbers.Length; i++)
        {
            rowNumbers[i] = i;
        }
        tally.Add(scores, 1, rowNumbers);
        tally.ThrowIfBroken();
    }
}
