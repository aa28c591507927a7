namespace OptAIC.Engine.ML.Inference;

/// <summary>
/// Scores batches of feature rows. Implemented for ML.NET models (training) and ONNX models
/// (inference), so batch inference, monitoring and the workflows treat both alike.
/// </summary>
public interface IBatchScorer : IDisposable
{
    /// <summary>The feature columns, in the order each row lays them out.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Values per row of output: 1 for a regression or binary score, K class probabilities for multiclass.</summary>
    int OutputWidth { get; }

    /// <summary>
    /// Scores <paramref name="rows"/> rows. <paramref name="features"/> is row-major
    /// (rows x FeatureNames.Count); <paramref name="output"/> is row-major (rows x OutputWidth).
    /// </summary>
    void Score(ReadOnlySpan<float> features, int rows, Span<float> output);
}
