using OptAIC.Engine.ML.Inference;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Inference;

public class OnnxScorerTests
{
    private static readonly string[] Four = ["a", "b", "c", "d"];

    [Fact]
    public void Linear_model_scores_equal_xW_plus_b_computed_by_hand()
    {
        var (model, expected) = LinearModel.Build(features: 4, outputs: 1);
        using var scorer = LinearModel.Scorer(model, Four);
        var random = new Random(1);
        var rows = 257;
        var x = Enumerable.Range(0, rows * 4).Select(_ => (float)((random.NextDouble() * 10) - 5)).ToArray();
        var y = new float[rows];

        scorer.Score(x, rows, y);

        for (var r = 0; r < rows; r++)
        {
            ((double)y[r]).ShouldBe(expected(x[(r * 4)..((r * 4) + 4)])[0], 1e-4);
        }
    }

    [Fact]
    public void Several_outputs_per_row_are_laid_out_row_major()
    {
        var (model, expected) = LinearModel.Build(features: 3, outputs: 2, seed: 3);
        using var scorer = LinearModel.Scorer(model, ["a", "b", "c"], outputs: 2);
        float[] x = [1, 2, 3, -1, 0.5f, 4];
        var y = new float[4];

        scorer.Score(x, 2, y);

        var first = expected([1, 2, 3]);
        var second = expected([-1, 0.5f, 4]);
        y.ShouldBe([(float)first[0], (float)first[1], (float)second[0], (float)second[1]], tolerance: 1e-5f);
        scorer.OutputWidth.ShouldBe(2);
    }

    [Fact]
    public void A_tanh_node_gives_tanh_of_each_value()
    {
        var model = new OnnxGraphBuilder()
            .Input("x", -1, 3)
            .Output("y", -1, 3)
            .Node("Tanh", ["x"], ["y"])
            .Build();
        using var scorer = new OnnxScorer(model, OnnxModelSignature.ForTable("x", "y", ["a", "b", "c"], 3));
        float[] x = [-2, -0.5f, 0, 0.25f, 1, 3];
        var y = new float[6];

        scorer.Score(x, 2, y);

        y.ShouldBe([.. x.Select(v => (float)Math.Tanh(v))], tolerance: 1e-6f);
    }

    [Fact]
    public void Batches_of_changing_size_and_larger_than_the_buffers_reuse_the_session_correctly()
    {
        var (model, expected) = LinearModel.Build(features: 4, outputs: 1, seed: 11);
        using var scorer = LinearModel.Scorer(model, Four, maxBatchRows: 100);
        var random = new Random(5);
        foreach (var rows in new[] { 10, 7, 10, 1, 350, 100, 0, 3 })
        {
            var x = Enumerable.Range(0, rows * 4).Select(_ => (float)random.NextDouble()).ToArray();
            var y = new float[rows];
            scorer.Score(x, rows, y);
            for (var r = 0; r < rows; r++)
            {
                ((double)y[r]).ShouldBe(expected(x[(r * 4)..((r * 4) + 4)])[0], 1e-5, $"batch of {rows}, row {r}");
            }
        }
    }

    [Fact]
    public void A_model_file_on_disk_loads_like_its_bytes()
    {
        using var folder = new TempFolder();
        var (model, expected) = LinearModel.Build(features: 4, outputs: 1);
        var path = folder.File("model.onnx");
        File.WriteAllBytes(path, model);
        using var scorer = OnnxScorer.FromFile(path, OnnxModelSignature.ForTable("x", "y", Four), new OnnxScorerOptions { IntraOpThreads = 2 });
        var y = new float[1];

        scorer.Score([1, 2, 3, 4], 1, y);

        ((double)y[0]).ShouldBe(expected([1, 2, 3, 4])[0], 1e-5);
        scorer.FeatureNames.ShouldBe(Four);
    }

    [Fact]
    public void Feature_count_mismatch_names_the_input_its_shape_and_the_declared_count()
    {
        var (model, _) = LinearModel.Build(features: 4, outputs: 1);

        var error = Should.Throw<OnnxModelException>(() =>
            new OnnxScorer(model, OnnxModelSignature.ForTable("x", "y", ["a", "b", "c", "d", "e"])));

        error.Message.ShouldBe("model input 'x' has shape [-1,4] but the definition declares 5 features");
    }

    [Fact]
    public void Output_width_mismatch_names_the_output_and_both_shapes()
    {
        var (model, _) = LinearModel.Build(features: 4, outputs: 1);

        var error = Should.Throw<OnnxModelException>(() =>
            new OnnxScorer(model, OnnxModelSignature.ForTable("x", "y", Four, outputWidth: 3)));

        error.Message.ShouldBe("model output 'y' has shape [-1,1] but the definition declares [-1,3] (3 values per row)");
    }

    [Fact]
    public void Unknown_tensor_names_list_what_the_model_has()
    {
        var (model, _) = LinearModel.Build(features: 4, outputs: 1);

        Should.Throw<OnnxModelException>(() => new OnnxScorer(model, OnnxModelSignature.ForTable("features", "y", Four)))
            .Message.ShouldContain("has no input 'features' (its inputs: x)");
        Should.Throw<OnnxModelException>(() => new OnnxScorer(model, OnnxModelSignature.ForTable("x", "score", Four)))
            .Message.ShouldContain("has no output 'score' (its outputs: y)");
    }

    [Fact]
    public void A_fixed_batch_dimension_is_rejected_with_what_to_do()
    {
        var model = new OnnxGraphBuilder()
            .Input("x", 1, 2)
            .Output("y", 1, 2)
            .Node("Tanh", ["x"], ["y"])
            .Build();

        Should.Throw<OnnxModelException>(() => new OnnxScorer(model, OnnxModelSignature.ForTable("x", "y", ["a", "b"], 2)))
            .Message.ShouldContain("fixed batch size of 1; export the model with a dynamic first dimension");
    }

    [Fact]
    public void A_declaration_whose_shape_disagrees_with_its_feature_list_is_rejected_before_loading()
    {
        var (model, _) = LinearModel.Build(features: 4, outputs: 1);
        var signature = new OnnxModelSignature("x", "y", Four, [-1, 5], [-1, 1]);

        Should.Throw<OnnxModelException>(() => new OnnxScorer(model, signature))
            .Message.ShouldBe("the definition declares input shape [-1,5] but lists 4 feature names; declare [-1,4]");
    }

    [Fact]
    public void Bytes_that_are_not_a_model_and_missing_files_give_a_model_error()
    {
        Should.Throw<OnnxModelException>(() => new OnnxScorer([1, 2, 3, 4, 5], OnnxModelSignature.ForTable("x", "y", Four)))
            .Message.ShouldStartWith("could not load ONNX model (5 bytes)");
        Should.Throw<OnnxModelException>(() => OnnxScorer.FromFile("/nonexistent/model.onnx", OnnxModelSignature.ForTable("x", "y", Four)))
            .Message.ShouldContain("does not exist");
    }
}
