using System.Globalization;
using OptAIC.Engine.ML.Inference;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Inference;

/// <summary>
/// ONNX files written by an independent tool (scikit-learn and the onnx package, Fixtures/onnx/make_fixtures.py)
/// score every fixture row as scikit-learn predicted it.
/// </summary>
public class SklearnOnnxTests
{
    private const double Tolerance = 1e-5;
    private static readonly string[] Features = ["x1", "x2", "x3", "x4"];
    private static readonly string[] Classes = ["bear", "flat", "bull"];

    [Theory]
    [InlineData("linear.onnx", "linear")]
    [InlineData("gbr.onnx", "gbr")]
    public void A_regressor_scores_every_row_as_scikit_learn(string file, string expectedColumn)
    {
        using var scorer = OnnxScorer.FromFile(SklearnFixtures.File(file), OnnxModelSignature.ForTable("float_input", "variable", Features));

        var scores = SklearnFixtures.Score(scorer);

        scores.Length.ShouldBe(SklearnFixtures.Rows);
        var expected = SklearnFixtures.Expected(expectedColumn);
        for (var r = 0; r < scores.Length; r++)
        {
            ((double)scores[r]).ShouldBe(expected[r], Tolerance, $"row {r}");
        }
    }

    [Fact]
    public void A_model_with_two_named_inputs_gets_each_its_own_features()
    {
        // The row lays the features out x3, x1, x4, x2: each input gathers its own, in its own order.
        string[] layout = ["x3", "x1", "x4", "x2"];
        var signature = OnnxModelSignature.ForInputs(
            [new OnnxInput("price", ["x1", "x2"]), new OnnxInput("volume", ["x3", "x4"])], "variable", layout);
        using var scorer = OnnxScorer.FromFile(SklearnFixtures.File("two_inputs.onnx"), signature);

        var scores = SklearnFixtures.Score(scorer, layout);

        var expected = SklearnFixtures.Expected("two_inputs");
        for (var r = 0; r < scores.Length; r++)
        {
            ((double)scores[r]).ShouldBe(expected[r], Tolerance, $"row {r}");
        }
    }

    [Theory]
    [InlineData("classifier.onnx", "probabilities", false)]
    [InlineData("classifier_zipmap.onnx", "output_probability", true)]
    public void A_classifier_gives_scikit_learns_class_probabilities_in_label_order(string file, string output, bool namedClasses)
    {
        var signature = OnnxModelSignature.ForTable("float_input", output, Features, 3) with { ClassLabels = namedClasses ? Classes : null };
        using var scorer = OnnxScorer.FromFile(SklearnFixtures.File(file), signature);

        var probabilities = SklearnFixtures.Score(scorer);

        var expectedClass = SklearnFixtures.Expected("class");
        var expected = Classes.Select(c => SklearnFixtures.Expected("p_" + c)).ToArray();
        for (var r = 0; r < SklearnFixtures.Rows; r++)
        {
            var row = probabilities.AsSpan(r * 3, 3);
            for (var k = 0; k < 3; k++)
            {
                ((double)row[k]).ShouldBe(expected[k][r], Tolerance, $"row {r}, class {Classes[k]}");
            }
            row.IndexOf(MaxOf(row)).ShouldBe((int)expectedClass[r], $"row {r}");
        }
    }

    [Fact]
    public void A_zipmap_with_class_names_needs_the_definitions_classes()
    {
        var signature = OnnxModelSignature.ForTable("float_input", "output_probability", Features, 3);

        var error = Should.Throw<OnnxModelException>(() => OnnxScorer.FromFile(SklearnFixtures.File("classifier_zipmap.onnx"), signature));

        error.Message.ShouldContain("list them under model.classes");
    }

    [Fact]
    public void A_zipmap_naming_a_class_the_definition_lacks_fails_with_the_name()
    {
        var signature = OnnxModelSignature.ForTable("float_input", "output_probability", Features, 3) with { ClassLabels = ["bear", "flat", "up"] };
        using var scorer = OnnxScorer.FromFile(SklearnFixtures.File("classifier_zipmap.onnx"), signature);

        var error = Should.Throw<OnnxModelException>(() => SklearnFixtures.Score(scorer));

        error.Message.ShouldContain("class 'bull'");
    }

    [Fact]
    public void A_multi_input_model_declared_with_one_input_names_the_inputs_to_declare()
    {
        var error = Should.Throw<OnnxModelException>(() =>
            OnnxScorer.FromFile(SklearnFixtures.File("two_inputs.onnx"), OnnxModelSignature.ForTable("price", "variable", Features)));

        error.Message.ShouldContain("declare each one under model.onnx.inputs");
        error.Message.ShouldContain("volume");
    }

    private static float MaxOf(ReadOnlySpan<float> row)
    {
        var max = float.NegativeInfinity;
        foreach (var v in row)
        {
            max = Math.Max(max, v);
        }
        return max;
    }
}

/// <summary>The scikit-learn fixtures: input rows and scikit-learn's own predictions.</summary>
public static class SklearnFixtures
{
    public static string Folder => Path.Combine(TestPaths.Fixtures, "onnx");

    public static string File(string name) => Path.Combine(Folder, name);

    public static int Rows => Table("rows.csv").Rows.Count;

    /// <summary>The fixture rows' features, row-major in <paramref name="layout"/> order.</summary>
    public static float[] Features(IReadOnlyList<string>? layout = null)
    {
        layout ??= ["x1", "x2", "x3", "x4"];
        var (header, rows) = Table("rows.csv");
        var columns = layout.Select(name => Array.IndexOf(header, name)).ToArray();
        return [.. rows.SelectMany(row => columns.Select(c => float.Parse(row[c], CultureInfo.InvariantCulture)))];
    }

    public static double[] Expected(string column)
    {
        var (header, rows) = Table("expected.csv");
        var c = Array.IndexOf(header, column);
        c.ShouldBeGreaterThanOrEqualTo(0, $"expected.csv has no column {column}");
        return [.. rows.Select(row => double.Parse(row[c], CultureInfo.InvariantCulture))];
    }

    public static float[] Score(IBatchScorer scorer, IReadOnlyList<string>? layout = null)
    {
        var x = Features(layout);
        var rows = x.Length / scorer.FeatureNames.Count;
        var output = new float[rows * scorer.OutputWidth];
        scorer.Score(x, rows, output);
        return output;
    }

    private static (string[] Header, List<string[]> Rows) Table(string name)
    {
        var lines = System.IO.File.ReadAllLines(File(name));
        return (lines[0].Split(','), [.. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(','))]);
    }
}
