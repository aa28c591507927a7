using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using OptAIC.Engine.ML.Metrics;
using OptAIC.Engine.ML.Training;

namespace OptAIC.Engine.ML.Models;

/// <summary>How a combiner weighs its input signals.</summary>
public enum CombineMethod
{
    /// <summary>Every signal weighs 1/m.</summary>
    Equal,

    /// <summary>Weights proportional to max(IC, 0) of each signal against the label, summing to 1.</summary>
    IcWeighted,

    /// <summary>Closed-form ridge regression of the label on the signals, without intercept.</summary>
    Ridge,
}

/// <summary>
/// Fits the weights that combine m input signals (each an array over the same rows, in [-1, 1])
/// into one. Signals are arrays indexed [signal][row].
/// </summary>
public sealed class SignalCombiner
{
    private SignalCombiner(CombineMethod method, double lambda)
    {
        Method = method;
        Lambda = lambda;
    }

    public CombineMethod Method { get; }

    /// <summary>The ridge penalty (0 for the other methods).</summary>
    public double Lambda { get; }

    public static SignalCombiner Equal() => new(CombineMethod.Equal, 0);

    public static SignalCombiner IcWeighted() => new(CombineMethod.IcWeighted, 0);

    /// <summary>
    /// Ridge weights w = (X'X/n + lambda I)^-1 X'y/n over the n rows where the label and every
    /// signal are finite. No intercept: signals and returns are centred on zero by construction, and
    /// an intercept would add a constant position unrelated to any signal. The penalty is per row
    /// (X'X/n), so lambda means the same whatever the sample size; lambda = 0 is least squares.
    /// </summary>
    public static SignalCombiner Ridge(double lambda) =>
        double.IsFinite(lambda) && lambda >= 0
            ? new(CombineMethod.Ridge, lambda)
            : throw new ModelConfigurationException($"ridge lambda must be a finite number >= 0, not {lambda}");

    public CombinerModel Fit(double[][] signals, double[] label)
    {
        CombinerModel.CheckSignals(signals, label.Length);
        var m = signals.Length;
        var weights = Method switch
        {
            CombineMethod.Equal => EqualWeights(m),
            CombineMethod.IcWeighted => IcWeights(signals, label),
            _ => RidgeWeights(signals, label, Lambda),
        };
        return new CombinerModel(Method, Lambda, weights);
    }

    private static double[] EqualWeights(int m)
    {
        var weights = new double[m];
        Array.Fill(weights, 1.0 / m);
        return weights;
    }

    private static double[] IcWeights(double[][] signals, double[] label)
    {
        var weights = new double[signals.Length];
        var sum = 0.0;
        for (var k = 0; k < signals.Length; k++)
        {
            var ic = SignalMetrics.Ic(signals[k], label);
            weights[k] = double.IsFinite(ic) ? Math.Max(ic, 0) : 0;
            sum += weights[k];
        }
        if (sum <= 0)
        {
            // No signal has a positive IC: no evidence to prefer one, so weigh them alike.
            return EqualWeights(signals.Length);
        }
        for (var k = 0; k < weights.Length; k++)
        {
            weights[k] /= sum;
        }
        return weights;
    }

    private static double[] RidgeWeights(double[][] signals, double[] label, double lambda)
    {
        var m = signals.Length;
        var a = new double[m, m];
        var b = new double[m];
        var n = 0;
        for (var i = 0; i < label.Length; i++)
        {
            if (!double.IsFinite(label[i]) || signals.Any(s => !double.IsFinite(s[i])))
            {
                continue;
            }
            n++;
            for (var p = 0; p < m; p++)
            {
                b[p] += signals[p][i] * label[i];
                for (var q = 0; q < m; q++)
                {
                    a[p, q] += signals[p][i] * signals[q][i];
                }
            }
        }
        if (n == 0)
        {
            throw new TrainingDataException("no row has a finite label and finite values for every signal: the combiner cannot be fitted");
        }
        for (var p = 0; p < m; p++)
        {
            b[p] /= n;
            for (var q = 0; q < m; q++)
            {
                a[p, q] /= n;
            }
            a[p, p] += lambda;
        }
        return Solve(a, b);
    }

