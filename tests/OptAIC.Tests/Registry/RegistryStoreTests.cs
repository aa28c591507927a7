using System.Text;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

public sealed class RegistryStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ManualClock _clock = new(RegistryTestData.Created);
    private readonly RegistryStore _store;

    public RegistryStoreTests() => _store = new RegistryStore(_temp.Combine("models"), time: _clock);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Registering_stores_the_artifact_card_and_record_in_the_documented_layout()
    {
        var record = RegistryTestData.Version();

        var registered = _store.RegisterVersion(record, RegistryTestData.Artifact(), "# card\n");

        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(RegistryTestData.Artifact()));
        registered.Artifact.Uri.ShouldBe($"artifacts/sha256/{sha[..2]}/{sha}.zip");
        registered.Artifact.Sha256.ShouldBe(sha);
        registered.Artifact.Bytes.ShouldBe(RegistryTestData.Artifact().Length);
        registered.Artifact.MediaType.ShouldBe("application/zip");
        File.ReadAllBytes(_temp.Combine("models", "artifacts", "sha256", sha[..2], sha + ".zip")).ShouldBe(RegistryTestData.Artifact());
        File.ReadAllText(_temp.Combine("models", "spx-alpha", "cards", "0001.md")).ShouldBe("# card\n");
        var file = File.ReadAllText(_temp.Combine("models", "spx-alpha", "versions", "0001.yaml"));
        file.ShouldBe(RecordYaml.Serialize(registered));
        _store.GetVersion("spx-alpha", 1)!.Artifact.Sha256.ShouldBe(sha);
        _store.ReadArtifact(registered.Artifact).ShouldBe(RegistryTestData.Artifact());
        _store.Verify().IsClean.ShouldBeTrue();
    }

    [Fact]
    public void A_read_record_file_rewrites_byte_identical()
    {
        _store.RegisterVersion(RegistryTestData.Version(), RegistryTestData.Artifact(), "card");
        var path = _store.VersionPath("spx-alpha", 1);

        var read = RecordYaml.ReadFile<VersionRecord>(path);

        RecordYaml.SerializeToUtf8(read).ShouldBe(File.ReadAllBytes(path));
    }

    [Fact]
    public void Version_numbers_count_up_and_a_taken_number_is_refused()
    {
        _store.NextVersionNumber("spx-alpha").ShouldBe(1);
        _store.RegisterVersion(RegistryTestData.Version(version: 1), RegistryTestData.Artifact("1"), "v1");
        _store.RegisterVersion(RegistryTestData.Version(version: 2, seed: "2"), RegistryTestData.Artifact("2"), "v2");

        _store.NextVersionNumber("spx-alpha").ShouldBe(3);
        var e = Should.Throw<VersionAlreadyExistsException>(() =>
            _store.RegisterVersion(RegistryTestData.Version(version: 2, seed: "x"), RegistryTestData.Artifact("x"), "other"));
        e.Message.ShouldContain("Version 2 of 'spx-alpha' is already registered");
        _store.GetVersion("spx-alpha", 2)!.Fingerprint.Parts["seed"].ShouldBe("2");
        _store.GetModelCard("spx-alpha", 2).ShouldBe("v2");
        _store.GetVersions("spx-alpha").Select(v => v.Version).ShouldBe([1, 2]);
        _store.GetLatest("spx-alpha")!.Version.ShouldBe(2);
        _store.GetLatest("other").ShouldBeNull();
    }

    [Fact]
    public void Racing_registrations_of_one_number_let_exactly_one_win()
    {
        const int racers = 8;
        for (var round = 1; round <= 5; round++)
        {
            using var start = new Barrier(racers);
            var outcomes = new int[racers];

            // Dedicated threads (not the pool, which grows slowly on 2 cores) released together by the barrier.
            var threads = Enumerable.Range(0, racers).Select(i => new Thread(() =>
            {
                // Each racer has its own store, as two processes would.
                var store = new RegistryStore(_temp.Combine("models"));
                var record = RegistryTestData.Version(version: round, seed: $"{round}-{i}");
                start.SignalAndWait();
                try
                {
                    store.RegisterVersion(record, RegistryTestData.Artifact($"{round}-{i}"), $"card of racer {i}");
                    outcomes[i] = i;
                }
                catch (VersionAlreadyExistsException)
                {
                    outcomes[i] = -1;
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            var winners = outcomes.Where(i => i >= 0).ToList();
            winners.Count.ShouldBe(1, $"round {round}");
            var stored = _store.GetVersion("spx-alpha", round)!;
            stored.Fingerprint.Parts["seed"].ShouldBe($"{round}-{winners[0]}");
            _store.GetModelCard("spx-alpha", round).ShouldBe($"card of racer {winners[0]}");
        }

        _store.Verify().IsClean.ShouldBeTrue();
    }

    [Fact]
    public void Registering_with_an_already_stored_artifact_checks_it_first()
    {
        var record = RegistryTestData.Version();
        record.Artifact = _store.Artifacts.Put(RegistryTestData.Artifact(), "zip", "application/zip");
        _store.RegisterVersion(record, "card").Version.ShouldBe(1);

        var dangling = RegistryTestData.Version(version: 2);
        dangling.Artifact = new ArtifactRef { Uri = "artifacts/sha256/00/00.zip", Sha256 = "00", Bytes = 1, MediaType = "application/zip" };
        Should.Throw<ArtifactIntegrityException>(() => _store.RegisterVersion(dangling, "card")).Message.ShouldContain("not stored");
        File.Exists(_store.VersionPath("spx-alpha", 2)).ShouldBeFalse();
        File.Exists(_store.ModelCardPath("spx-alpha", 2)).ShouldBeFalse();
    }

    [Fact]
    public void A_record_without_a_fingerprint_or_with_a_bad_number_is_refused()
    {
        var record = RegistryTestData.Version();
        record.Fingerprint = new Fingerprint();
        Should.Throw<ArgumentException>(() => _store.RegisterVersion(record, [1], "c")).Message.ShouldContain("no fingerprint");

        Should.Throw<ArgumentException>(() => _store.RegisterVersion(RegistryTestData.Version(version: 0), [1], "c")).Message.ShouldContain("start at 1");
        Should.Throw<ArgumentException>(() => _store.RegisterVersion(RegistryTestData.Version(instance: "../x"), [1], "c"));
        Should.Throw<ArgumentException>(() => _store.RegisterVersion(RegistryTestData.Version(instance: "artifacts"), [1], "c"));
    }

    [Fact]
    public void Promoting_demotes_the_previous_production_version_and_the_history_only_grows()
    {
        for (var v = 1; v <= 3; v++)
        {
            _store.RegisterVersion(RegistryTestData.Version(version: v, seed: $"{v}"), RegistryTestData.Artifact($"{v}"), "card");
        }

        _store.ChangeStage("spx-alpha", 1, Stage.Staging, "bot", "registered");
        _clock.Advance(TimeSpan.FromMinutes(1));
        _store.ChangeStage("spx-alpha", 1, Stage.Production, "bot", "policy auto");
        _clock.Advance(TimeSpan.FromMinutes(1));
        _store.ChangeStage("spx-alpha", 2, Stage.Production, "alice", "better IC");
        _clock.Advance(TimeSpan.FromMinutes(1));
        var history = _store.ChangeStage("spx-alpha", 3, Stage.Production, "bob", "rollforward", demotePreviousTo: Stage.Staging);

        history.Current.ShouldBe(new SortedDictionary<int, Stage> { [1] = Stage.Archived, [2] = Stage.Staging, [3] = Stage.Production });
        history.Production.ShouldBe(3);
        history.Entries.Select(e => (e.Version, e.From, e.To, e.By, e.Reason)).ShouldBe(
        [
            (1, null, Stage.Staging, "bot", "registered"),
            (1, Stage.Staging, Stage.Production, "bot", "policy auto"),
            (1, Stage.Production, Stage.Archived, "alice", "superseded by version 2"),
            (2, null, Stage.Production, "alice", "better IC"),
            (2, Stage.Production, Stage.Staging, "bob", "superseded by version 3"),
            (3, null, Stage.Production, "bob", "rollforward"),
        ]);
        history.Entries[3].At.ShouldBe(RegistryTestData.Created.AddMinutes(2));

        var reread = _store.GetStageHistory("spx-alpha");
        RecordYaml.Serialize(reread).ShouldBe(RecordYaml.Serialize(history));

        // Same stage again: no new entry.
        _store.ChangeStage("spx-alpha", 3, Stage.Production, "bob", "again").Entries.Count.ShouldBe(6);
        Should.Throw<RegistryException>(() => _store.ChangeStage("spx-alpha", 9, Stage.Staging, "bob", "x")).Message.ShouldContain("not registered");
    }

    [Fact]
    public void Archiving_keeps_every_file_archives_all_versions_and_blocks_promotion()
    {
        _store.RegisterVersion(RegistryTestData.Version(version: 1), RegistryTestData.Artifact("1"), "card");
        _store.RegisterVersion(RegistryTestData.Version(version: 2, seed: "2"), RegistryTestData.Artifact("2"), "card");
        _store.ChangeStage("spx-alpha", 2, Stage.Production, "bot", "auto");
        var filesBefore = Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories).Length;

        _store.Archive("spx-alpha", "bot", "removed from specs");
        _store.Archive("spx-alpha", "bot", "removed from specs");

        var status = _store.GetInstanceStatus("spx-alpha")!;
        status.Archived.ShouldBeTrue();
        status.ArchivedBy.ShouldBe("bot");
        status.ArchiveReason.ShouldBe("removed from specs");
        var stages = _store.GetStageHistory("spx-alpha");
        stages.Current.Values.ShouldAllBe(s => s == Stage.Archived);
        stages.Entries.Count.ShouldBe(3);
        _store.GetVersions("spx-alpha").Count.ShouldBe(2);
        Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories).Length.ShouldBe(filesBefore + 1);
        Should.Throw<RegistryException>(() => _store.ChangeStage("spx-alpha", 2, Stage.Production, "bot", "x")).Message.ShouldContain("archived");
        _store.ListInstances().ShouldBe(["spx-alpha"]);
    }

    [Fact]
    public void Runs_monitoring_and_status_are_written_and_read_back()
    {
        var run = new RunRecord
        {
            RunId = RunRecord.NewRunId(RunKind.Training, RegistryTestData.Created),
            Instance = "spx-alpha",
            Kind = RunKind.Training,
            Status = RunStatus.Failed,
            StartedAt = RegistryTestData.Created,
            Error = "gate ic >= 0.02 failed: 0.011",
            Gates = [new GateResult { Metric = "ic", Op = ">=", Threshold = 0.02, Value = 0.011, Passed = false }],
        };
        run.RunId.ShouldStartWith("20240131T120000Z-training-");
        _store.WriteRun(run);
        _store.WriteMonitoring(new MonitoringRecord
        {
            RunId = "m1",
            Instance = "spx-alpha",
            CreatedAt = RegistryTestData.Created,
            Alerts = [new MonitoringAlert { Kind = AlertKind.Drift, Subject = "vol_20d", Message = "PSI 0.31 > 0.25", Value = 0.31, Threshold = 0.25 }],
            Report = new Dictionary<string, object?> { ["psi"] = new Dictionary<string, double> { ["vol_20d"] = 0.31 } },
        });
        var health = HealthRules.Evaluate(_store.GetLatest("spx-alpha")?.Version, run, []);
        _store.SetInstanceStatus(new InstanceStatus { Instance = "spx-alpha", Health = health.Health, HealthReason = health.Reason });

        _store.GetRuns("spx-alpha").Single().Error.ShouldBe("gate ic >= 0.02 failed: 0.011");
        _store.GetRun("spx-alpha", run.RunId)!.Gates.Single().Passed.ShouldBeFalse();
        var monitoring = _store.GetMonitoring("spx-alpha", "m1")!;
        monitoring.Alerts.Single().Subject.ShouldBe("vol_20d");
        ((IDictionary<string, object?>)((IDictionary<string, object?>)monitoring.Report!)["psi"]!)["vol_20d"].ShouldBe(0.31);
        var status = _store.GetInstanceStatus("spx-alpha")!;
        status.Health.ShouldBe(Health.Failing);
        status.HealthReason.ShouldBe($"last training run {run.RunId} failed: gate ic >= 0.02 failed: 0.011");
        File.ReadAllText(_store.StatusPath("spx-alpha")).ShouldContain("health: failing\n");
    }

    [Fact]
    public void Health_rule_ranks_failing_then_missing_then_degraded()
    {
        var failed = new RunRecord { RunId = "r", Kind = RunKind.Inference, Status = RunStatus.Failed, Error = "no rows" };
        var ok = new RunRecord { RunId = "r", Kind = RunKind.Inference, Status = RunStatus.Succeeded };
        MonitoringAlert[] drift = [new() { Kind = AlertKind.Drift, Subject = "vol_20d" }];
        MonitoringAlert[] other = [new() { Kind = AlertKind.Other, Subject = "x" }];

        HealthRules.Evaluate(null, failed, drift).Health.ShouldBe(Health.Failing);
        HealthRules.Evaluate(3, failed, drift).Health.ShouldBe(Health.Failing);
        HealthRules.Evaluate(null, ok, drift).Health.ShouldBe(Health.Missing);
        HealthRules.Evaluate(null, null, []).Health.ShouldBe(Health.Missing);
        HealthRules.Evaluate(3, ok, drift).ShouldBe(new HealthAssessment(Health.Degraded, "1 alert(s): drift on vol_20d"));
        HealthRules.Evaluate(3, ok, other).Health.ShouldBe(Health.Healthy);
        HealthRules.Evaluate(3, null, []).Health.ShouldBe(Health.Healthy);
    }

    [Fact]
    public void Verify_reports_missing_and_altered_artifacts_orphan_cards_and_temp_files_and_cleaning_removes_leftovers()
    {
        var v1 = _store.RegisterVersion(RegistryTestData.Version(version: 1), RegistryTestData.Artifact("1"), "card");
        var v2 = _store.RegisterVersion(RegistryTestData.Version(version: 2, seed: "2"), RegistryTestData.Artifact("2"), "card");
        File.Delete(Path.Combine(_store.Root, v1.Artifact.Uri));
        File.WriteAllText(Path.Combine(_store.Root, v2.Artifact.Uri), "tampered");

        // An interrupted registration (card written, killed before the record) and an interrupted write.
        File.WriteAllText(_store.ModelCardPath("spx-alpha", 3), "orphan");
        var temp = Path.Combine(_store.InstanceDirectory("spx-alpha"), ".stages.yaml.0123." + "optaic-tmp");
        File.WriteAllText(temp, "half a reco");

        var report = _store.Verify();

        report.Problems.Select(p => p.Kind).Order().ShouldBe(
        [
            RegistryProblemKind.MissingArtifact,
            RegistryProblemKind.ArtifactHashMismatch,
            RegistryProblemKind.OrphanModelCard,
            RegistryProblemKind.InterruptedWrite,
        ]);
        report.Problems.Single(p => p.Kind == RegistryProblemKind.MissingArtifact).Path.ShouldBe(_store.VersionPath("spx-alpha", 1));
        _store.NextVersionNumber("spx-alpha").ShouldBe(4);
        Should.Throw<ArtifactIntegrityException>(() => _store.ReadArtifact(v2.Artifact)).Message.ShouldContain("altered or corrupted");

        _store.CleanInterruptedWrites().Order(StringComparer.Ordinal).ShouldBe(new[] { temp, _store.ModelCardPath("spx-alpha", 3) }.Order(StringComparer.Ordinal));

        File.Exists(temp).ShouldBeFalse();
        _store.NextVersionNumber("spx-alpha").ShouldBe(3);
        _store.Verify(verifyHashes: false).Problems.Select(p => p.Kind).ShouldBe([RegistryProblemKind.MissingArtifact]);
    }

    [Fact]
    public void A_malformed_record_in_the_registry_names_its_file()
    {
        _store.RegisterVersion(RegistryTestData.Version(), RegistryTestData.Artifact(), "card");
        var path = _store.VersionPath("spx-alpha", 1);
        File.WriteAllText(path, File.ReadAllText(path).Replace("version: 1\n", "version: 1\nversoin: 2\n", StringComparison.Ordinal));

        var e = Should.Throw<RegistryFormatException>(() => _store.GetVersions("spx-alpha"));

        e.File.ShouldBe(path);
        e.Line.ShouldBe(3);
        _store.Verify().Problems.Single().Kind.ShouldBe(RegistryProblemKind.MalformedRecord);
    }

    [Fact]
    public void A_record_in_the_wrong_file_is_reported()
    {
        _store.RegisterVersion(RegistryTestData.Version(), RegistryTestData.Artifact(), "card");
        File.Copy(_store.VersionPath("spx-alpha", 1), _store.VersionPath("spx-alpha", 2));

        Should.Throw<RegistryFormatException>(() => _store.GetVersion("spx-alpha", 2)).Message.ShouldContain("the file is version 2 of 'spx-alpha' but the record says version 1");
    }

    [Fact]
    public void Summaries_read_status_stages_and_latest_version_of_each_instance()
    {
        _store.RegisterVersion(RegistryTestData.Version("a", 1), RegistryTestData.Artifact("a"), "card");
        _store.RegisterVersion(RegistryTestData.Version("b", 1), RegistryTestData.Artifact("b1"), "card");
        _store.RegisterVersion(RegistryTestData.Version("b", 2, "2"), RegistryTestData.Artifact("b2"), "card");
        _store.ChangeStage("b", 2, Stage.Production, "bot", "auto");
        _store.SetInstanceStatus(new InstanceStatus { Instance = "b", Health = Health.Healthy });

        var summaries = _store.GetSummaries();

        summaries.Select(s => s.Instance).ShouldBe(["a", "b"]);
        summaries[0].Status.ShouldBeNull();
        summaries[0].Latest!.Version.ShouldBe(1);
        summaries[1].Latest!.Version.ShouldBe(2);
        summaries[1].Stages.Production.ShouldBe(2);
        summaries[1].Status!.Health.ShouldBe(Health.Healthy);
    }

    [Fact]
    public async Task Concurrent_readers_never_see_a_half_written_file()
    {
        var path = _temp.Combine("atomic", "status.yaml");
        var versions = Enumerable.Range(0, 2).Select(i => new InstanceStatus
        {
            Instance = "x",
            HealthReason = new string((char)('a' + i), 20_000 + (i * 10_000)),
        }).Select(RecordYaml.SerializeToUtf8).ToArray();
        AtomicFile.Write(path, versions[0]);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 300; i++)
            {
                AtomicFile.Write(path, versions[i % 2]);
            }

            stop.Cancel();
        });

        var reads = 0;
        while (!stop.IsCancellationRequested || reads == 0)
        {
            var bytes = File.ReadAllBytes(path);
            (bytes.AsSpan().SequenceEqual(versions[0]) || bytes.AsSpan().SequenceEqual(versions[1])).ShouldBeTrue();
            reads++;
        }

        await writer;
        Directory.GetFiles(Path.GetDirectoryName(path)!).ShouldBe([path]);
    }

    [Fact]
    public void TryCreate_does_not_replace_an_existing_file()
    {
        var path = _temp.Combine("x", "0001.yaml");

        AtomicFile.TryCreate(path, Encoding.UTF8.GetBytes("first")).ShouldBeTrue();
        AtomicFile.TryCreate(path, Encoding.UTF8.GetBytes("second")).ShouldBeFalse();

        File.ReadAllText(path).ShouldBe("first");
        Directory.GetFiles(_temp.Combine("x")).ShouldBe([path]);
    }

    [Fact]
    public void TryCreate_racers_on_one_name_have_exactly_one_winner_whose_content_is_stored()
    {
        const int racers = 12;
        for (var round = 0; round < 20; round++)
        {
            var path = _temp.Combine("race", $"{round:D4}.yaml");
            using var start = new Barrier(racers);
            var won = new bool[racers];
            var threads = Enumerable.Range(0, racers).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                won[i] = AtomicFile.TryCreate(path, Encoding.UTF8.GetBytes($"racer {i}"));
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            won.Count(w => w).ShouldBe(1, $"round {round}");
            File.ReadAllText(path).ShouldBe($"racer {Array.IndexOf(won, true)}");
        }

        Directory.GetFiles(_temp.Combine("race")).Length.ShouldBe(20, "no temporary file is left behind");
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
