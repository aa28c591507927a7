using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply.Runs;

/// <summary>The run contract: requests and results survive JSON as they are, and a worker refuses a request its checkout does not match.</summary>
public class RunContractTests
{
    [Fact]
    public void A_request_and_a_result_read_back_from_json_as_they_were_written()
    {
        var request = Request("sha256:abc") with
        {
            Model = new ModelReference(3, "artifacts/sha256/ab/abc.zip", "abc"),
            Upstream = new Dictionary<string, ArtifactReference> { ["spx-alpha"] = new("artifacts/sha256/cd/cd.parquet", "cd") },
            Reasons = ["model changes"],
            Policy = new RunPolicy { Retries = 2, Timeout = TimeSpan.FromMinutes(5) },
        };
        var result = new RunResult
        {
            RunId = "r1",
            Activity = "train",
            Instance = "spx-alpha",
            Outcome = RunOutcome.GateFailed,
            Error = "gates failed: rank_ic 0.01 < 0.02",
            Records = new RunRecords
            {
                Run = new RunRecord
                {
                    RunId = "r1",
                    Instance = "spx-alpha",
                    Kind = RunKind.Training,
                    Metrics = new(StringComparer.Ordinal) { ["rank_ic"] = double.NaN, ["ic"] = 0.25 },
                    Details = new(StringComparer.Ordinal) { ["rows"] = 1200, ["window"] = "2020-01-01..2021-01-01", ["share"] = 0.5, ["reasons"] = new List<string> { "a" } },
                },
                Monitoring = new MonitoringRecord { RunId = "m1", Report = new Dictionary<string, object?> { ["driftShare"] = 0.25 } },
            },
            Phases = [new RunPhase("train", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(112))],
            RowsRead = 1200,
        };

        var requestJson = RunJson.Serialize(request);
        var resultJson = RunJson.Serialize(result);
        var request2 = RunJson.Deserialize<RunRequest>(requestJson, "request.json");
        var result2 = RunJson.Deserialize<RunResult>(resultJson, "result.json");

        RunJson.Serialize(request2).ShouldBe(requestJson);
        RunJson.Serialize(result2).ShouldBe(resultJson);
        request2.Policy.Timeout.ShouldBe(TimeSpan.FromMinutes(5));
        request2.Upstream["spx-alpha"].Sha256.ShouldBe("cd");
        result2.Outcome.ShouldBe(RunOutcome.GateFailed);
        result2.Records.Run!.Details["rows"].ShouldBe(1200L); // plain values, not JsonElement
        result2.Records.Run.Details["reasons"].ShouldBe(new List<object?> { "a" });
        double.IsNaN(result2.Records.Run.Metrics["rank_ic"]).ShouldBeTrue();
        result2.Records.Monitoring!.Report.ShouldBeOfType<Dictionary<string, object?>>()["driftShare"].ShouldBe(0.25);
        result2.StartedAt.ShouldBe(DateTimeOffset.UnixEpoch);
        result2.FinishedAt.ShouldBe(DateTimeOffset.UnixEpoch.AddSeconds(112));
        requestJson.ShouldContain("\"activity\": \"probe\"");
        resultJson.ShouldContain("\"outcome\": \"GateFailed\"");
    }

    [Fact]
    public async Task A_worker_refuses_a_request_whose_specs_or_data_differ_from_its_checkout_and_names_what_differs()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        var workspace = RunWorkspace.Open(repo.Path);
        var activities = new RunActivities().Register(new Probe());
        var version = workspace.DatasetVersion("spx-daily");

        var good = await RunHost.ExecuteAsync(Request(workspace.SpecsHash, version), workspace, activities: activities);
        var otherSpecs = await RunHost.ExecuteAsync(Request("sha256:0123456789abcdef", version), workspace, activities: activities);
        var otherData = await RunHost.ExecuteAsync(Request(workspace.SpecsHash, "feedbeef"), workspace, activities: activities);
        var unknown = await RunHost.ExecuteAsync(Request(workspace.SpecsHash, version) with { Activity = "dance" }, workspace, activities: activities);

        good.Outcome.ShouldBe(RunOutcome.Succeeded, good.Error);
        otherSpecs.Outcome.ShouldBe(RunOutcome.Failed);
        otherSpecs.Error.ShouldStartWith("refused: specs: the request was planned on sha256:0123456789a");
        otherData.Outcome.ShouldBe(RunOutcome.Failed);
        otherData.Error.ShouldStartWith("refused: dataset spx-daily: the request reads content version feedbeef");
        unknown.Error.ShouldBe("no activity 'dance' (known: probe)");
    }

    [Fact]
    public async Task A_failing_attempt_is_retried_as_the_policy_says_and_a_timeout_fails_the_run()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        var workspace = RunWorkspace.Open(repo.Path);
        var request = Request(workspace.SpecsHash, workspace.DatasetVersion("spx-daily"));

        var once = await RunHost.ExecuteAsync(request, workspace, activities: new RunActivities().Register(new Probe(failures: 1)));
        var retried = await RunHost.ExecuteAsync(request with { Policy = new RunPolicy { Retries = 1 } }, workspace, activities: new RunActivities().Register(new Probe(failures: 1)));
        var slow = await RunHost.ExecuteAsync(request with { Policy = new RunPolicy { Timeout = TimeSpan.FromMilliseconds(50) } }, workspace, activities: new RunActivities().Register(new Probe(delay: TimeSpan.FromMinutes(1))));

        once.Outcome.ShouldBe(RunOutcome.Failed);
        once.Error.ShouldBe("InvalidOperationException: attempt 1 fails");
        retried.Outcome.ShouldBe(RunOutcome.Succeeded);
        retried.Summary.ShouldBe("attempt 2");
        slow.Outcome.ShouldBe(RunOutcome.Failed);
        slow.Error!.ShouldStartWith("timed out after 00:00:00.05");
    }

    private static RunRequest Request(string specs, string? version = null) => new()
    {
        RunId = "probe-1",
        Activity = "probe",
        Instance = "spx-alpha",
        Specs = specs,
        Datasets = version is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["spx-daily"] = version },
        ArtifactStore = "repository:models",
    };

    private sealed class Probe(int failures = 0, TimeSpan? delay = null) : IRunActivity
    {
        private int _attempts;

        public string Name => "probe";

        public async Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken)
        {
            var attempt = ++_attempts;
            if (delay is { } wait)
            {
                await Task.Delay(wait, cancellationToken);
            }
            if (attempt <= failures)
            {
                throw new InvalidOperationException($"attempt {attempt} fails");
            }
            return new RunResult { RunId = context.Request.RunId, Activity = Name, Instance = context.Request.Instance, Outcome = RunOutcome.Succeeded, Summary = $"attempt {attempt}" };
        }
    }
}
