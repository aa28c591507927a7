using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.ML.Training;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply.Activities;

/// <summary>
/// Brings a model trained elsewhere (an ONNX file) in as a version: reads the file the plan fingerprinted
/// (and refuses one that changed since), checks that it loads and matches the definition, and, when the
/// instance declares an evaluation window (training.start, with a target), scores it there to compute
/// the metrics and gates and the statistics the output transform needs. Nothing is trained.
/// </summary>
public sealed class ImportActivity : IRunActivity
{
    public string Name => RunActivityNames.Import;

    public Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken) => Task.Run(() =>
    {
        // The file's sha256 as the plan fingerprinted it: a file changed since is refused, never imported unplanned.
        var expected = context.Request.Fingerprint?.Parts.GetValueOrDefault(FingerprintParts.OnnxFileKey)
            ?? throw new RunRequestException($"the import request for {context.Request.Instance} carries no {FingerprintParts.OnnxFileKey} in its fingerprint");
        var phases = new List<RunPhase>();
        context.Measure(phases, "load", () => PreparedData.Load(context.Specs, context.Specs.Instances[context.Request.Instance].Value, context.Workspace.RepositoryRoot, context.Workspace.Features));
        var outcome = context.Measure(phases, "import", () =>
            Run(context.Specs, context.Request.Instance, context.Workspace.RepositoryRoot, expected, cancellationToken, context.Workspace.Features, context.Stage));
        return TrainingResults.From(context, outcome, RunKind.Import, phases);
    }, cancellationToken);

    public static TrainingOutcome Run(SpecSet specs, string instanceName, string repositoryRoot, string expectedSha256, CancellationToken ct, FeatureFrameCache? features = null, Action<string>? stage = null)
    {
        var instance = specs.Instances[instanceName].Value;
        var definition = specs.Definitions[instance.Definition].Value;
        var onnx = definition.Model.Onnx
            ?? throw new JobException($"definition {instance.Definition} has algorithm onnx but no model.onnx; give model.onnx.path, input and output");
        var path = SpecPaths.RelativeInside(repositoryRoot, onnx.Path)
            ?? throw new JobException($"model.onnx.path {onnx.Path} leaves the repository; keep the file inside it");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path.Combine(repositoryRoot, path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new JobException($"the ONNX file {path} is missing; restore it or fix model.onnx.path in definition {instance.Definition}");
        }
        var sha256 = ModelBundle.Sha256(bytes);
        if (sha256 != expectedSha256)
        {
            throw new JobException($"{path} changed since the plan was made (sha256 {expectedSha256[..Math.Min(8, expectedSha256.Length)]} -> {sha256[..8]}); run 'optaic plan' again");
        }
        ct.ThrowIfCancellationRequested();

        stage?.Invoke($"checking {path} and loading data");
        var data = PreparedData.Load(specs, instance, repositoryRoot, features);
        var bundle = new ModelBundle
        {
            Category = definition.Category,
            Algorithm = definition.Model.Algorithm,
            Task = TrainActivity.TaskName(definition),
            Features = [.. data.Features],
            Classes = definition.Model.Classes ?? [],
            Model = bytes,
        };
        // Loading checks the file against the definition (inputs, widths, outputs) before anything is registered.
        using var scorer = bundle.OpenScorer(definition);

        var gates = definition.Tests.Gates.Select(g => new GateSpec(g.Metric, g.Op, g.Threshold)).ToList();
        var task = TrainActivity.Task(definition);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (TrainActivity.Date(instance.Training.Start) is { } start && data.Target is not null)
        {
            var (rows, dropped, purged) = data.TrainingRows(start, TrainActivity.Date(instance.Training.End));
            if (rows.RowCount == 0)
            {
                throw new JobException($"the evaluation window {instance.Training.Start}..{instance.Training.End ?? "latest"} has no row with complete features and a known label ({dropped} dropped, {purged} purged)");
            }
            var evaluation = data.ToTrainingData(rows);
            var raw = InferActivity.Score(scorer, evaluation, ct);
            var names = definition.Training.Metrics.Count > 0 ? MetricSet.Parse(definition.Training.Metrics) : MetricSet.Default(task);
            foreach (var (name, value) in names.Compute(task, scorer.OutputWidth, raw, evaluation.Labels, rows.Time, rows.Entity))
            {
                metrics[name] = value;
            }
            if (task != ModelTask.Multiclass)
            {
                TrainActivity.SetPredictionStatistics(bundle, raw);
            }
            return new TrainingOutcome(bundle, metrics, GateEvaluator.Evaluate(metrics, gates), rows.Time[0], rows.Time[^1], rows.RowCount, dropped, purged, new Dictionary<string, object?>());
        }
        if (gates.Count > 0)
        {
            throw new JobException(
                $"definition {instance.Definition} has gates, but instance {instanceName} declares no evaluation window to compute them on; give training.start (and end) and a target, or remove the gates");
        }
        if (InferActivity.NeedsStatistics(definition))
        {
            throw new JobException(
                $"inference.transform {definition.Inference.Transform ?? "tanh-zscore"} needs the statistics of the model's scores on an earlier window; give instance {instanceName} an evaluation window (training.start and a target), or use transform none or clip");
        }
        return new TrainingOutcome(bundle, metrics, [], default, default, 0, 0, 0, new Dictionary<string, object?>());
    }
}
