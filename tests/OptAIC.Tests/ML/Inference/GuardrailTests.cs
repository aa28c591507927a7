using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Inference;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Inference;

/// <summary>Guardrails over real ONNX scoring of a frame: an identity model (y = 1 x + 0) and a log model (NaN below 0).</summary>
public class GuardrailTests
{
    private static Frame SeriesFrame(double[] x)
    {
        var time = Enumerable.Range(0, x.Length).Select(i => new DateTime(2020, 1, 1).AddDays(i)).ToArray();
        return new Frame(time).AddNumeric("x0", x);
    }

    // The frame path apply runs: the scores as published (rows with a missing feature are not written).
    private static double[] Score(Frame frame, IBatchScorer scorer, BatchInferenceOptions options)
    {
        using var folder = new TempFolder();
        BatchInference.RunAsync(frame, folder.File("scores.parquet"), scorer, options).GetAwaiter().GetResult();
        return OutputTable.Read(folder.File("scores.parquet")).Score!;
    }

    private static OnnxScorer Identity() =>
        new(OnnxGraphBuilder.Linear("x", "y", 1, 1, [1f], [0f]), OnnxModelSignature.ForTable("x", "y", ["x0"]));

    private static OnnxScorer Log() =>
        new(
            new OnnxGraphBuilder().Input("x", -1, 1).Output("y", -1, 1).Node("Log", ["x"], ["y"]).Build(),
            OnnxModelSignature.ForTable("x", "y", ["x0"]));

    [Fact]
    public void Scores_outside_bounds_fail_with_counts_and_the_first_offender()
    {
        // 1,250 rows: 312 outside [-1, 1], the first at row 17 with 1.8.
        var x = Enumerable.Range(0, 1250).Select(i => (i % 7) / 10.0).ToArray();
        var outside = new HashSet<int>([17, .. Enumerable.Range(0, 311).Select(i => 100 + (i * 3))]);
        foreach (var i in outside)
        {
            x[i] = i == 17 ? 1.8 : -2.5;
        }
        outside.Count.ShouldBe(312);
        using var scorer = Identity();

        var error = Should.Throw<GuardrailException>(() =>
            Score(SeriesFrame(x), scorer, new BatchInferenceOptions { Guardrails = Guardrails.Signal }));

        error.Message.ShouldBe("guardrails failed: 312 of 1,250 scores outside [-1, 1] (first at row 17, value 1.8)");
        error.OutOfBounds.ShouldBe(312);
        error.RowsChecked.ShouldBe(1250);
    }

    [Fact]
    public void Nan_scores_fail_when_not_allowed()
    {
        double[] x = [0.5, 1, -1, 0.2, -3];
        using var scorer = Log();

        var error = Should.Throw<GuardrailException>(() =>
            Score(SeriesFrame(x), scorer, new BatchInferenceOptions { Guardrails = new Guardrails(-10, 10, AllowNaN: false, MinCoverage: 0) }));

        error.Message.ShouldBe("guardrails failed: 2 of 5 scores NaN or infinite (first at row 2, value NaN); NaN is not allowed");
        error.NonFinite.ShouldBe(2);
    }

    [Fact]
    public void Coverage_counts_finite_scores_among_rows_with_complete_features()
    {
        // 10 rows: 2 without features (skipped, not counted), 2 scored NaN: coverage 6 / 8.
        double[] x = [1, 2, double.NaN, -1, 3, 4, -2, double.NaN, 5, 6];
        using var scorer = Log();
        var rails = new Guardrails(-10, 10, AllowNaN: true, MinCoverage: 0.8);

        var error = Should.Throw<GuardrailException>(() =>
            Score(SeriesFrame(x), scorer, new BatchInferenceOptions { Guardrails = rails }));

        error.Message.ShouldBe("guardrails failed: coverage 0.75 (6 of 8 rows with complete features got a finite score) is under the minimum 0.8");
        error.Coverage.ShouldBe(0.75);

        var scores = Score(SeriesFrame(x), scorer, new BatchInferenceOptions { Guardrails = rails with { MinCoverage = 0.75 } });
        scores.Length.ShouldBe(8);
        scores[0].ShouldBe(0.0, 1e-7);
        scores[1].ShouldBe(Math.Log(2), 1e-6);
        double.IsNaN(scores[2]).ShouldBeTrue();
        scores[3].ShouldBe(Math.Log(3), 1e-6);
    }

    [Fact]
    public void Scores_within_every_rail_pass()
    {
        double[] x = [0.5, -1, 1, 0];
        using var scorer = Identity();

        var scores = Score(SeriesFrame(x), scorer, new BatchInferenceOptions { Guardrails = Guardrails.Signal });

        scores.ShouldBe(x, tolerance: 1e-7);
    }
}
