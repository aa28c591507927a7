namespace OptAIC.Engine.Data;

/// <summary>One validation fold: row indices into a time-ordered frame, each array ascending.</summary>
public sealed record Fold(int Index, int[] Train, int[] Test);

public enum TrainWindow
{
    /// <summary>Train on everything before the test block.</summary>
    Expanding,

    /// <summary>Train on a fixed number of time steps before the test block.</summary>
    Rolling,
}

/// <summary>A validation scheme that cannot be applied to the data or is set up wrong; the message says what to change.</summary>
public sealed class SplitException : Exception
{
    public SplitException()
    {
    }

    public SplitException(string message)
        : base(message)
    {
    }

    public SplitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Walk-forward validation over time steps (the distinct times of a frame sorted by time, so all rows
/// of one date of a panel stay together). The last <c>folds × testSize</c> steps form contiguous test
/// blocks in time order; each fold trains on steps before its block, ending early enough that no
/// training label window [t, t + labelHorizon] reaches the block, plus <c>embargo</c> more steps.
/// </summary>
public sealed class WalkForwardSplitter
{
    private readonly int _folds;
    private readonly TrainWindow _window;
    private readonly int? _trainSize;
    private readonly int? _testSize;
    private readonly int _labelHorizon;
    private readonly int _embargo;

    /// <param name="folds">Number of test blocks (at least 1).</param>
    /// <param name="window">Expanding or rolling training window.</param>
    /// <param name="trainSize">Rolling window length in time steps (default: what the first fold has).</param>
    /// <param name="testSize">Test block length in time steps (default: steps / (folds + 1)).</param>
    /// <param name="labelHorizon">Time steps a label looks ahead: the label of t spans [t, t + labelHorizon].</param>
    /// <param name="embargo">Extra time steps left out between training and test.</param>
    public WalkForwardSplitter(int folds, TrainWindow window = TrainWindow.Expanding, int? trainSize = null, int? testSize = null, int labelHorizon = 0, int embargo = 0)
    {
        Splitting.Require(folds >= 1, $"walk-forward needs at least 1 fold, not {folds}");
        Splitting.Require(trainSize is null or > 0, $"the training window must be at least 1 time step, not {trainSize}");
        Splitting.Require(testSize is null or > 0, $"the test block must be at least 1 time step, not {testSize}");
        Splitting.Require(labelHorizon >= 0, $"the label horizon cannot be negative ({labelHorizon})");
        Splitting.Require(embargo >= 0, $"the embargo cannot be negative ({embargo})");
        _folds = folds;
        _window = window;
        _trainSize = trainSize;
        _testSize = testSize;
        _labelHorizon = labelHorizon;
        _embargo = embargo;
    }

    public IReadOnlyList<Fold> Split(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return Split(frame.Time);
    }

    public IReadOnlyList<Fold> Split(IReadOnlyList<DateTime> time)
    {
        var steps = Splitting.Steps(time);
        var count = steps.Length - 1;
        var testSize = _testSize ?? count / (_folds + 1);
        var gap = _labelHorizon + _embargo;
        var needed = (_folds * Math.Max(testSize, 1)) + gap + 1;
        Splitting.Require(
            testSize >= 1 && count >= needed,
            $"{count} time steps are too few for {_folds} walk-forward folds (test blocks of {Math.Max(testSize, 1)} steps, label horizon {_labelHorizon}, embargo {_embargo}): at least {needed} are needed so the first fold has training rows; use fewer folds, a shorter horizon, or more data");
        var folds = new List<Fold>(_folds);
        var firstTrainEnd = count - (_folds * testSize) - gap;
        var rolling = _window == TrainWindow.Rolling ? _trainSize ?? firstTrainEnd : int.MaxValue;
        for (var f = 0; f < _folds; f++)
        {
            var testStart = count - ((_folds - f) * testSize);
            var trainEnd = testStart - gap;
            var trainStart = Math.Max(0, trainEnd - rolling);
            folds.Add(new Fold(f, Splitting.Rows(steps, trainStart, trainEnd), Splitting.Rows(steps, testStart, testStart + testSize)));
        }
        return folds;
    }
}

/// <summary>
/// Purged k-fold cross-validation with embargo (López de Prado, Advances in Financial Machine Learning,
/// ch. 7) over time steps. The steps are cut into k contiguous test folds (sizes differ by at most one;
/// together they cover every row once). For a test fold spanning steps [a, b] with labels reaching
/// b + labelHorizon, a training step t is purged when its label window [t, t + labelHorizon] overlaps
/// [a, b + labelHorizon], and the <c>embargo</c> steps right after that are dropped too: training
/// resumes at step b + labelHorizon + embargo + 1.
/// </summary>
public sealed class PurgedKFoldSplitter
{
    private readonly int _folds;
    private readonly int _labelHorizon;
    private readonly int _embargo;

    public PurgedKFoldSplitter(int folds, int labelHorizon = 0, int embargo = 0)
    {
        Splitting.Require(folds >= 2, $"purged k-fold needs at least 2 folds, not {folds}");
        Splitting.Require(labelHorizon >= 0, $"the label horizon cannot be negative ({labelHorizon})");
        Splitting.Require(embargo >= 0, $"the embargo cannot be negative ({embargo})");
        _folds = folds;
        _labelHorizon = labelHorizon;
        _embargo = embargo;
    }

    public IReadOnlyList<Fold> Split(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return Split(frame.Time);
    }

    public IReadOnlyList<Fold> Split(IReadOnlyList<DateTime> time)
    {
        var steps = Splitting.Steps(time);
        var count = steps.Length - 1;
        Splitting.Require(
            count >= _folds,
            $"{count} time steps are too few for {_folds} purged folds: each test fold needs at least one time step; use fewer folds or more data");
        var folds = new List<Fold>(_folds);
        var start = 0;
        for (var f = 0; f < _folds; f++)
        {
            var size = (count / _folds) + (f < count % _folds ? 1 : 0);
            var a = start;
            var b = start + size - 1;
            start += size;
            var before = Math.Max(0, a - _labelHorizon);
            var after = (int)Math.Min(count, (long)b + _labelHorizon + _embargo + 1);
            var train = Splitting.Rows(steps, 0, before).Concat(Splitting.Rows(steps, after, count)).ToArray();
            Splitting.Require(
                train.Length > 0,
                $"fold {f + 1} of {_folds} has no training rows left after purging (label horizon {_labelHorizon}) and embargo ({_embargo}) over {count} time steps; use fewer folds, a shorter horizon or embargo, or more data");
            folds.Add(new Fold(f, train, Splitting.Rows(steps, a, b + 1)));
        }
        return folds;
    }
}

internal static class Splitting
{
    public static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new SplitException(message);
        }
    }

    /// <summary>Row index where each distinct time starts, plus the row count at the end.</summary>
    public static int[] Steps(IReadOnlyList<DateTime> time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var starts = new List<int>();
        for (var i = 0; i < time.Count; i++)
        {
            if (i > 0 && time[i] < time[i - 1])
            {
                throw new SplitException($"rows must be sorted by time to split them (row {i + 1} at {time[i]:O} comes after {time[i - 1]:O}); the dataset reader returns sorted frames");
            }
            if (i == 0 || time[i] != time[i - 1])
            {
                starts.Add(i);
            }
        }
        starts.Add(time.Count);
        return [.. starts];
    }

    /// <summary>The rows of time steps [from, to).</summary>
    public static int[] Rows(int[] steps, int from, int to)
    {
        if (to <= from)
        {
            return [];
        }
        var first = steps[from];
        var rows = new int[steps[to] - first];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = first + i;
        }
        return rows;
    }
}
