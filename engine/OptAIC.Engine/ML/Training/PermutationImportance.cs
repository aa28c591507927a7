namespace OptAIC.Engine.ML.Training;

/// <summary>
/// How much a model leans on one feature: the drop of a metric when that feature's column is
/// shuffled. <see cref="Relevance"/> is the feature's share of all positive mean drops (0 for a
/// feature whose shuffling does not hurt); the relevances of a model sum to 1 unless no feature
/// matters, when all are 0.
/// </summary>
public sealed record FeatureImportance(string Feature, double MeanDrop, double StdDrop, double Relevance);

/// <summary>Permutation feature importance, computed by the engine (seeded, parallel over features).</summary>
public static class PermutationImportance
{
    /// <summary>
    /// For each feature, <paramref name="repeats"/> times: shuffle that column of
    /// <paramref name="evalData"/> (the other columns untouched), score, and record
    /// drop = metric(baseline) - metric(shuffled). <paramref name="metric"/> takes
    /// (predictions rows x OutputWidth, labels) and must be higher-is-better (see
    /// <see cref="MetricSet.ScoreFunction"/>). Each (feature, repeat) has its own generator derived
    /// from <paramref name="seed"/>, so results do not depend on <paramref name="maxParallelism"/>
    /// (default: the processor count). StdDrop is the sample standard deviation over repeats
    /// (0 for one repeat).
    /// </summary>
    public static IReadOnlyList<FeatureImportance> Compute(
        TrainedModel model, TrainingData evalData, Func<double[], double[], double> metric, int repeats, int seed,
        int maxParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(evalData);
        ArgumentNullException.ThrowIfNull(metric);
        if (repeats < 1)
        {
            throw new ModelConfigurationException($"permutation importance needs at least 1 repeat, not {repeats}");
        }
        evalData.Validate();
        model.CheckFeatures(evalData.FeatureNames);
        if (evalData.Rows < 2)
        {
            throw new TrainingDataException($"permutation importance needs at least 2 rows to shuffle, not {evalData.Rows}");
        }
        var baseline = metric(model.Predict(evalData), evalData.Labels);
        var width = evalData.Width;
        var drops = new double[width][];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, width, options, () => (float[])evalData.Features.Clone(), (feature, _, features) =>
        {
            var permuted = evalData with { Features = features };
            var column = new float[evalData.Rows];
            for (var r = 0; r < column.Length; r++)
            {
                column[r] = evalData.Features[r * width + feature];
            }
            drops[feature] = new double[repeats];
            for (var k = 0; k < repeats; k++)
            {
                var random = new Random(SeedFor(seed, feature, k));
                var shuffled = (float[])column.Clone();
                random.Shuffle(shuffled);
                for (var r = 0; r < shuffled.Length; r++)
                {
                    features[r * width + feature] = shuffled[r];
                }
                drops[feature][k] = baseline - metric(model.Predict(permuted), evalData.Labels);
            }
            for (var r = 0; r < column.Length; r++)
            {
                features[r * width + feature] = column[r];
            }
            return features;
        }, _ => { });

        var means = drops.Select(d => d.Average()).ToArray();
        var positive = means.Where(m => m > 0).Sum();
        var result = new FeatureImportance[width];
        for (var j = 0; j < width; j++)
        {
            var std = repeats < 2 ? 0 : Math.Sqrt(drops[j].Sum(d => (d - means[j]) * (d - means[j])) / (repeats - 1));
            result[j] = new FeatureImportance(evalData.FeatureNames[j], means[j], std, positive > 0 && means[j] > 0 ? means[j] / positive : 0);
        }
        return result;
    }

    // SplitMix64 over (seed, feature, repeat): stable across processes, unlike HashCode.
    private static int SeedFor(int seed, int feature, int repeat)
    {
        var z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + ((ulong)(uint)feature << 32) + (uint)repeat);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
