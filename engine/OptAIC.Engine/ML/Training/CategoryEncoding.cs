using System.Globalization;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// How a model reads its categorical features: for each one, the categories its training rows held (in
/// ordinal order), each a slot of a one-hot block. Linear trainers and FastTree see the blocks as numbers;
/// LightGBM is told the blocks' ranges and splits on the categories themselves. A category the model never
/// saw sets no slot (it goes where "none of the categories of this split" goes) and is counted, never an error.
/// </summary>
internal sealed class CategoryEncoding
{
    /// <summary>The most categories one feature may have in training (one slot each).</summary>
    public const int MaximumCategories = 1000;

    private readonly int[] _offsets;

    public CategoryEncoding(IReadOnlyList<string> inputs, IReadOnlyList<string[]?> levels)
    {
        Inputs = [.. inputs];
        Levels = [.. levels];
        _offsets = new int[Inputs.Length];
        var width = 0;
        for (var i = 0; i < Inputs.Length; i++)
        {
            _offsets[i] = width;
            width += Levels[i]?.Length ?? 1;
        }
        Width = width;
    }

    /// <summary>The model's input features, in order.</summary>
    public string[] Inputs { get; }

    /// <summary>Per input: its categories (null for a numeric feature).</summary>
    public string[]?[] Levels { get; }

    /// <summary>Slots after expansion: one per numeric feature, one per category.</summary>
    public int Width { get; }

    /// <summary>The categorical features with their categories, as the model records them.</summary>
    public Dictionary<string, string[]> ByName()
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < Inputs.Length; i++)
        {
            if (Levels[i] is { } levels)
            {
                result[Inputs[i]] = levels;
            }
        }
        return result;
    }

    /// <summary>[first, last] slot of each one-hot block, as ML.NET's CategoricalSlotRanges annotation wants them.</summary>
    public int[] SlotRanges()
    {
        var ranges = new List<int>();
        for (var i = 0; i < Inputs.Length; i++)
        {
            if (Levels[i] is { Length: > 0 } levels)
            {
                ranges.Add(_offsets[i]);
                ranges.Add(_offsets[i] + levels.Length - 1);
            }
        }
        return [.. ranges];
    }

    /// <summary>The categories of each categorical feature among <paramref name="rows"/> (all when null); null when there is none.</summary>
    public static CategoryEncoding? Learn(TrainingData data, int[]? rows)
    {
        if (data.Categories is not { Count: > 0 } categories || !data.FeatureNames.Any(categories.ContainsKey))
        {
            return null;
        }
        var width = data.Width;
        var levels = new string[]?[width];
        for (var f = 0; f < width; f++)
        {
            if (!categories.TryGetValue(data.FeatureNames[f], out var vocabulary))
            {
                continue;
            }
            var seen = new bool[vocabulary.Length];
            var count = rows?.Length ?? data.Rows;
            for (var i = 0; i < count; i++)
            {
                var row = rows is null ? i : rows[i];
                var code = data.Features[(row * width) + f];
                if (code >= 0 && code < vocabulary.Length)
                {
                    seen[(int)code] = true;
                }
            }
            var present = vocabulary.Where((_, c) => seen[c]).Order(StringComparer.Ordinal).ToArray();
            if (present.Length > MaximumCategories)
            {
                throw new TrainingDataException(
                    $"categorical feature '{data.FeatureNames[f]}' has {present.Length} categories in training; at most {MaximumCategories} " +
                    "are encoded (one slot each): group rare ones in the data or compare the column with strings instead");
            }
            levels[f] = present;
        }
        return new CategoryEncoding(data.FeatureNames, levels);
    }

    /// <summary>
    /// The rows of <paramref name="data"/> in the model's input layout: a categorical feature's code in the
    /// data's categories becomes its index among the model's (-1 for one it never saw, counted in
    /// <paramref name="unseen"/> per feature); numeric features are unchanged.
    /// </summary>
    public float[] ToModelCodes(TrainingData data, IDictionary<string, long>? unseen)
    {
        var width = Inputs.Length;
        var result = (float[])data.Features.Clone();
        for (var f = 0; f < width; f++)
        {
            if (Levels[f] is not { } levels)
            {
                continue;
            }
            var vocabulary = data.Categories?.GetValueOrDefault(Inputs[f])
                ?? throw new TrainingDataException(
                    $"feature '{Inputs[f]}' is categorical in the model (categories {Describe(levels)}) but the data gives numbers for it");
            var index = new Dictionary<string, int>(levels.Length, StringComparer.Ordinal);
            for (var c = 0; c < levels.Length; c++)
            {
                index[levels[c]] = c;
            }
            // Translate each of the data's codes once.
            var map = new float[vocabulary.Length];
            for (var c = 0; c < vocabulary.Length; c++)
            {
                map[c] = index.TryGetValue(vocabulary[c], out var m) ? m : -1;
            }
            long missing = 0;
            for (var r = 0; r < data.Rows; r++)
            {
                var at = (r * width) + f;
                var code = result[at];
                if (float.IsNaN(code))
                {
                    continue;
                }
                var mapped = code >= 0 && code < map.Length ? map[(int)code] : -1;
                if (mapped < 0)
                {
                    missing++;
                }
                result[at] = mapped;
            }
            if (unseen is not null && missing > 0)
            {
                unseen[Inputs[f]] = unseen.TryGetValue(Inputs[f], out var before) ? before + missing : missing;
            }
        }
        return result;
    }

    /// <summary>Expands rows in the model's input layout into the trainer's slots (one-hot blocks; NaN stays missing).</summary>
    public void Expand(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        var width = Inputs.Length;
        output[..(rows * Width)].Clear();
        for (var r = 0; r < rows; r++)
        {
            var source = input.Slice(r * width, width);
            var target = output.Slice(r * Width, Width);
            for (var f = 0; f < width; f++)
            {
                var value = source[f];
                var offset = _offsets[f];
                if (Levels[f] is not { } levels)
                {
                    target[offset] = value;
                }
                else if (float.IsNaN(value))
                {
                    target.Slice(offset, levels.Length).Fill(float.NaN);
                }
                else if (value >= 0 && value < levels.Length)
                {
                    target[offset + (int)value] = 1;
                }
            }
        }
    }

    private static string Describe(string[] levels) =>
        levels.Length <= 5
            ? string.Join(", ", levels)
            : string.Join(", ", levels.Take(5)) + string.Create(CultureInfo.InvariantCulture, $", ... ({levels.Length} in all)");
}
