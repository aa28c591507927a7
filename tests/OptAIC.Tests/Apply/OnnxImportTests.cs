using System.Globalization;
using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Cli;
using OptAIC.Tests.ML.Inference;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply;

/// <summary>
/// Models trained by scikit-learn and written as ONNX by the onnx package (Fixtures/onnx/make_fixtures.py),
/// declared with algorithm: onnx, applied through the real command: plan offers "+ import", apply stores the
/// file, registers a version without training, and the predictions it records equal scikit-learn's on every row.
/// </summary>
public sealed class OnnxImportTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private readonly Support.TempFolder _repo = new("optaic-onnx");

    public OnnxImportTests()
    {
        foreach (var file in new[] { "linear.onnx", "gbr.onnx", "classifier.onnx", "classifier_zipmap.onnx", "two_inputs.onnx" })
        {
            File.Copy(SklearnFixtures.File(file), _repo.File($"specs/models/{file}".Replace('/', Path.DirectorySeparatorChar)).EnsureFolder());
        }
        File.Copy(SklearnFixtures.File("rows.csv"), _repo.File("specs/data/rows.csv").EnsureFolder());
        _repo.Write("specs/project.yaml", """
            apiVersion: optaic.io/v1
            kind: Project
            metadata: { name: onnx-import }
            spec: { dataRoot: specs/data }
            """);
        _repo.Write("specs/datasets/rows.yaml", """
            apiVersion: optaic.io/v1
            kind: Dataset
            metadata: { name: rows }
            spec:
              format: csv
              path: rows.csv
              timeColumn: time
              knowledgeLag: 0d
              frequency: day
              columns:
                - { name: time, type: date }
                - { name: x1, type: double }
                - { name: x2, type: double }
                - { name: x3, type: double }
                - { name: x4, type: double }
                - { name: y, type: double }
                - { name: regime, type: int }
            """);
        _repo.Write("specs/features/sk.yaml", """
            apiVersion: optaic.io/v1
            kind: FeatureSet
            metadata: { name: sk }
            spec:
              source: rows
              features:
                - { name: f1, expr: "x1" }
                - { name: f2, expr: "x2" }
                - { name: f3, expr: "x3" }
                - { name: f4, expr: "x4" }
            """);
        Regression("sk-linear", "onnx: { path: specs/models/linear.onnx, input: float_input, output: variable }");
        Regression("sk-gbr", "onnx: { path: specs/models/gbr.onnx, input: float_input, output: variable }");
        Regression("sk-two",
            "onnx: { path: specs/models/two_inputs.onnx, inputs: [{ name: price, features: [f1, f2] }, { name: volume, features: [f3, f4] }], output: variable }");
        Classifier("sk-classes", "classifier.onnx", "probabilities");
        Classifier("sk-zipmap", "classifier_zipmap.onnx", "output_probability");
        Repository.Init(_repo.Path);
        Commit("onnx models from scikit-learn");
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void Plan_offers_import_not_train_and_apply_records_scikit_learns_predictions_on_every_row()
    {
        var (planExit, plan, planError) = OptaicProcess.Run(_repo.Path, null, "plan");
        planExit.ShouldBe(0, plan + planError);
        plan.ShouldContain("+ import sk-linear");
        plan.ShouldContain("no version imported yet");
        plan.ShouldNotContain("+ train");
        plan.ShouldContain("5 to import");

        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null, "apply");

        exit.ShouldBe(0, output + error);
        var session = ReconcileSession.Open(_repo.Path);
        var rows = SklearnFixtures.Rows;
        foreach (var (instance, column) in new[] { ("sk-linear", "linear"), ("sk-gbr", "gbr"), ("sk-two", "two_inputs") })
        {
            var version = session.Registry.GetVersion(instance, 1)!;
            version.Algorithm.ShouldBe("onnx");
            version.TrainingWindow.ShouldBeNull("nothing was trained");
            var predictions = Predictions(session, instance);
            predictions.RowCount.ShouldBe(rows, $"{instance} scores from the dataset's first row");
            var score = predictions.Numeric("score");
            var expected = SklearnFixtures.Expected(column);
            for (var r = 0; r < rows; r++)
            {
                score[r].ShouldBe(expected[r], Tolerance, $"{instance} row {r}");
            }
        }
        foreach (var instance in new[] { "sk-classes", "sk-zipmap" })
        {
            var predictions = Predictions(session, instance);
            predictions.RowCount.ShouldBe(rows);
            var classes = predictions.Numeric("class");
            var expectedClass = SklearnFixtures.Expected("class");
            for (var r = 0; r < rows; r++)
            {
                classes[r].ShouldBe(expectedClass[r], $"{instance} row {r}");
            }
            foreach (var name in new[] { "bear", "flat", "bull" })
            {
                var p = predictions.Numeric($"p_{name}");
                var expected = SklearnFixtures.Expected($"p_{name}");
                for (var r = 0; r < rows; r++)
                {
                    p[r].ShouldBe(expected[r], Tolerance, $"{instance} p_{name} row {r}");
                }
            }
        }
        // The file itself is the artifact's model: stored, not re-trained.
        var run = session.Registry.GetRuns("sk-linear").Single(r => r.Kind == RunKind.Import);
        run.Status.ShouldBe(RunStatus.Succeeded);
        OptaicProcess.Run(_repo.Path, null, "plan", "--detailed-exitcode").Exit.ShouldBe(0, "nothing left to do");
    }

    [Fact]
    public void A_replaced_file_plans_a_new_version_naming_both_hashes_and_new_rows_do_not()
    {
        OptaicProcess.Run(_repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        var before = Sha256(_repo.File("specs/models/linear.onnx"));
        File.Copy(SklearnFixtures.File("gbr.onnx"), _repo.File("specs/models/linear.onnx"), overwrite: true);
        var after = Sha256(_repo.File("specs/models/linear.onnx"));
        Commit("replace the linear model");

        var (exit, plan, error) = OptaicProcess.Run(_repo.Path, null, "plan");

        exit.ShouldBe(0, plan + error);
        plan.ShouldContain("~ import sk-linear");
        plan.ShouldContain($"onnx file changed (sha256 {before[..4]}… -> {after[..4]}…)");
        plan.ShouldNotContain("import sk-gbr");
        OptaicProcess.Run(_repo.Path, null, "apply", "--quiet").Exit.ShouldBe(0);
        ReconcileSession.Open(_repo.Path).Registry.GetVersionNumbers("sk-linear").ShouldBe([1, 2]);

        // New rows re-score; they never import a version again.
        File.AppendAllText(_repo.File("specs/data/rows.csv"), "2020-08-28,0.10,0.20,0.30,0.40,0.5,1\n");
        Commit("a new row");
        var (_, again, _) = OptaicProcess.Run(_repo.Path, null, "plan");
        again.ShouldNotContain("import");
        again.ShouldContain("~ infer sk-linear");
    }

    [Fact]
    public void A_missing_onnx_file_is_a_lint_finding_not_a_failed_apply()
    {
        File.Delete(_repo.File("specs/models/gbr.onnx"));
        Commit("lose the file");

        var (exit, output, error) = OptaicProcess.Run(_repo.Path, null, "plan");

        exit.ShouldBe(1, output + error);
        (output + error).ShouldContain("gbr.onnx");
        (output + error).ShouldNotContain("internal error");
    }

    private static Engine.Data.Frame Predictions(ReconcileSession session, string instance)
    {
        var uri = session.Registry.GetInstanceStatus(instance)!.Applied[AppliedActions.Infer].Output!;
        var bytes = session.Registry.Artifacts.Get(new ArtifactRef { Uri = uri, Sha256 = Path.GetFileNameWithoutExtension(uri) });
        return PredictionFiles.Read(bytes, Path.Combine(session.WorkFolder, "tmp"));
    }

    private static string Sha256(string path) => SpecBindings.Sha256Of(path);

    private void Regression(string name, string onnx)
    {
        _repo.Write($"specs/definitions/{name}.yaml", $$"""
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: {{name}} }
            spec:
              category: relevance
              docs: { description: A model fitted by scikit-learn. }
              model:
                algorithm: onnx
                {{onnx}}
              training: { validation: { scheme: none } }
              inference: { transform: none }
              monitoring: {}
              tests: { gates: [] }
            """);
        Instance(name);
    }

    private void Classifier(string name, string file, string output)
    {
        _repo.Write($"specs/definitions/{name}.yaml", $$"""
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata: { name: {{name}} }
            spec:
              category: regime
              docs: { description: A multiclass linear classifier fitted by scikit-learn. }
              model:
                algorithm: onnx
                task: multiclass
                classes: [bear, flat, bull]
                onnx: { path: specs/models/{{file}}, input: float_input, output: {{output}} }
              training: { validation: { scheme: none } }
              inference: {}
              monitoring: {}
              tests: { gates: [] }
            """);
        Instance(name);
    }

    private void Instance(string name) => _repo.Write($"specs/instances/{name}.yaml", $$"""
        apiVersion: optaic.io/v1
        kind: ModelInstance
        metadata: { name: {{name}} }
        spec:
          definition: {{name}}
          features: { featureSet: sk }
          seed: 1
        """);

    private void Commit(string message)
    {
        using var git = new Repository(_repo.Path);
        Commands.Stage(git, "*");
        var me = new Signature("test", "test@example.com", DateTimeOffset.UtcNow);
        git.Commit(message, me, me, new CommitOptions { AllowEmptyCommit = true });
    }
}

internal static class PathExtensions
{
    /// <summary>Creates the folder of a file path and returns the path.</summary>
    public static string EnsureFolder(this string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
