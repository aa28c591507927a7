using System.Globalization;
using OptAIC.Engine.ML.Training;

namespace OptAIC.Tests.ML.Training;

/// <summary>Small data for training tests: synthetic with a known signal, or the real S&amp;P 500 file.</summary>
internal static class TrainingTestData
{
    public static readonly string[] Names = ["f0", "f1", "f2", "f3"];

    /// <summary>
    /// Daily rows from 2010-01-01: four standard-normal features; the regression label is
    /// 0.8 f0 - 0.5 f1 + 0.3 f0 f2 + noise; f3 is pure noise.
    /// </summary>
    public static TrainingData Synthetic(int rows, ModelTask task, int seed = 7, int classes = 3)
    {
        var random = new Random(seed);
        var width = Names.Length;
        var features = new float[rows * width];
        var labels = new double[rows];
        var times = new DateTime[rows];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < width; j++)
            {
                features[i * width + j] = (float)Normal(random);
            }
            var f = features.AsSpan(i * width, width);
            var y = 0.8 * f[0] - 0.5 * f[1] + 0.3 * f[0] * f[2] + 0.3 * Normal(random);
            labels[i] = task switch
            {
                ModelTask.Binary => y > 0 ? 1 : 0,
                ModelTask.Multiclass => y < -0.5 ? 0 : y < 0.5 ? 1 : Math.Min(classes - 1, 2),
                _ => y,
            };
            times[i] = new DateTime(2010, 1, 1).AddDays(i);
        }
        return new TrainingData(features, rows, Names, labels, times);
    }

    public static TrainingRequest Request(string algorithm, ModelTask task, TrainingData data, int seed = 42,
        IReadOnlyDictionary<string, object?>? hyperparameters = null) =>
        new(algorithm, task, hyperparameters ?? SmallModel(algorithm), seed, data);

    /// <summary>Few iterations so that the tests stay fast.</summary>
    public static IReadOnlyDictionary<string, object?> SmallModel(string algorithm) => algorithm switch
    {
        "lightgbm" => new Dictionary<string, object?> { ["numberOfIterations"] = 30, ["numberOfLeaves"] = 8, ["learningRate"] = 0.2 },
        "fasttree" => new Dictionary<string, object?> { ["numberOfTrees"] = 30, ["numberOfLeaves"] = 8, ["learningRate"] = 0.2 },
        _ => new Dictionary<string, object?> { ["maximumNumberOfIterations"] = 20 },
    };

    public static double Normal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>
    /// The S&amp;P 500 daily file as training data: features are the last 1, 5 and 20-day log returns
    /// and the 20-day volatility of daily log returns; the label is the next day's log return.
    /// </summary>
    public static TrainingData Sp500()
    {
        var lines = File.ReadAllLines(Sp500Path());
        var dates = new List<DateTime>();
        var close = new List<double>();
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            dates.Add(DateTime.ParseExact(cells[0], "yyyy-MM-dd", CultureInfo.InvariantCulture));
            close.Add(double.Parse(cells[5], CultureInfo.InvariantCulture));
        }
        var logReturn = new double[close.Count];
        for (var i = 1; i < close.Count; i++)
        {
            logReturn[i] = Math.Log(close[i] / close[i - 1]);
        }
        const int start = 21;
        var rows = close.Count - start;
        string[] names = ["ret1", "ret5", "ret20", "vol20"];
        var features = new float[rows * names.Length];
        var labels = new double[rows];
        var times = new DateTime[rows];
        for (var r = 0; r < rows; r++)
        {
            var t = r + start;
            var window = logReturn.AsSpan(t - 19, 20);
            var mean = 0.0;
            foreach (var x in window)
            {
                mean += x / 20;
            }
            var variance = 0.0;
            foreach (var x in window)
            {
                variance += (x - mean) * (x - mean) / 19;
            }
            features[r * 4] = (float)logReturn[t];
            features[r * 4 + 1] = (float)Math.Log(close[t] / close[t - 5]);
            features[r * 4 + 2] = (float)Math.Log(close[t] / close[t - 20]);
            features[r * 4 + 3] = (float)Math.Sqrt(variance);
            labels[r] = t + 1 < close.Count ? logReturn[t + 1] : double.NaN;
            times[r] = dates[t];
        }
        return new TrainingData(features, rows, names, labels, times);
    }

    private static string Sp500Path()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "sp500-2000.csv");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("shared/data/sp500-2000.csv not found above " + AppContext.BaseDirectory);
    }
}
