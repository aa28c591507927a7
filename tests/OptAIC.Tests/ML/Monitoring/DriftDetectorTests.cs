using System.Text.Json;
using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Monitoring;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Monitoring;

public class DriftDetectorTests
{
    private static double[] Normal(Random random, int n, double mean = 0, double std = 1) =>
        [.. Enumerable.Range(0, n).Select(_ => mean + (std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    private static Frame Table(int rows, params (string Name, object Values)[] columns)
    {
        var frame = new Frame([.. Enumerable.Range(0, rows).Select(i => new DateTime(2010, 1, 1).AddDays(i))]);
        foreach (var (name, values) in columns)
        {
            if (values is double[] numeric)
            {
                frame.AddNumeric(name, numeric);
            }
            else
            {
                frame.AddText(name, (string?[])values);
            }
        }
        return frame;
    }

    [Fact]
    public void Default_methods_follow_reference_size_and_column_kind()
    {
        var random = new Random(1);
        string?[] sectors = [.. Enumerable.Range(0, 5000).Select(i => i % 3 == 0 ? "tech" : "energy")];
        var small = DriftReference.Build(Table(800, ("x", Normal(random, 800))));
        var large = DriftReference.Build(Table(5000, ("x", Normal(random, 5000)), ("sector", sectors)));

        var smallReport = DriftDetector.Compare(small, Table(300, ("x", Normal(random, 300))));
        var largeReport = DriftDetector.Compare(large, Table(300, ("x", Normal(random, 300)), ("sector", sectors[..300])));

        smallReport.Column("x")!.Method.ShouldBe("ks");
        smallReport.Column("x")!.Threshold.ShouldBe(0.05);
        smallReport.Column("x")!.PValue.ShouldNotBeNull();
        largeReport.Column("x")!.Method.ShouldBe("wasserstein");
        largeReport.Column("x")!.Threshold.ShouldBe(0.1);
        largeReport.Column("x")!.PValue.ShouldBeNull();
        largeReport.Column("sector")!.Method.ShouldBe("jensen-shannon");
        largeReport.Column("sector")!.Kind.ShouldBe("categorical");
    }

    [Fact]
    public void A_shifted_column_drifts_and_an_unchanged_one_does_not()
    {
        var random = new Random(2);
        var reference = DriftReference.Build(Table(3000, ("same", Normal(random, 3000)), ("shifted", Normal(random, 3000))));
        var current = Table(2000, ("same", Normal(random, 2000)), ("shifted", Normal(random, 2000, mean: 0.5)));

        var report = DriftDetector.Compare(reference, current);

        var same = report.Column("same")!;
        var shifted = report.Column("shifted")!;
        same.Drifted.ShouldBeFalse();
        same.Statistic!.Value.ShouldBeLessThan(0.1);
        shifted.Drifted.ShouldBeTrue();
        shifted.Statistic!.Value.ShouldBe(0.5, 0.1); // W1 of a 0.5 shift over a unit std
        shifted.Psi!.Value.ShouldBeGreaterThan(0.1);
        shifted.KsPValue!.Value.ShouldBeLessThan(1e-6);
        report.DriftedColumns.ShouldBe(1);
        report.DriftShare.ShouldBe(0.5);
        report.DatasetDrift.ShouldBeTrue(); // share >= 0.5, as Evidently
    }

    [Fact]
    public void Overrides_choose_the_method_and_threshold_per_column()
    {
        var random = new Random(3);
        var reference = DriftReference.Build(Table(2000, ("x", Normal(random, 2000)), ("y", Normal(random, 2000))));
        var current = Table(2000, ("x", Normal(random, 2000, mean: 0.3)), ("y", Normal(random, 2000, mean: 0.3)));
        var options = new DriftOptions
        {
            Columns = new Dictionary<string, ColumnDriftSettings>
            {
                ["x"] = new(DriftMethod.Psi, 0.2),
                ["y"] = new(DriftMethod.Ks),
            },
            DatasetDriftShare = 0.75,
        };

        var report = DriftDetector.Compare(reference, current, options);

        var x = report.Column("x")!;
        x.Method.ShouldBe("psi");
        x.Threshold.ShouldBe(0.2);
        x.Statistic.ShouldBe(x.Psi);
        x.Drifted.ShouldBe(x.Psi >= 0.2);
        var y = report.Column("y")!;
        y.Method.ShouldBe("ks");
        y.Statistic.ShouldBe(y.Ks);
        y.Drifted.ShouldBeTrue();
        report.DatasetDrift.ShouldBe(report.DriftShare >= 0.75);
    }

    [Fact]
    public void Missing_values_are_left_out_and_an_empty_column_is_not_counted()
    {
        var random = new Random(4);
        var withGaps = Normal(random, 500);
        for (var i = 0; i < 500; i += 5)
        {
            withGaps[i] = double.NaN;
        }
        var reference = DriftReference.Build(Table(500, ("gappy", withGaps), ("x", Normal(random, 500))));
        var current = Table(100, ("gappy", Enumerable.Repeat(double.NaN, 100).ToArray()), ("x", Normal(random, 100, mean: 3)));

        var report = DriftDetector.Compare(reference, current);

        var gappy = report.Column("gappy")!;
        gappy.ReferenceCount.ShouldBe(400);
        gappy.CurrentCount.ShouldBe(0);
        gappy.Statistic.ShouldBeNull();
        gappy.Drifted.ShouldBeFalse();
        report.DriftShare.ShouldBe(1.0); // one of the one testable column
    }

    [Fact]
    public void Prediction_drift_tests_the_score_like_a_column()
    {
        var random = new Random(5);
        var reference = DriftReference.Build(Table(1500, ("x", Normal(random, 1500))), predictions: Normal(random, 1500, std: 0.3));

        var calm = DriftDetector.Compare(reference, Table(500, ("x", Normal(random, 500))), currentPredictions: Normal(random, 500, std: 0.3));
        var moved = DriftDetector.Compare(reference, Table(500, ("x", Normal(random, 500))), currentPredictions: Normal(random, 500, mean: 0.2, std: 0.3));
        var none = DriftDetector.Compare(reference, Table(500, ("x", Normal(random, 500))));

        calm.PredictionDrift!.Column.ShouldBe("prediction");
        calm.PredictionDrift.Method.ShouldBe("wasserstein");
        calm.PredictionDrift.Drifted.ShouldBeFalse();
        moved.PredictionDrift!.Drifted.ShouldBeTrue();
        none.PredictionDrift.ShouldBeNull();
    }

    [Fact]
    public void Configuration_errors_name_the_column()
    {
        var reference = DriftReference.Build(Table(10, ("x", new double[10]), ("sector", new string?[10])));

        Should.Throw<DriftConfigurationException>(() => DriftDetector.Compare(
                reference,
                Table(10, ("x", new double[10]), ("sector", new string?[10])),
                new DriftOptions { Columns = new Dictionary<string, ColumnDriftSettings> { ["vol"] = new(DriftMethod.Psi) } }))
            .Message.ShouldBe("drift settings name column 'vol', which is not monitored (columns: x, sector)");
        Should.Throw<DriftConfigurationException>(() => DriftDetector.Compare(
                reference,
                Table(10, ("x", new double[10]), ("sector", new string?[10])),
                new DriftOptions { Columns = new Dictionary<string, ColumnDriftSettings> { ["sector"] = new(DriftMethod.Ks) } }))
            .Message.ShouldBe("column 'sector' is categorical: ks needs numbers; use jensen-shannon or psi");
        Should.Throw<DriftConfigurationException>(() => DriftDetector.Compare(reference, Table(10, ("x", new double[10]))))
            .Message.ShouldBe("the current data has no text column 'sector' to compare with the reference");
        Should.Throw<DriftConfigurationException>(() => DriftOptions.ParseMethod("chi2"))
            .Message.ShouldContain("use ks, wasserstein, psi or jensen-shannon");
    }

    [Fact]
    public void The_report_round_trips_through_json_as_plain_values()
    {
        var random = new Random(6);
        var reference = DriftReference.Build(Table(200, ("x", Normal(random, 200))), predictions: Normal(random, 200));
        var report = ModelMonitor.Run(
            reference,
            Table(50, ("x", Normal(random, 50, mean: 2))),
            new MonitoringOptions { Alerts = [new AlertRule("x-drift", "feature_drift(x)", AlertSeverity.Warning)] },
            currentPredictions: Normal(random, 50));

        var json = JsonSerializer.Serialize(report);
        var back = JsonSerializer.Deserialize<MonitoringReport>(json)!;

        back.Columns.Single().ShouldBe(report.Columns.Single());
        back.PredictionDrift.ShouldBe(report.PredictionDrift);
        back.Alerts.Single().ShouldBe(report.Alerts.Single());
        back.Alerts.Single().Values.ShouldBe("feature_drift(x) = true");
        back.DriftShare.ShouldBe(1.0);
        json.ShouldContain("\"Method\":\"ks\"");
    }
}
