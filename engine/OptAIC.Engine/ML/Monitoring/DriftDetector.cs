using OptAIC.Engine.Data;

namespace OptAIC.Engine.ML.Monitoring;

/// <summary>Drift tests of current data against a <see cref="DriftReference"/> (methods: see <see cref="DriftOptions"/>, formulas: <see cref="DriftStatistics"/>).</summary>
public static class DriftDetector
{
    /// <summary>
    /// Tests every reference column of <paramref name="current"/>, in parallel over columns, and the
    /// predictions when both sides have them. Fills the drift parts of a <see cref="MonitoringReport"/>.
    /// </summary>
    public static MonitoringReport Compare(DriftReference reference, Frame current, DriftOptions? options = null, double[]? currentPredictions = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        options ??= new DriftOptions();
        foreach (var name in options.Columns.Keys)
        {
            if (reference.Columns.TrueForAll(c => !string.Equals(c.Name, name, StringComparison.Ordinal)))
            {
                throw new DriftConfigurationException(
                    $"drift settings name column '{name}', which is not monitored (columns: {string.Join(", ", reference.ColumnNames)})");
            }
        }
        foreach (var column in reference.Columns)
        {
            if (!column.IsNumeric && options.Columns.TryGetValue(column.Name, out var chosen) && chosen.Method is DriftMethod.Ks or DriftMethod.Wasserstein)
            {
                throw new DriftConfigurationException(
                    $"column '{column.Name}' is categorical: {DriftOptions.Name(chosen.Method)} needs numbers; use jensen-shannon or psi");
            }
            if (!current.HasColumn(column.Name) || IsNumeric(current, column.Name) != column.IsNumeric)
            {
                throw new DriftConfigurationException(
                    $"the current data has no {(column.IsNumeric ? "numeric" : "text")} column '{column.Name}' to compare with the reference");
            }
        }

        var results = new ColumnDrift[reference.Columns.Count];
        DriftReference.ForEachColumn(results.Length, i =>
        {
            var column = reference.Columns[i];
            options.Columns.TryGetValue(column.Name, out var settings);
            results[i] = column.IsNumeric
                ? TestNumeric(column, current.Numeric(column.Name), settings, options)
                : TestCategorical(column, current.IsCategorical(column.Name) ? current.Decode(column.Name) : current.Text(column.Name), settings);
        });

        ColumnDrift? prediction = null;
        if (reference.Prediction is not null && currentPredictions is not null)
        {
            prediction = TestNumeric(reference.Prediction, currentPredictions, options.Prediction, options);
        }

        var tested = results.Count(r => r.Statistic is not null);
        var drifted = results.Count(r => r.Drifted);
        var share = tested == 0 ? 0.0 : (double)drifted / tested;
        return new MonitoringReport
        {
            ReferenceRows = reference.Rows,
            CurrentRows = current.RowCount,
            Columns = [.. results],
            DriftedColumns = drifted,
            DriftShare = share,
            DatasetDriftThreshold = options.DatasetDriftShare,
            DatasetDrift = tested > 0 && share >= options.DatasetDriftShare,
            PredictionDrift = prediction,
        };
    }

    private static bool IsNumeric(Frame frame, string name) => frame.IsNumeric(name) && !frame.IsCategorical(name);

    private static ColumnDrift TestNumeric(ReferenceColumn reference, double[] values, ColumnDriftSettings? settings, DriftOptions options)
    {
        var sortedReference = reference.Sorted!;
        var method = settings?.Method ?? (sortedReference.Length <= options.KsReferenceLimit ? DriftMethod.Ks : DriftMethod.Wasserstein);
        var threshold = settings?.Threshold ?? DriftOptions.DefaultThreshold(method);
        var current = DriftStatistics.SortedFinite(values);
        var untested = new ColumnDrift
        {
            Column = reference.Name,
            Kind = "numerical",
            Method = DriftOptions.Name(method),
            Threshold = threshold,
            ReferenceCount = sortedReference.Length,
            CurrentCount = current.Length,
        };
        if (sortedReference.Length == 0 || current.Length == 0)
        {
            return untested;
        }

        var ks = DriftStatistics.KsStatistic(sortedReference, current);
        var ksP = DriftStatistics.KsPValue(ks, sortedReference.Length, current.Length);
        var psi = DriftStatistics.PsiFromShares(reference.PsiShares, DriftStatistics.PsiShares(current, reference.PsiEdges));
        var wasserstein = DriftStatistics.NormalisedWasserstein(sortedReference, current, reference.Std);
        double? js = method == DriftMethod.JensenShannon ? DriftStatistics.JensenShannonBinned(sortedReference, current) : null;
        var statistic = method switch
        {
            DriftMethod.Ks => ks,
            DriftMethod.Wasserstein => wasserstein,
            DriftMethod.Psi => psi,
            _ => js!.Value,
        };
        return untested with
        {
            Statistic = statistic,
            PValue = method == DriftMethod.Ks ? ksP : null,
            Drifted = method == DriftMethod.Ks ? ksP <= threshold : statistic >= threshold,
            Ks = ks,
            KsPValue = ksP,
            Psi = psi,
            Wasserstein = wasserstein,
            JensenShannon = js,
        };
    }

    private static ColumnDrift TestCategorical(ReferenceColumn reference, string?[] values, ColumnDriftSettings? settings)
    {
        var method = settings?.Method ?? DriftMethod.JensenShannon;
        var threshold = settings?.Threshold ?? DriftOptions.DefaultThreshold(method);
        var counts = DriftStatistics.Count(values);
        var untested = new ColumnDrift
        {
            Column = reference.Name,
            Kind = "categorical",
            Method = DriftOptions.Name(method),
            Threshold = threshold,
            ReferenceCount = reference.Count,
            CurrentCount = (int)counts.Values.Sum(),
        };
        if (untested.ReferenceCount == 0 || untested.CurrentCount == 0)
        {
            return untested;
        }
        var (p, q) = DriftStatistics.CategoryCounts(reference.Counts!, counts);
        var js = DriftStatistics.JensenShannon(p, q);
        double? psi = null;
        if (method == DriftMethod.Psi)
        {
            var refShares = p.Select(v => v / untested.ReferenceCount).ToArray();
            var curShares = q.Select(v => v / untested.CurrentCount).ToArray();
            psi = DriftStatistics.PsiFromShares(refShares, curShares);
        }
        var statistic = method == DriftMethod.Psi ? psi!.Value : js;
        return untested with
        {
            Statistic = statistic,
            Drifted = statistic >= threshold,
            Psi = psi,
            JensenShannon = js,
        };
    }
}
