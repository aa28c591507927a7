namespace OptAIC.Engine.ML.Metrics;

/// <summary>
/// Metrics of class probabilities against class labels 0..K-1. <c>probabilities</c> is row-major,
/// rows x K; the predicted class is the most probable one (the lowest class on a tie). A row counts
/// only when its label and all its probabilities are finite.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>Probabilities are clipped to [Epsilon, 1 - Epsilon] before the logarithm.</summary>
    public const double Epsilon = 1e-15;

    /// <summary>The share of rows whose predicted class is the label.</summary>
    public static double Accuracy(ReadOnlySpan<double> label, ReadOnlySpan<double> probabilities, int classes)
    {
        var confusion = Confusion(label, probabilities, classes, out var n);
        if (n == 0)
        {
            return double.NaN;
        }
        long correct = 0;
        for (var c = 0; c < classes; c++)
        {
            correct += confusion[c, c];
        }
        return (double)correct / n;
    }

    /// <summary>
    /// The mean over classes of F1 = 2 TP / (2 TP + FP + FN), over the classes that occur as a label
    /// or as a prediction (a class never seen nor predicted says nothing about the model).
    /// </summary>
    public static double MacroF1(ReadOnlySpan<double> label, ReadOnlySpan<double> probabilities, int classes)
    {
        var confusion = Confusion(label, probabilities, classes, out var n);
        if (n == 0)
        {
            return double.NaN;
        }
        double sum = 0;
        var counted = 0;
        for (var c = 0; c < classes; c++)
        {
            long tp = confusion[c, c], fp = 0, fn = 0;
            for (var o = 0; o < classes; o++)
            {
                if (o != c)
                {
                    fp += confusion[o, c];
                    fn += confusion[c, o];
                }
            }
            if (tp + fp + fn > 0)
            {
                sum += 2.0 * tp / (2.0 * tp + fp + fn);
                counted++;
            }
        }
        return sum / counted;
    }

    /// <summary>The recall TP / (TP + FN) of each class; NaN for a class with no row labelled with it.</summary>
    public static double[] Recall(ReadOnlySpan<double> label, ReadOnlySpan<double> probabilities, int classes)
    {
        var confusion = Confusion(label, probabilities, classes, out _);
        var result = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            long support = 0;
            for (var o = 0; o < classes; o++)
            {
                support += confusion[c, o];
            }
            result[c] = support == 0 ? double.NaN : (double)confusion[c, c] / support;
        }
        return result;
    }

    /// <summary>
    /// Cross-entropy: -mean(ln p[row, label]) with p clipped to [1e-15, 1 - 1e-15]; the probabilities
    /// are used as given (not renormalised).
    /// </summary>
    public static double LogLoss(ReadOnlySpan<double> label, ReadOnlySpan<double> probabilities, int classes)
    {
        CheckShape(label, probabilities, classes);
        double sum = 0;
        var n = 0;
        for (var i = 0; i < label.Length; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            if (!Valid(label[i], row, classes))
            {
                continue;
            }
            sum -= Math.Log(Math.Clamp(row[(int)label[i]], Epsilon, 1 - Epsilon));
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>The most probable class of each row (the lowest on a tie); -1 where a probability is NaN.</summary>
    public static int[] PredictedClasses(ReadOnlySpan<double> probabilities, int classes)
    {
        if (classes < 1 || probabilities.Length % classes != 0)
        {
            throw new ArgumentException($"{probabilities.Length} probabilities do not make rows of {classes} classes");
        }
        var result = new int[probabilities.Length / classes];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = ArgMax(probabilities.Slice(i * classes, classes));
        }
        return result;
    }

    // confusion[actual, predicted]
    private static long[,] Confusion(ReadOnlySpan<double> label, ReadOnlySpan<double> probabilities, int classes, out long n)
    {
        CheckShape(label, probabilities, classes);
        var confusion = new long[classes, classes];
        n = 0;
        for (var i = 0; i < label.Length; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            if (!Valid(label[i], row, classes))
            {
                continue;
            }
            confusion[(int)label[i], ArgMax(row)]++;
            n++;
        }
        return confusion;
    }

    private static bool Valid(double label, ReadOnlySpan<double> row, int classes)
    {
        if (!double.IsFinite(label))
        {
            return false;
        }
        if (label < 0 || label >= classes || label != Math.Floor(label))
        {
            throw new ArgumentException($"label {label} is not a class 0..{classes - 1}");
        }
        foreach (var p in row)
        {
            if (!double.IsFinite(p))
            {
                return false;
            }
        }
        return true;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        var best = -1;
        for (var c = 0; c < row.Length; c++)
        {
            if (double.IsNaN(row[c]))
            {
                return -1;
            }
            if (best < 0 || row[c] > row[best])
            {
                best = c;
            }
        }
        return best;
    }

    private static void CheckShape(ReadOnlySpan<double> label, ReadOnlySpan<double> probabilities, int classes)
    {
        if (classes < 2 || probabilities.Length != (long)label.Length * classes)
        {
            throw new ArgumentException(
                $"{probabilities.Length} probabilities do not make {label.Length} rows of {classes} classes (at least 2)");
        }
    }
}
