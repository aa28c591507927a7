using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Cli;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply;

/// <summary>
/// Runs that stand alone: a whole apply of the example's six instances through an executor that starts every
/// run as its own `optaic run-activity` process, given only the serialised request, leaves the same registry
/// as the in-process apply (times aside); a worker refuses a request its checkout does not match.
/// </summary>
public partial class ChildProcessExecutorTests
{
    private static readonly string[] AllInstances = ["spx-alpha", "spx-linear", "spx-ensemble", "spx-regime", "spx-filtered", "spx-relevance"];

    [Fact]
    public async Task A_whole_apply_through_child_processes_records_what_the_in_process_apply_records()
    {
        using var inProcess = ExampleRepository.Create(AllInstances);
        using var children = ExampleRepository.Create(AllInstances);

        var expected = await new Applier(ReconcileSession.Open(inProcess.Path)).ApplyAsync();
        var started = new List<string>();
        var executor = new CountingExecutor(new ChildProcessRunExecutor(children.Path, OptaicProcess.Binary), started);
        var actual = await new Applier(ReconcileSession.Open(children.Path), new ApplyOptions { Executor = executor }).ApplyAsync();

        expected.Succeeded.ShouldBeTrue(RegistryRecords.Describe(expected));
        actual.Succeeded.ShouldBeTrue(RegistryRecords.Describe(actual));
        started.Count.ShouldBe(actual.Plan.Actions.Count, "every action ran as its own process");
        actual.Outcomes.Select(o => (o.Action.Id, o.Status, o.Summary)).ShouldBe(expected.Outcomes.Select(o => (o.Action.Id, o.Status, o.Summary)));

        var want = RegistryRecords.Masked(Path.Combine(inProcess.Path, "models"));
        var got = RegistryRecords.Masked(Path.Combine(children.Path, "models"));
        got.Keys.Order(StringComparer.Ordinal).ShouldBe(want.Keys.Order(StringComparer.Ordinal));
        want.Count.ShouldBeGreaterThan(40);
        foreach (var (path, text) in want)
        {
            got[path].ShouldBe(text, $"{path} differs");
        }
        ReconcileSession.Open(children.Path).Plan().Actions.ShouldBeEmpty();
    }

    [Fact]
    public void A_worker_refuses_a_request_whose_dataset_content_differs_from_its_checkout()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        var session = ReconcileSession.Open(repo.Path);
        var plan = session.Plan();
        var train = plan.Actions.Single(a => a.Kind == ActionKind.Train);
        var request = new RunRequest
        {
            RunId = "train-spx-alpha-test",
            Activity = RunActivityNames.Train,
            Instance = "spx-alpha",
            Specs = "sha256:" + plan.SpecsHash,
            Datasets = new Dictionary<string, string> { ["spx-daily"] = "sha256:0000000000000000000000000000000000000000000000000000000000000000" },
            ArtifactStore = "repository:models",
            Reasons = train.Reasons,
        };
        var requestFile = Path.Combine(repo.Path, "request.json");
        var resultFile = Path.Combine(repo.Path, "result.json");
        File.WriteAllText(requestFile, RunJson.Serialize(request));

        var (exit, _, error) = OptaicProcess.Run(repo.Path, null, "run-activity", requestFile, "--result", resultFile);

        exit.ShouldBe(1, error);
        var result = RunJson.Deserialize<RunResult>(File.ReadAllText(resultFile), resultFile);
        result.Outcome.ShouldBe(RunOutcome.Failed);
        result.Failure.ShouldBe(RunFailure.Request);
        result.Error.ShouldNotBeNull().ShouldContain("dataset spx-daily: the request reads content version sha256:0000");
        Directory.Exists(Path.Combine(repo.Path, "models")).ShouldBeFalse("a refused run writes nothing");
    }

    [Fact]
    public void An_unreadable_request_is_a_usage_error_naming_the_file()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        File.WriteAllText(Path.Combine(repo.Path, "broken.json"), "{ not json");

        var (missing, _, missingError) = OptaicProcess.Run(repo.Path, null, "run-activity", "nowhere.json");
        var (broken, _, brokenError) = OptaicProcess.Run(repo.Path, null, "run-activity", "broken.json");

        missing.ShouldBe(2);
        missingError.ShouldContain("nowhere.json: no such request file");
        broken.ShouldBe(2);
        brokenError.ShouldContain("broken.json: not a run request");
        brokenError.ShouldNotContain("   at ");
    }


    private sealed class CountingExecutor(IRunExecutor inner, List<string> started) : IRunExecutor
    {
        public Task<RunResult> ExecuteAsync(RunRequest request, IProgress<RunProgress>? progress, CancellationToken cancellationToken)
        {
            lock (started)
            {
                started.Add(request.RunId);
            }
            return inner.ExecuteAsync(request, progress, cancellationToken);
        }
    }
}
