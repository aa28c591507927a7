using OptAIC.Engine.Data;
using OptAIC.Engine.Features;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// An instance's data, point in time: the feature set's source dataset with its joined datasets (as
/// of each row's time), every feature and target computed, and the instance's feature and target
/// columns named. Windows are cut from it for training, scoring and monitoring.
/// </summary>
public sealed class PreparedData
{
    private PreparedData(Frame frame, IReadOnlyList<string> features, string? target, int horizon)
    {
        Frame = frame;
        Features = features;
        Target = target;
        Horizon = horizon;
    }

    public Frame Frame { get; }

    public IReadOnlyList<string> Features { get; }

    public string? Target { get; }

    /// <summary>How many rows ahead the target reads (0 without a target).</summary>
    public int Horizon { get; }

    public static PreparedData Load(SpecSet specs, ModelInstanceSpec instance, string repositoryRoot, FeatureFrameCache? cache = null)
    {
        if (instance.Features is not { } selection)
        {
            throw new JobException($"instance reads no feature set; add spec.features");
        }
        var result = cache is null
            ? Compute(specs, selection.FeatureSet, repositoryRoot)
            : cache.GetOrAdd(selection.FeatureSet, () => Compute(specs, selection.FeatureSet, repositoryRoot));
        var features = DesiredFingerprints.SelectedFeatures(specs.FeatureSets[selection.FeatureSet].Value, selection);
        var horizon = instance.Target is { } target && result.Horizons.TryGetValue(target, out var h) ? h : 0;
        return new PreparedData(result.Frame, features, instance.Target, horizon);
    }

    /// <summary>A feature set's rows: the source dataset, its as-of joins, every feature and target computed.</summary>
    private static FeatureResult Compute(SpecSet specs, string featureSet, string repositoryRoot)
    {
        var set = specs.FeatureSets[featureSet].Value;
        var frame = DatasetReader.Read(SpecBindings.Dataset(specs, set.Source), repositoryRoot);
        foreach (var join in set.Join)
        {
            var other = DatasetReader.Read(SpecBindings.Dataset(specs, join.Dataset), repositoryRoot);
            var columns = join.Columns ?? [.. other.NumericColumns.Keys];
            frame = PointInTime.AsOfJoin(frame, other, columns, join.Prefix);
        }
        var definitions = set.Features.Select(f => new FeatureDefinition(f.Name, f.Expr))
            .Concat(set.Targets.Select(t => new FeatureDefinition(t.Name, t.Expr, IsTarget: true)))
            .ToList();
        return new FeatureEngine(definitions).Evaluate(frame);
    }

    /// <summary>
    /// Rows of a training window whose features are complete and whose label was known by the
    /// window's end: the last <see cref="Horizon"/> time steps are purged, because their labels read
    /// data from after the end (that would leak the evaluation period into training).
    /// </summary>
    public (Frame Frame, int Dropped, int Purged) TrainingRows(DateTime start, DateTime? end)
    {
        var window = PointInTime.Slice(Frame, new TimeWindow(start, end));
        var steps = window.Time.Distinct().Order().ToList();
        var lastKnown = Horizon == 0 || steps.Count <= Horizon ? (DateTime?)null : steps[^(Horizon + 1)];
        var keep = new List<int>(window.RowCount);
        var purged = 0;
        for (var i = 0; i < window.RowCount; i++)
        {
            if (Horizon > 0 && (lastKnown is null || window.Time[i] > lastKnown.Value))
            {
                purged++;
                continue;
            }
            keep.Add(i);
        }
        var candidate = window.Select(keep);
        var (complete, dropped) = Complete(candidate, [.. Features, .. Target is null ? Array.Empty<string>() : [Target]]);
        return (complete, dropped, purged);
    }

    /// <summary>Rows of a scoring window with complete features (labels are not needed, and mostly unknown).</summary>
    public (Frame Frame, int Dropped) ScoringRows(DateTime? start, DateTime? end)
    {
        // Only the columns scoring reads (the features and the label): a wide dataset is not copied whole.
        var window = PointInTime.Slice(Frame, new TimeWindow(start, end), Target is null ? Features : [.. Features, Target]);
        return Complete(window, Features);
    }

    /// <summary>Features as a row-major float matrix, labels as doubles (NaN where unknown).</summary>
    public TrainingData ToTrainingData(Frame rows)
    {
        var width = Features.Count;
        var matrix = new float[rows.RowCount * width];
        for (var f = 0; f < width; f++)
        {
            var column = rows.Numeric(Features[f]);
            for (var r = 0; r < rows.RowCount; r++)
            {
                matrix[(r * width) + f] = (float)column[r];
            }
        }
        var labels = Target is null ? new double[rows.RowCount] : (double[])rows.Numeric(Target).Clone();
        if (Target is null)
        {
            Array.Fill(labels, double.NaN);
        }
        return new TrainingData(matrix, rows.RowCount, [.. Features], labels, rows.Time, rows.Entity) { Categories = rows.Categories };
    }

    private static (Frame, int) Complete(Frame frame, IReadOnlyList<string> columns)
    {
        var keep = new List<int>(frame.RowCount);
        var arrays = columns.Select(frame.Numeric).ToArray();
        for (var i = 0; i < frame.RowCount; i++)
        {
            var ok = true;
            foreach (var array in arrays)
            {
                if (!double.IsFinite(array[i]))
                {
                    ok = false;
                    break;
                }
            }
            if (ok)
            {
                keep.Add(i);
            }
        }
        return (frame.Select(keep), frame.RowCount - keep.Count);
    }
}

/// <summary>
/// Feature sets computed once per apply: every instance reading a set, and each of its train, infer
/// and monitor runs, share the frame (it is never modified: windows and selections copy).
/// </summary>
public sealed class FeatureFrameCache
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<FeatureResult>> _sets = new(StringComparer.Ordinal);

    internal FeatureResult GetOrAdd(string featureSet, Func<FeatureResult> compute) =>
        _sets.GetOrAdd(featureSet, _ => new Lazy<FeatureResult>(compute)).Value;
}

/// <summary>A run could not do its work for a reason the user can act on (data, configuration); the run records it.</summary>
public sealed class JobException(string message) : Exception(message);
