namespace OptAIC.Engine.ML.Training;

/// <summary>The kind of prediction a model makes.</summary>
public enum ModelTask
{
    /// <summary>One real-valued score per row.</summary>
    Regression,

    /// <summary>Labels 0/1; the model outputs the probability of 1.</summary>
    Binary,

    /// <summary>Labels 0..K-1; the model outputs K class probabilities.</summary>
    Multiclass,
}

/// <summary>
/// Rows to train on or to score, as plain arrays (the engine maps frames and specs onto this).
/// <see cref="Features"/> is row-major: <see cref="Rows"/> x <see cref="FeatureNames"/>.Length,
/// NaN is missing. Rows are in time order (and entity order within a time for panels).
/// A NaN label means "not known yet" (the end of a forward-looking target): such rows are left
/// out of training and of metrics.
/// </summary>
public sealed record TrainingData(
    float[] Features,
    int Rows,
    string[] FeatureNames,
    double[] Labels,
    DateTime[] Times,
    string[]? Entities = null)
{
    public int Width => FeatureNames.Length;

    /// <summary>
    /// Categorical features by name: their values in <see cref="Features"/> are codes, code c standing for
    /// <c>Categories[name][c]</c> (NaN missing). The trainer encodes them (one-hot, or LightGBM's own
    /// categorical splits) with the categories its training rows hold; the model keeps those by name.
    /// </summary>
    public IReadOnlyDictionary<string, string[]>? Categories { get; init; }

    /// <summary>Throws <see cref="TrainingDataException"/> when the arrays do not agree in shape.</summary>
    public void Validate()
    {
        if (Features is null || FeatureNames is null || Labels is null || Times is null)
        {
            throw new TrainingDataException("training data is missing features, feature names, labels or times");
        }
        if (Rows < 0)
        {
            throw new TrainingDataException($"training data has a negative row count ({Rows})");
        }
        if (FeatureNames.Length == 0)
        {
            throw new TrainingDataException("training data has no feature columns: list at least one feature");
        }
        if ((long)Rows * FeatureNames.Length != Features.Length)
        {
            throw new TrainingDataException(
                $"training data has {Features.Length} feature values but {Rows} rows x {FeatureNames.Length} features " +
                $"= {(long)Rows * FeatureNames.Length} were expected");
        }
        CheckLength("labels", Labels.Length);
        CheckLength("times", Times.Length);
        if (Entities is not null)
        {
            CheckLength("entities", Entities.Length);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in FeatureNames)
        {
            if (string.IsNullOrWhiteSpace(name) || !seen.Add(name))
            {
                throw new TrainingDataException($"feature name '{name}' is empty or appears twice: feature names must be unique");
            }
        }
    }

    /// <summary>The given rows, in the given order, as new arrays.</summary>
    public TrainingData Select(ReadOnlySpan<int> rows)
    {
        var width = Width;
        var features = new float[rows.Length * width];
        var labels = new double[rows.Length];
        var times = new DateTime[rows.Length];
        var entities = Entities is null ? null : new string[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            if ((uint)r >= (uint)Rows)
            {
                throw new TrainingDataException($"row index {r} is outside the training data (0..{Rows - 1})");
            }
            Features.AsSpan(r * width, width).CopyTo(features.AsSpan(i * width, width));
            labels[i] = Labels[r];
            times[i] = Times[r];
            if (entities is not null)
            {
                entities[i] = Entities![r];
            }
        }
        return new TrainingData(features, rows.Length, FeatureNames, labels, times, entities) { Categories = Categories };
    }

    private void CheckLength(string what, int length)
    {
        if (length != Rows)
        {
            throw new TrainingDataException($"training data has {length} {what} but {Rows} rows: every row needs one");
        }
    }
}

/// <summary>What to train: algorithm, task, hyperparameters (camelCase names), seed and data.</summary>
/// <param name="Algorithm">lightgbm, fasttree or sdca.</param>
/// <param name="ClassCount">For multiclass: the number of classes K; null means max(label) + 1.</param>
public sealed record TrainingRequest(
    string Algorithm,
    ModelTask Task,
    IReadOnlyDictionary<string, object?> Hyperparameters,
    int Seed,
    TrainingData Data,
    int? ClassCount = null);
