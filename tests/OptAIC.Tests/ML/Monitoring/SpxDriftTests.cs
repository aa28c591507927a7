using System.Globalization;
using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Monitoring;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Monitoring;

/// <summary>Drift on real data: daily S&amp;P 500 2000-2020 features, training years against the 2020 crash and against themselves.</summary>
public class SpxDriftTests
{
    private static readonly Lazy<Frame> Features = new(LoadFeatures);

    /// <summary>Finds shared/data/sp500-2000.csv by walking up from the test's folder.</summary>
    private static string DataFile()
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

    /// <summary>vol_20d: annualised std of the last 20 daily log returns; ret_5d: 5-day return of the adjusted close. Both use data up to the row's date only.</summary>
    private static Frame LoadFeatures()
    {
        var lines = File.ReadAllLines(DataFile()).Skip(1).Where(l => l.Length > 0).ToArray();
        var time = lines.Select(l => DateTime.ParseExact(l[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray();
        var close = lines.Select(l => double.Parse(l.Split(',')[5], CultureInfo.InvariantCulture)).ToArray();
        var n = close.Length;
        var logReturn = new double[n];
        var vol = new double[n];
        var ret5 = new double[n];
        for (var i = 0; i < n; i++)
        {
            logReturn[i] = i == 0 ? double.NaN : Math.Log(close[i] / close[i - 1]);
            ret5[i] = i < 5 ? double.NaN : (close[i] / close[i - 5]) - 1;
            if (i < 20)
            {
                vol[i] = double.NaN;
                continue;
            }
            var window = logReturn.AsSpan(i - 19, 20);
            double mean = 0, ss = 0;
            foreach (var r in window)
            {
                mean += r / 20;
            }
            foreach (var r in window)
            {
                ss += (r - mean) * (r - mean);
            }
            vol[i] = Math.Sqrt(ss / 19 * 252);
        }
        return new Frame(time).AddNumeric("vol_20d", vol).AddNumeric("ret_5d", ret5);
    }

    private static Frame Between(DateTime from, DateTime to)
    {
        var frame = Features.Value;
        return frame.Select([.. Enumerable.Range(0, frame.RowCount).Where(i => frame.Time[i] >= from && frame.Time[i] <= to)]);
    }

    [Fact]
    public void The_2020_crash_drifts_volatility_away_from_2000_to_2014()
    {
        var reference = DriftReference.Build(Between(new DateTime(2000, 1, 1), new DateTime(2014, 12, 31)));
        var current = Between(new DateTime(2020, 1, 1), new DateTime(2020, 4, 30));
        var rules = new[] { AlertRule.Create("vol-drift", "feature_drift(vol_20d)", "critical") };

        var report = ModelMonitor.Run(reference, current, new MonitoringOptions { Alerts = rules });

        report.ReferenceRows.ShouldBeGreaterThan(3700);
        report.CurrentRows.ShouldBeInRange(70, 90);
        var vol = report.Column("vol_20d")!;
        vol.Method.ShouldBe("wasserstein"); // over 1,000 reference values
        vol.Drifted.ShouldBeTrue();
        vol.Statistic!.Value.ShouldBeGreaterThan(1.0); // the mean moved by several reference stds
        vol.KsPValue!.Value.ShouldBeLessThan(1e-6);
        vol.Psi!.Value.ShouldBeGreaterThan(0.2);
        report.Alerts.Select(a => a.Name).ShouldBe(["vol-drift"]);
    }

    [Fact]
    public void A_random_half_of_the_training_years_shows_no_dataset_drift()
    {
        var training = Between(new DateTime(2000, 1, 1), new DateTime(2014, 12, 31));
        var random = new Random(2014);
        var half = training.Select([.. Enumerable.Range(0, training.RowCount).Where(_ => random.NextDouble() < 0.5)]);

        var report = DriftDetector.Compare(DriftReference.Build(training), half);

        report.DatasetDrift.ShouldBeFalse();
        report.DriftedColumns.ShouldBe(0);
        report.Columns.ShouldAllBe(c => c.Statistic < 0.1);
        report.Columns.ShouldAllBe(c => c.KsPValue > 0.05);
    }
}
