using System.Globalization;

namespace OptAIC.Engine.ML.Inference;

/// <summary>
/// Checks a run's (transformed) scores must pass before anything is published:
/// every finite score within [<see cref="Min"/>, <see cref="Max"/>]; no NaN or infinite score unless
/// <see cref="AllowNaN"/>; and coverage, the share of rows with a finite score among the rows whose
/// features were complete, at least <see cref="MinCoverage"/> (coverage only bites when NaN is allowed,
/// and a run with no complete row passes it). Rows skipped for missing features are not checked.
/// For multiclass output the class probabilities are checked, and a row counts once.
/// </summary>
public sealed record Guardrails(double Min, double Max, bool AllowNaN, double MinCoverage)
{
    /// <summary>Signals: within [-1, 1], no NaN, every row with features scored.</summary>
    public static Guardrails Signal { get; } = new(-1, 1, false, 1.0);

    /// <summary>No limits: only useful to collect the summary.</summary>
    public static Guardrails None { get; } = new(double.NegativeInfinity, double.PositiveInfinity, true, 0.0);

    internal void Validate()
    {
        if (double.IsNaN(Min) || double.IsNaN(Max) || Min > Max)
        {
            throw new ArgumentException($"guardrails: min {Min} must not exceed max {Max}");
        }
        if (!(MinCoverage >= 0 && MinCoverage <= 1))
        {
            throw new ArgumentException($"guardrails: minCoverage {MinCoverage} must be within [0, 1]");
        }
    }
}

/// <summary>A run's scores broke its guardrails; nothing was published. The counts cover the whole run.</summary>
public sealed class GuardrailException : Exception
{
    public GuardrailException(string message)
        : base(message)
    {
    }

    public GuardrailException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public GuardrailException()
    {
    }

    internal GuardrailException(string message, long rowsChecked, long outOfBounds, long nonFinite, double coverage)
        : base(message)
    {
        RowsChecked = rowsChecked;
        OutOfBounds = outOfBounds;
        NonFinite = nonFinite;
        Coverage = coverage;
    }

    /// <summary>Rows with complete features that were scored and checked.</summary>
    public long RowsChecked { get; }

    public long OutOfBounds { get; }

    /// <summary>NaN or infinite scores (counted as violations only when NaN is not allowed).</summary>
    public long NonFinite { get; }

    public double Coverage { get; }
}

/// <summary>Accumulates guardrail counts over the chunks of a run, so the verdict and its counts cover the whole run.</summary>
internal sealed class GuardrailTally(Guardrails rails)
{
    private long _checked;
    private long _finite;
    private long _outOfBounds;
    private long _nonFinite;
    private long _firstOutRow = -1;
    private double _firstOutValue;
    private long _firstNonFiniteRow = -1;
    private double _firstNonFiniteValue;

    public long Checked => _checked;

    /// <summary>Checks rows of <paramref name="width"/> values each; <paramref name="rowNumbers"/> are the input's 0-based row numbers.</summary>
    public void Add(ReadOnlySpan<double> values, int width, ReadOnlySpan<long> rowNumbers)
    {
        var rows = values.Length / width;
        for (var r = 0; r < rows; r++)
        {
            _checked++;
            var row = values.Slice(r * width, width);
            var finite = true;
            var outside = false;
            var outValue = 0.0;
            var nonFiniteValue = 0.0;
            foreach (var v in row)
            {
                if (!double.IsFinite(v))
                {
                    if (finite)
                    {
                        nonFiniteValue = v;
                    }
                    finite = false;
                }
                else if ((v < rails.Min || v > rails.Max) && !outside)
                {
                    outside = true;
                    outValue = v;
                }
            }
            if (finite)
            {
                _finite++;
            }
            else if (!rails.AllowNaN)
            {
                if (_nonFinite++ == 0)
                {
                    _firstNonFiniteRow = rowNumbers[r];
                    _firstNonFiniteValue = nonFiniteValue;
                }
            }
            if (outside)
            {
                if (_outOfBounds++ == 0)
                {
                    _firstOutRow = rowNumbers[r];
                    _firstOutValue = outValue;
                }
            }
        }
    }

    public double Coverage => _checked == 0 ? 1.0 : (double)_finite / _checked;

    public void ThrowIfBroken()
    {
        var problems = new List<string>();
        var scores = _checked == 1 ? "score" : "scores";
        if (_outOfBounds > 0)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{_outOfBounds:N0} of {_checked:N0} {scores} outside [{rails.Min}, {rails.Max}] (first at row {_firstOutRow}, value {_firstOutValue:G6})"));
        }
        if (_nonFinite > 0)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"{_nonFinite:N0} of {_checked:N0} {scores} NaN or infinite (first at row {_firstNonFiniteRow}, value {_firstNonFiniteValue}); NaN is not allowed"));
        }
        var coverage = Coverage;
        if (coverage < rails.MinCoverage)
        {
            problems.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"coverage {coverage:0.####} ({_finite:N0} of {_checked:N0} rows with complete features got a finite score) is under the minimum {rails.MinCoverage}"));
        }
        if (problems.Count > 0)
        {
            throw new GuardrailException(
                "guardrails failed: " + string.Join("; ", problems),
                _checked,
                _outOfBounds,
                _nonFinite,
                coverage);
        }
    }
}
