using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Inference;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.ML.Inference;

public class BatchInferenceTests
{
    [Fact]
    public async Task A_panel_file_is_scored_into_time_known_at_entity_score_and_version()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 60, entities: 5, features: 4, seed: 1, missingShare: 0.03);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 70);
        var (model, expected) = LinearModel.Build(4, 1);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);
        var options = new BatchInferenceOptions { EntityColumn = "entity", ModelVersion = 3, KnowledgeLag = TimeSpan.FromHours(18) };

        var summary = await BatchInference.RunAsync(folder.File("in.parquet"), folder.File("out/scores.parquet"), scorer, options);

        var complete = Enumerable.Range(0, input.Rows).Where(input.Complete).ToArray();
        complete.Length.ShouldBeLessThan(input.Rows); // some rows miss a feature
        summary.RowsIn.ShouldBe(input.Rows);
        summary.RowsScored.ShouldBe(complete.Length);
        summary.RowsSkippedMissingFeatures.ShouldBe(input.Rows - complete.Length);
        summary.Chunks.ShouldBe(5);

        var output = OutputTable.Read(folder.File("out/scores.parquet"));
        output.Columns.ShouldBe(["time", "known_at", "entity", "score", "model_version"]);
        output.Time.ShouldBe(complete.Select(r => input.Time[r]));
        output.Entity.ShouldBe(complete.Select(r => input.Entity![r]));
        output.AsOf.ShouldBe(complete.Select(r => input.Time[r].AddHours(18)));
        output.ModelVersion.ShouldAllBe(v => v == 3);
        var scores = output.Score!;
        for (var i = 0; i < complete.Length; i++)
        {
            scores[i].ShouldBe(expected(input.RowMajor(complete[i]))[0], 1e-5);
        }
        summary.MinScore.ShouldBe(scores.Min());
        summary.MaxScore.ShouldBe(scores.Max());
        summary.MeanScore.ShouldBe(scores.Average(), 1e-9);
        Directory.GetFiles(folder.File("out")).ShouldBe([folder.File("out/scores.parquet")]);
    }

    [Fact]
    public async Task Null_features_count_as_missing_like_nan()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 20, entities: 3, features: 2, seed: 4, missingShare: 0.1);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 25, nullForNaN: true);
        var (model, _) = LinearModel.Build(2, 1);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);

        var summary = await BatchInference.RunAsync(folder.File("in.parquet"), folder.File("out.parquet"), scorer);

        summary.RowsScored.ShouldBe(Enumerable.Range(0, input.Rows).Count(input.Complete));
        OutputTable.Read(folder.File("out.parquet")).Columns.ShouldNotContain("entity");
    }

    [Fact]
    public async Task A_run_that_breaks_a_guardrail_publishes_nothing_and_keeps_the_previous_output()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 40, entities: 10, features: 4, seed: 2);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 64);
        var (model, expected) = LinearModel.Build(4, 1, seed: 9);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);
        var output = folder.File("scores.parquet");
        await BatchInference.RunAsync(folder.File("in.parquet"), output, scorer, new BatchInferenceOptions { EntityColumn = "entity" });
        var previous = await File.ReadAllBytesAsync(output);

        // Bounds the raw scores cannot all meet: counted independently from the known answers.
        var outside = Enumerable.Range(0, input.Rows).Select(r => expected(input.RowMajor(r))[0]).Count(s => s is < -0.5 or > 0.5);
        outside.ShouldBeGreaterThan(0);
        var rails = new Guardrails(-0.5, 0.5, AllowNaN: false, MinCoverage: 1);

        var error = await Should.ThrowAsync<GuardrailException>(() =>
            BatchInference.RunAsync(folder.File("in.parquet"), output, scorer, new BatchInferenceOptions { EntityColumn = "entity", Guardrails = rails }));

        error.OutOfBounds.ShouldBe(outside);
        error.Message.ShouldStartWith($"guardrails failed: {outside:N0} of 400 scores outside [-0.5, 0.5] (first at row ");
        (await File.ReadAllBytesAsync(output)).ShouldBe(previous);
        Directory.GetFiles(folder.Path).Order().ShouldBe([folder.File("in.parquet"), output]);
    }

    [Fact]
    public async Task A_failed_first_run_leaves_no_output_file()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 30, entities: 4, features: 4, seed: 3);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 16);
        var (model, _) = LinearModel.Build(4, 1, seed: 9);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);

        await Should.ThrowAsync<GuardrailException>(() => BatchInference.RunAsync(
            folder.File("in.parquet"),
            folder.File("scores.parquet"),
            scorer,
            new BatchInferenceOptions { Guardrails = new Guardrails(-0.01, 0.01, false, 1) }));

        Directory.GetFiles(folder.Path).ShouldBe([folder.File("in.parquet")]);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("rank")]
    [InlineData("tanh-zscore")]
    public async Task A_chunked_run_writes_what_an_unchunked_run_writes(string transform)
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 50, entities: 7, features: 3, seed: 5, missingShare: 0.05);
        await input.WriteAsync(folder.File("whole.parquet"), rowGroupRows: input.Rows);
        // 37-row groups split most dates across two groups: the panel rank must hold them back.
        await input.WriteAsync(folder.File("chunked.parquet"), rowGroupRows: 37);
        var (model, _) = LinearModel.Build(3, 1);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames, maxBatchRows: 16);
        var options = new BatchInferenceOptions
        {
            EntityColumn = "entity",
            Transform = OutputTransform.Parse(transform),
            TransformState = TransformState.Fit([-0.4, -0.1, 0.0, 0.2, 0.5, 0.9]),
        };

        var whole = await BatchInference.RunAsync(folder.File("whole.parquet"), folder.File("whole-out.parquet"), scorer, options with { BatchRows = 1_000_000 });
        var chunked = await BatchInference.RunAsync(folder.File("chunked.parquet"), folder.File("chunked-out.parquet"), scorer, options with { BatchRows = 10 });

        whole.Chunks.ShouldBe(1);
        chunked.Chunks.ShouldBe(10);
        var a = OutputTable.Read(folder.File("whole-out.parquet"));
        var b = OutputTable.Read(folder.File("chunked-out.parquet"));
        b.Time.ShouldBe(a.Time);
        b.Entity.ShouldBe(a.Entity);
        b.Score.ShouldBe(a.Score);
        b.AsOf.ShouldBe(a.AsOf);
        chunked.RowsScored.ShouldBe(whole.RowsScored);
        chunked.MeanScore.ShouldBe(whole.MeanScore, 1e-12);
    }

    [Fact]
    public async Task Panel_rank_over_a_file_matches_ranking_each_date_in_memory()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 12, entities: 9, features: 2, seed: 6);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 20);
        var (model, expected) = LinearModel.Build(2, 1);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);

        await BatchInference.RunAsync(
            folder.File("in.parquet"), folder.File("out.parquet"), scorer, new BatchInferenceOptions { EntityColumn = "entity", Transform = OutputTransform.Rank });

        var output = OutputTable.Read(folder.File("out.parquet"));
        for (var r = 0; r < input.Rows; r++)
        {
            // Independent: rank of this row's raw score among its date's raw scores.
            var raw = expected(input.RowMajor(r))[0];
            var peers = Enumerable.Range(0, input.Rows).Where(p => input.Time[p] == input.Time[r]).Select(p => expected(input.RowMajor(p))[0]).ToArray();
            var rank = peers.Count(p => p < raw) + 1;
            output.Score![r].ShouldBe((2.0 * (rank - 1) / (peers.Length - 1)) - 1, 1e-12);
        }
    }

    [Fact]
    public async Task A_long_file_is_processed_one_row_group_at_a_time()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 500, entities: 100, features: 2, seed: 7);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 1000);
        var (model, _) = LinearModel.Build(2, 1);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);

        var plain = await BatchInference.RunAsync(folder.File("in.parquet"), folder.File("a.parquet"), scorer, new BatchInferenceOptions { EntityColumn = "entity", BatchRows = 500 });
        var ranked = await BatchInference.RunAsync(
            folder.File("in.parquet"), folder.File("b.parquet"), scorer, new BatchInferenceOptions { EntityColumn = "entity", Transform = OutputTransform.Rank });

        // 50,000 rows in 50 chunks: at most three row groups (one read, one scored, one written; plus one
        // held-back date for the rank) in memory, never the file.
        plain.RowsIn.ShouldBe(50_000);
        plain.Chunks.ShouldBe(50);
        plain.PeakBufferedRows.ShouldBe(3 * 1000);
        ranked.PeakBufferedRows.ShouldBeLessThanOrEqualTo(3 * (1000 + 100));
        OutputTable.Read(folder.File("a.parquet")).RowGroups.ShouldBe(50);
    }

    [Fact]
    public async Task Multiclass_output_has_the_class_and_one_probability_column_per_class()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 30, entities: 2, features: 4, seed: 8);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 25);
        var (model, expected) = LinearModel.Build(4, 3, seed: 12);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames, outputs: 3);
        var options = new BatchInferenceOptions
        {
            Transform = OutputTransform.SoftmaxArgmax,
            ClassNames = ["calm", "normal", "stress"],
            Guardrails = new Guardrails(0, 1, false, 1),
        };

        var summary = await BatchInference.RunAsync(folder.File("in.parquet"), folder.File("out.parquet"), scorer, options);

        var output = OutputTable.Read(folder.File("out.parquet"));
        output.Columns.ShouldBe(["time", "known_at", "score", "class", "p_calm", "p_normal", "p_stress", "model_version"]);
        for (var r = 0; r < input.Rows; r++)
        {
            var logits = expected(input.RowMajor(r));
            var exp = logits.Select(Math.Exp).ToArray();
            output.Probabilities["p_calm"][r].ShouldBe(exp[0] / exp.Sum(), 1e-5);
            output.Probabilities["p_stress"][r].ShouldBe(exp[2] / exp.Sum(), 1e-5);
            output.Class![r].ShouldBe(Array.IndexOf(logits, logits.Max()));
            output.Score![r].ShouldBe(output.Class[r]);
        }
        summary.MinScore.ShouldBeGreaterThanOrEqualTo(1.0 / 3);
    }

    [Fact]
    public async Task Input_problems_name_the_file_and_the_column()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 5, entities: 2, features: 2, seed: 9);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 10);
        var (model, _) = LinearModel.Build(3, 1);
        using var scorer = LinearModel.Scorer(model, ["f0", "f1", "volume"]);

        (await Should.ThrowAsync<InferenceInputException>(() => BatchInference.RunAsync(folder.File("in.parquet"), folder.File("o.parquet"), scorer)))
            .Message.ShouldBe($"'{folder.File("in.parquet")}' has no feature column 'volume' (columns: time, entity, f0, f1)");
        (await Should.ThrowAsync<InferenceInputException>(() => BatchInference.RunAsync(folder.File("missing.parquet"), folder.File("o.parquet"), scorer)))
            .Message.ShouldContain("does not exist");
        await File.WriteAllTextAsync(folder.File("bad.parquet"), "date,close\n2020-01-01,1\n");
        (await Should.ThrowAsync<InferenceInputException>(() => BatchInference.RunAsync(folder.File("bad.parquet"), folder.File("o.parquet"), scorer)))
            .Message.ShouldContain("is not a readable Parquet file");
        Directory.GetFiles(folder.Path).Length.ShouldBe(2);
    }

    [Fact]
    public async Task Panel_rank_refuses_input_that_is_not_sorted_by_time()
    {
        using var folder = new TempFolder();
        var sorted = InputTable.Panel(dates: 10, entities: 3, features: 2, seed: 10);
        var reversed = sorted with
        {
            Time = [.. sorted.Time.Reverse()],
            Entity = [.. sorted.Entity!.Reverse()],
            Features = [.. sorted.Features.Select(c => c.Reverse().ToArray())],
        };
        await reversed.WriteAsync(folder.File("in.parquet"), rowGroupRows: 4);
        var (model, _) = LinearModel.Build(2, 1);
        using var scorer = LinearModel.Scorer(model, sorted.FeatureNames);

        var error = await Should.ThrowAsync<InferenceInputException>(() => BatchInference.RunAsync(
            folder.File("in.parquet"), folder.File("out.parquet"), scorer, new BatchInferenceOptions { EntityColumn = "entity", Transform = OutputTransform.Rank }));

        error.Message.ShouldContain("the panel rank transform needs the input sorted by time");
        File.Exists(folder.File("out.parquet")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_frame_is_scored_like_the_file_with_its_rows()
    {
        using var folder = new TempFolder();
        var input = InputTable.Panel(dates: 15, entities: 4, features: 3, seed: 11, missingShare: 0.05);
        await input.WriteAsync(folder.File("in.parquet"), rowGroupRows: 13);
        var (model, _) = LinearModel.Build(3, 1);
        using var scorer = LinearModel.Scorer(model, input.FeatureNames);
        var options = new BatchInferenceOptions { EntityColumn = "entity", Transform = OutputTransform.Rank };
        var frame = new Frame(input.Time, input.Entity);
        for (var c = 0; c < 3; c++)
        {
            frame.AddNumeric(input.FeatureNames[c], input.Features[c]);
        }

        // Chunks of 7 rows split dates: the panel rank holds each date back until it is complete.
        var fromFrame = await BatchInference.RunAsync(frame, folder.File("frame.parquet"), scorer, options with { BatchRows = 7 });
        await BatchInference.RunAsync(folder.File("in.parquet"), folder.File("out.parquet"), scorer, options);

        fromFrame.Chunks.ShouldBe((input.Rows + 6) / 7);
        fromFrame.RowsSkippedMissingFeatures.ShouldBe(Enumerable.Range(0, input.Rows).Count(r => !input.Complete(r)));
        var fromFile = OutputTable.Read(folder.File("out.parquet"));
        var scored = OutputTable.Read(folder.File("frame.parquet"));
        scored.Score.ShouldBe(fromFile.Score);
        scored.Time.ShouldBe(fromFile.Time);
        scored.Entity.ShouldBe(fromFile.Entity);
    }
}