    // Gaussian elimination with partial pivoting; m is the handful of input signals.
    private static double[] Solve(double[,] a, double[] b)
    {
        var m = b.Length;
        var scale = 0.0;
        for (var p = 0; p < m; p++)
        {
            scale = Math.Max(scale, Math.Abs(a[p, p]));
        }
        for (var col = 0; col < m; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < m; r++)
            {
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = r;
                }
            }
            if (Math.Abs(a[pivot, col]) <= 1e-12 * Math.Max(scale, double.Epsilon))
            {
                throw new ModelConfigurationException(
                    "the input signals are collinear (or one is constant zero), so least squares has no unique weights: use a ridge lambda > 0");
            }
            if (pivot != col)
            {
                for (var c = 0; c < m; c++)
                {
                    (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
                }
                (b[col], b[pivot]) = (b[pivot], b[col]);
            }
            for (var r = col + 1; r < m; r++)
            {
                var factor = a[r, col] / a[col, col];
                for (var c = col; c < m; c++)
                {
                    a[r, c] -= factor * a[col, c];
                }
                b[r] -= factor * b[col];
            }
        }
        var x = new double[m];
        for (var r = m - 1; r >= 0; r--)
        {
            var sum = b[r];
            for (var c = r + 1; c < m; c++)
            {
                sum -= a[r, c] * x[c];
            }
            x[r] = sum / a[r, r];
        }
        return x;
    }
}

/// <summary>
/// Fitted combiner weights. <see cref="Combine"/> gives sum_k w_k s_k per row, clipped to [-1, 1];
/// a NaN input counts as 0 (that signal has no view), and a row where every input is NaN stays NaN.
/// </summary>
public sealed class CombinerModel
{
    private static readonly byte[] Magic = "OPTAICCB"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly double[] _weights;

    public CombinerModel(CombineMethod method, double lambda, double[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Length == 0 || weights.Any(w => !double.IsFinite(w)))
        {
            throw new ModelConfigurationException("combiner weights must be one finite number per input signal");
        }
        Method = method;
        Lambda = lambda;
        _weights = [.. weights];
    }

    public CombineMethod Method { get; }

    public double Lambda { get; }

    public IReadOnlyList<double> Weights => _weights;

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(ToBytes()));

    public double[] Combine(double[][] signals)
    {
        if (signals is null || signals.Length != _weights.Length)
        {
            throw new TrainingDataException(
                $"the combiner was fitted on {_weights.Length} signals but {signals?.Length ?? 0} were given: pass them in the same order");
        }
        var rows = signals[0]?.Length ?? 0;
        CheckSignals(signals, rows);
        var result = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            double sum = 0;
            var present = false;
            for (var k = 0; k < signals.Length; k++)
            {
                var s = signals[k][i];
                if (double.IsFinite(s))
                {
                    sum += _weights[k] * s;
                    present = true;
                }
            }
            result[i] = present ? Math.Clamp(sum, -1, 1) : double.NaN;
        }
        return result;
    }

    /// <summary>"OPTAICCB", a little-endian int32 length and a JSON body (method, lambda, weights).</summary>
    public byte[] ToBytes()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Body(1, Method.ToString(), Lambda, _weights), Json);
        var result = new byte[Magic.Length + 4 + body.Length];
        Magic.CopyTo(result, 0);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(Magic.Length), body.Length);
        body.CopyTo(result, Magic.Length + 4);
        return result;
    }

    public static CombinerModel FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new ModelArtifactException("not an OptAIC combiner artifact (the OPTAICCB header is missing)");
        }
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length));
        if (length <= 0 || length != bytes.Length - Magic.Length - 4)
        {
            throw new ModelArtifactException($"combiner artifact length {length} does not match its {bytes.Length} bytes: it is truncated or corrupt");
        }
        try
        {
            var body = JsonSerializer.Deserialize<Body>(bytes.AsSpan(Magic.Length + 4), Json);
            if (body?.Weights is null || body.Format != 1 || !Enum.TryParse<CombineMethod>(body.Method, out var method))
            {
                throw new ModelArtifactException("combiner artifact has an unsupported format, method or no weights");
            }
            return new CombinerModel(method, body.Lambda, body.Weights);
        }
        catch (JsonException e)
        {
            throw new ModelArtifactException($"combiner artifact is not valid JSON: {e.Message}", e);
        }
    }

    internal static void CheckSignals(double[][] signals, int rows)
    {
        if (signals is null || signals.Length == 0)
        {
            throw new TrainingDataException("a combiner needs at least one input signal");
        }
        for (var k = 0; k < signals.Length; k++)
        {
            if (signals[k] is null || signals[k].Length != rows)
            {
                throw new TrainingDataException(
                    $"input signal {k} has {signals[k]?.Length ?? 0} values but {rows} rows were expected: align the signals on the same rows");
            }
        }
    }

    private sealed record Body(int Format, string Method, double Lambda, double[] Weights);
}
