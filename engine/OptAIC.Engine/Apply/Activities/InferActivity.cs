using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Data;
using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.ML.Models;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>A scoring run's output: one row per scored time (and entity), and its summary.</summary>
public sealed record InferenceOutcome(Frame Output, int RowsScored, int RowsSkipped, double Min, double Max, double Mean, DateTime? From, DateTime? To)
{
    /// <summary>Per categorical feature: rows scored with a category the model never saw in training.</summary>
    public IReadOnlyDictionary<string, long> UnseenCategories { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// Scores an instance's inference window with a registered version: learners through their ML.NET
/// model, combiners and filters from their inputs' outputs; then the output transform (with the
/// training statistics), then the guardrails. Every row carries the model version and the time its
/// features were known (as_of).
/// </summary>
public sealed class InferActivity : IRunActivity
{
    public string Name => RunActivityNames.Infer;

    public Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken) => Task.Run(() =>
    {
        var request = context.Request;
        var version = request.Model?.Version ?? throw new RunRequestException($"the infer request for {request.Instance} names no model version");
        var phases = new List<RunPhase>();
        context.Measure(phases, "load", () => PreparedData.Load(context.Specs, context.Specs.Instances[request.Instance].Value, context.Workspace.RepositoryRoot, context.Workspace.Features));
        var outcome = context.Measure(phases, "score", () =>
            Run(context.Specs, request.Instance, context.Workspace.RepositoryRoot, context.Model(), version, context.Predictions, cancellationToken, context.Workspace.Features, context.Stage));
        var artifact = context.Measure(phases, "write", () =>
        {
            var bytes = PredictionFiles.Write(outcome.Output, Path.Combine(context.Workspace.WorkFolder, "tmp"), new Dictionary<string, string>
            {
                ["optaic.instance"] = request.Instance,
                ["optaic.version"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            return context.Put(bytes, "parquet", PredictionFiles.MediaType);
        });
        var run = new RunRecord
        {
            RunId = request.RunId,
            Instance = request.Instance,
            Kind = RunKind.Inference,
            Status = Registry.RunStatus.Succeeded,
            StartedAt = phases[0].StartedAt,
            FinishedAt = phases[^1].FinishedAt,
            Fingerprint = request.Fingerprint?.Value ?? "",
            Version = version,
            Outputs = [artifact.Uri],
            Details = new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["rowsScored"] = outcome.RowsScored,
                ["rowsSkipped"] = outcome.RowsSkipped,
                ["window"] = $"{outcome.From:yyyy-MM-dd}..{outcome.To:yyyy-MM-dd}",
                ["min"] = outcome.Min,
                ["max"] = outcome.Max,
                ["mean"] = outcome.Mean,
                ["outputSha256"] = artifact.Sha256,
            },
        };
        if (outcome.UnseenCategories.Count > 0)
        {
            run.Details["unseenCategories"] = outcome.UnseenCategories;
        }
        run.Details["phases"] = RunPhase.Seconds(phases);
        run.Details["rowsRead"] = outcome.RowsScored + outcome.RowsSkipped;
        run.Details["rowsWritten"] = outcome.RowsScored;
        return new RunResult
        {
            RunId = request.RunId,
            Activity = request.Activity,
            Instance = request.Instance,
            Outcome = RunOutcome.Succeeded,
            Summary = $"{outcome.RowsScored:N0} rows {outcome.From:yyyy-MM-dd}..{outcome.To:yyyy-MM-dd} with version {version} in [{outcome.Min:F3}, {outcome.Max:F3}]"
                + string.Concat(outcome.UnseenCategories.Select(u => $"; {u.Value:N0} rows with a {u.Key} category unseen in training")),
            Records = new RunRecords { Run = run },
            Artifacts = [artifact],
            Phases = phases,
            RowsRead = outcome.RowsScored + outcome.RowsSkipped,
            RowsWritten = outcome.RowsScored,
        };
    }, cancellationToken);

    public static InferenceOutcome Run(SpecSet specs, string instanceName, string repositoryRoot, ModelBundle bundle, int version, PredictionSource predictions, CancellationToken ct, FeatureFrameCache? features = null, Action<string>? stage = null)
    {
        var instance = specs.Instances[instanceName].Value;
        var definition = specs.Definitions[instance.Definition].Value;
        var (start, end) = Window(instance, ImportedModels.IsImported(definition));
        stage?.Invoke("loading data and computing features");
        var data = PreparedData.Load(specs, instance, repositoryRoot, features);
        var (rows, skipped) = definition.Category is "combining" or "filtering"
            ? (PointInTime.Slice(data.Frame, new TimeWindow(start, end)), 0)
            : data.ScoringRows(start, end);
        if (rows.RowCount == 0)
        {
            throw new JobException($"the inference window {start:yyyy-MM-dd}..{end?.ToString("yyyy-MM-dd") ?? "latest"} has no row with complete features");
        }
        ct.ThrowIfCancellationRequested();
        stage?.Invoke($"scoring {rows.RowCount:N0} rows with version {version}");

        var output = new Frame(rows.Time, rows.Entity, rows.KnownAt);
        var unseen = new SortedDictionary<string, long>(StringComparer.Ordinal);
        double[] scores;
        switch (definition.Category)
        {
            case "combining":
                var signals = instance.Inputs.Select(i => TrainActivity.Align(rows, predictions(i), "score", i)).ToArray();
                scores = CombinerModel.FromBytes(bundle.Model).Combine(signals);
                Transform(definition, scores, rows, bundle);
                break;
            case "filtering":
                var signal = TrainActivity.Align(rows, predictions(instance.Inputs[0]), "score", instance.Inputs[0]);
                var regime = instance.Regime is null ? null : TrainActivity.Align(rows, predictions(instance.Regime), "class", instance.Regime);
                var regimeClasses = instance.Regime is null ? null : specs.Definitions[specs.Instances[instance.Regime].Value.Definition].Value.Model.Classes;
                scores = TrainActivity.FilterFor(definition, instance, regimeClasses).Apply(signal, rows.Time, regime is null ? default : TrainActivity.Classes(regime));
                break;
            default:
                using (var model = bundle.OpenScorer(definition))
                {
                    var raw = Score(model, data.ToTrainingData(rows), ct, unseen);
                    if (TrainActivity.Task(definition) == ModelTask.Multiclass)
                    {
                        scores = Classify(raw, rows.RowCount, model.OutputWidth, bundle, output);
                    }
                    else
                    {
                        scores = raw;
                        Transform(definition, scores, rows, bundle);
                    }
                }
                break;
        }

        CheckGuardrails(definition, scores, output.HasColumn("class"));
        output.AddNumeric("score", scores);
        output.AddNumeric("model_version", Enumerable.Repeat((double)version, rows.RowCount).ToArray());
        var finite = scores.Where(double.IsFinite).ToArray();
        return new InferenceOutcome(output, rows.RowCount, skipped,
            finite.Length == 0 ? double.NaN : finite.Min(), finite.Length == 0 ? double.NaN : finite.Max(), finite.Length == 0 ? double.NaN : finite.Average(),
            rows.Time[0], rows.Time[^1])
        { UnseenCategories = unseen };
    }

    /// <summary>The inference window: the spec's, or from the day after training ends.</summary>
    public static (DateTime Start, DateTime? End) Window(ModelInstanceSpec instance, bool imported = false)
    {
        if (imported)
        {
            // Not trained here: nothing to stay out of, so it scores from the dataset's first row.
            return (TrainActivity.Date(instance.Inference?.Start) ?? DateTime.MinValue, TrainActivity.Date(instance.Inference?.End));
        }
        var start = TrainActivity.Date(instance.Inference?.Start)
            ?? TrainActivity.Date(instance.Training.End)?.AddDays(1)
            ?? TrainActivity.Date(instance.Training.Start)!.Value;
        return (start, TrainActivity.Date(instance.Inference?.End));
    }

    /// <summary>Whether the definition's output transform reads statistics of earlier scores (tanh-zscore, a single series' rank).</summary>
    public static bool NeedsStatistics(ModelDefinitionSpec definition)
    {
        var kind = LearnerScoring.TransformFor(definition).Kind;
        return TrainActivity.Task(definition) != ModelTask.Multiclass && kind is OutputTransformKind.TanhZScore or OutputTransformKind.Rank;
    }

    /// <summary>Scores rows in chunks through the version's scorer (ML.NET or ONNX alike).</summary>
    internal static double[] Score(IBatchScorer model, TrainingData data, CancellationToken ct, IDictionary<string, long>? unseen = null)
    {
        var features = model is TrainedModel trained ? trained.Inputs(data, unseen) : data.Features;
        return LearnerScoring.Raw(model, features.AsSpan(0, data.Rows * data.Width), data.Rows, ct);
    }

    /// <summary>A regime model's output: the most likely class as the score, and each class's probability as p_&lt;class&gt;.</summary>
    private static double[] Classify(double[] probabilities, int rows, int classes, ModelBundle bundle, Frame output)
    {
        var predicted = LearnerScoring.Argmax(probabilities, rows, classes);
        var columns = new double[classes][];
        for (var c = 0; c < classes; c++)
        {
            columns[c] = new double[rows];
            for (var r = 0; r < rows; r++)
            {
                columns[c][r] = probabilities[(r * classes) + c];
            }
        }
        output.AddNumeric("class", predicted);
        string Name(int c) => c >= 0 && c < bundle.Classes.Count ? bundle.Classes[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The class by name too, so a reader of the predictions needs no index table.
        output.AddText("class_name", [.. predicted.Select(p => p < 0 ? null : Name((int)p))]);
        for (var c = 0; c < classes; c++)
        {
            output.AddNumeric($"p_{Name(c)}", columns[c]);
        }
        return predicted;
    }

    private static void Transform(ModelDefinitionSpec definition, double[] scores, Frame rows, ModelBundle bundle) =>
        LearnerScoring.Transform(definition, scores, rows.Time, panel: rows.Entity is not null, bundle);

    private static void CheckGuardrails(ModelDefinitionSpec definition, double[] scores, bool classes) =>
        LearnerScoring.CheckGuardrails(definition, scores, classes);
}
