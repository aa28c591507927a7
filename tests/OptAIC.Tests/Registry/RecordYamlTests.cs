using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

public class RecordYamlTests
{
    private const string Sha = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";

    [Fact]
    public void Version_record_is_written_in_declaration_order_with_sorted_maps_and_invariant_scalars()
    {
        var record = RegistryTestData.Version(version: 3);
        record.Artifact = new ArtifactRef { Uri = $"artifacts/sha256/ab/{Sha}.zip", Sha256 = Sha, Bytes = 1234, MediaType = "application/zip" };

        var yaml = RecordYaml.Serialize(record);

        // Written by hand: the order of keys, the quoting of "42" and ">=", .nan, dates and the trailing newline.
        yaml.ShouldBe($"""
            instance: spx-alpha
            version: 3
            createdAt: 2024-01-31T12:00:00Z
            definition: gbm-signal
            category: signal
            algorithm: lightgbm-regression
            fingerprint:
              value: 005b8158cd90147eeafcd21153ceffecb7c0f0e980f910b511d1f35fb1dcf32d
              parts:
                dataset/spx-daily: v7
                seed: "42"
                spec: abc
            features:
            - ret_1d
            - vol_20d
            target: fwd_ret_5d
            trainingWindow:
              from: 2005-01-03
              to: 2019-12-31
              rows: 3750
            hyperparameters:
              flag: true
              learningRate: 0.05
              numLeaves: 31
              objective: regression
            metrics:
              hitRate: .nan
              ic: 0.031
              rankIc: 0.1
            gates:
            - metric: ic
              op: '>='
              threshold: 0.02
              value: 0.031
              passed: true
            artifact:
              uri: artifacts/sha256/ab/{Sha}.zip
              sha256: {Sha}
              bytes: 1234
              mediaType: application/zip
            lineage:
              datasets:
                spx-daily: v7
              parent: 2
              outputs:
              - spx-alpha-oos@1
            engineVersion: 0.1.0
            trainerVersion: Microsoft.ML.LightGbm 5.0.1
            trainingRun: 20240131T120000Z-training-abc123

            """);
    }

    [Fact]
    public void Fingerprint_hash_is_sha256_of_length_prefixed_parts_in_ordinal_order()
    {
        // Expected from: printf '17:dataset/spx-daily=2:v7\n4:seed=2:42\n4:spec=3:abc\n' | sha256sum
        var fingerprint = Fingerprint.Compute([new("spec", "abc"), new("seed", "42"), new("dataset/spx-daily", "v7")]);

        fingerprint.Value.ShouldBe("005b8158cd90147eeafcd21153ceffecb7c0f0e980f910b511d1f35fb1dcf32d");
        fingerprint.IsConsistent().ShouldBeTrue();
    }

    [Fact]
    public void Fingerprint_diff_names_each_changed_added_and_removed_part()
    {
        var before = Fingerprint.Compute([new("seed", "42"), new("spec", "abc"), new("old", "x")]);
        var after = Fingerprint.Compute([new("seed", "43"), new("spec", "abc"), new("new", "y")]);

        after.Value.ShouldNotBe(before.Value);
        Fingerprint.Diff(before, after).ShouldBe(
        [
            new FingerprintChange("new", null, "y"),
            new FingerprintChange("old", "x", null),
            new FingerprintChange("seed", "42", "43"),
        ]);
        Fingerprint.Diff(before, before).ShouldBeEmpty();
    }

    [Fact]
    public void Every_record_type_reads_back_equal_and_rewrites_byte_identical()
    {
        var version = RegistryTestData.Version(version: 2);
        var stages = new StageHistory
        {
            Instance = "spx-alpha",
            Current = { [10] = Stage.Production, [2] = Stage.Archived, [1] = Stage.Staging },
            Entries = [new StageChange { Version = 10, From = null, To = Stage.Production, At = RegistryTestData.Created.AddTicks(1234567), By = "bot", Reason = "policy: auto\nsecond line" }],
        };
        var run = new RunRecord
        {
            RunId = "r1",
            Instance = "spx-alpha",
            Kind = RunKind.Training,
            Status = RunStatus.Failed,
            StartedAt = RegistryTestData.Created,
            FinishedAt = RegistryTestData.Created.AddMinutes(3),
            Error = "gate ic >= 0.02 failed: 0.011",
            Details = new(StringComparer.Ordinal) { ["rows"] = 3750L, ["folds"] = new List<object?> { 1L, 2.5, "x", null } },
        };
        var status = new InstanceStatus
        {
            Instance = "spx-alpha",
            Health = Health.Degraded,
            HealthReason = "drift on vol_20d",
            Applied = new(StringComparer.Ordinal) { [AppliedActions.Train] = new AppliedAction { Fingerprint = "f", At = RegistryTestData.Created, Version = 2 } },
        };

        foreach (var record in new object[] { version, stages, run, status })
        {
            var yaml = RecordYaml.Serialize(record);
            var read = record switch
            {
                VersionRecord => (object)RecordYaml.Deserialize<VersionRecord>(yaml, "v.yaml"),
                StageHistory => RecordYaml.Deserialize<StageHistory>(yaml, "s.yaml"),
                RunRecord => RecordYaml.Deserialize<RunRecord>(yaml, "r.yaml"),
                _ => RecordYaml.Deserialize<InstanceStatus>(yaml, "i.yaml"),
            };
            RecordYaml.Serialize(read).ShouldBe(yaml);
        }

        var stagesYaml = RecordYaml.Serialize(stages);
        stagesYaml.ShouldContain("current:\n  1: staging\n  2: archived\n  10: production\n");
        stagesYaml.ShouldContain("at: 2024-01-31T12:00:00.1234567Z");
        var readVersion = RecordYaml.Deserialize<VersionRecord>(RecordYaml.Serialize(version), "v.yaml");
        readVersion.CreatedAt.ShouldBe(version.CreatedAt);
        readVersion.Metrics["hitRate"].ShouldBe(double.NaN);
        readVersion.Hyperparameters["numLeaves"].ShouldBe(31L);
        readVersion.Hyperparameters["learningRate"].ShouldBe(0.05);
        readVersion.Hyperparameters["flag"].ShouldBe(true);
        readVersion.TrainingWindow!.To.ShouldBe(new DateOnly(2019, 12, 31));
        readVersion.Fingerprint.IsConsistent().ShouldBeTrue();
    }

    [Fact]
    public void Times_with_an_offset_are_written_in_utc()
    {
        var change = new StageChange { At = new DateTimeOffset(2024, 1, 31, 14, 30, 0, TimeSpan.FromHours(2)), By = "a", Reason = "b" };

        RecordYaml.Serialize(change).ShouldContain("at: 2024-01-31T12:30:00Z\n");
    }

    [Fact]
    public void Integer_keys_sort_by_value_before_text_keys_which_sort_ordinally()
    {
        var map = new Dictionary<string, object?> { ["b"] = 1L, ["10"] = 2L, ["B"] = 3L, ["2"] = 4L, ["a"] = 5L, ["-1"] = 6L, ["01"] = 7L };

        var yaml = RecordYaml.Serialize(map);

        yaml.ShouldBe("-1: 6\n2: 4\n10: 2\n01: 7\nB: 3\na: 5\nb: 1\n");
        RecordYaml.Serialize(RecordYaml.ParseTree(yaml, "t")!).ShouldBe(yaml);
    }

    [Fact]
    public void Monitoring_report_of_any_class_is_kept_as_a_tree_and_binds_back_to_the_class()
    {
        var report = new SampleReport
        {
            Psi = new() { ["vol_20d"] = 0.31, ["ret_1d"] = 0.02 },
            Bins = [0.1, 0.25, 1e-7, -0.0, 3],
            Drifted = ["vol_20d"],
            Window = new DateOnly(2024, 1, 31),
            Note = "true",
        };
        var record = new MonitoringRecord { RunId = "m1", Instance = "spx-alpha", Version = 2, CreatedAt = RegistryTestData.Created, Report = report };

        var yaml = RecordYaml.Serialize(record);
        var read = RecordYaml.Deserialize<MonitoringRecord>(yaml, "m1.yaml");

        yaml.ShouldContain("  bins: [0.1, 0.25, 1E-07, -0.0, 3]\n");
        yaml.ShouldContain("  note: \"true\"\n");
        RecordYaml.Serialize(read).ShouldBe(yaml);
        var tree = read.Report.ShouldBeOfType<SortedDictionary<string, object?>>();
        tree["note"].ShouldBe("true");
        var back = RecordYaml.ConvertTree<SampleReport>(read.Report);
        back.Psi["vol_20d"].ShouldBe(0.31);
        back.Bins.ShouldBe(report.Bins);
        back.Window.ShouldBe(report.Window);
        back.Note.ShouldBe("true");
    }

    [Fact]
    public void The_same_object_twice_is_written_twice_without_anchors()
    {
        var shared = new List<object?> { "x" };
        var yaml = RecordYaml.Serialize(new Dictionary<string, object?> { ["a"] = shared, ["b"] = shared });

        yaml.ShouldBe("a:\n- x\nb:\n- x\n");
    }

    [Fact]
    public void Malformed_yaml_names_the_file_line_and_column()
    {
        var e = Should.Throw<RegistryFormatException>(() => RecordYaml.Deserialize<VersionRecord>("instance: a\nversion: [1,\n", "models/a/versions/0001.yaml"));

        e.File.ShouldBe("models/a/versions/0001.yaml");
        e.Line.ShouldBeGreaterThan(0);
        e.Message.ShouldStartWith("models/a/versions/0001.yaml(");
        e.Message.ShouldContain("not valid YAML");
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_key_and_position()
    {
        var e = Should.Throw<RegistryFormatException>(() => RecordYaml.Deserialize<VersionRecord>("instance: a\nversion: three\n", "v.yaml"));

        e.Message.ShouldBe("v.yaml(2,10): 'version': expected a whole number, found 'three'");
    }

    [Fact]
    public void An_unknown_key_is_an_error_listing_the_expected_keys()
    {
        var e = Should.Throw<RegistryFormatException>(() => RecordYaml.Deserialize<GateResult>("metric: ic\nthreshhold: 1\n", "g.yaml"));

        e.Line.ShouldBe(2);
        e.Message.ShouldContain("unknown key 'threshhold'");
        e.Message.ShouldContain("metric, op, threshold, value, passed");
    }

    [Theory]
    [InlineData("stage: live\n", "expected one of staging, production, archived, found 'live'")]
    [InlineData("a: &x 1\nb: *x\n", "anchors and aliases are not allowed")]
    [InlineData("", "the file is empty")]
    [InlineData("version: 1\n---\nversion: 2\n", "exactly one YAML document")]
    public void Other_malformed_records_are_explained(string yaml, string expected)
    {
        var e = Should.Throw<RegistryFormatException>(() => RecordYaml.Deserialize<StageOnly>(yaml, "x.yaml"));

        e.Message.ShouldContain(expected);
    }

    [Fact]
    public void A_required_text_set_to_null_is_an_error()
    {
        var e = Should.Throw<RegistryFormatException>(() => RecordYaml.Deserialize<GateResult>("metric: null\n", "g.yaml"));

        e.Message.ShouldContain("'metric' must have a value");
    }

    [Property(MaxTest = 500)]
    public Property Any_string_survives_a_round_trip_byte_identically()
    {
        var text = Gen.Elements("", " ", "a", "-", ":", "#", "'", "\"", "\n", "\r", "\t", "null", "~", "true", "yes", "1", "0x1", "1e5", ".inf", "a: b", " x", "x ", "\\", "é", "\u0001", "\u2028", "[", "{", "*", "&", "!", "%", "@", "`", "|", ">", ",", "?")
            .ListOf()
            .Select(parts => string.Concat(parts));
        return Prop.ForAll(text.ToArbitrary(), s =>
        {
            var yaml = RecordYaml.Serialize(new StageChange { By = s, Reason = s });
            var read = RecordYaml.Deserialize<StageChange>(yaml, "p.yaml");
            var tree = (SortedDictionary<string, object?>)RecordYaml.ParseTree(yaml, "p.yaml")!;
            return read.By == s && read.Reason == s && (string?)tree["by"] == s && RecordYaml.Serialize(read) == yaml;
        });
    }

    [Property(MaxTest = 500)]
    public bool Any_generated_string_survives_a_round_trip_byte_identically(NonNull<string> value)
    {
        var s = value.Get;
        var yaml = RecordYaml.Serialize(new Dictionary<string, object?> { [s] = s });
        var tree = (SortedDictionary<string, object?>)RecordYaml.ParseTree(yaml, "p.yaml")!;
        return tree.Count == 1 && tree.TryGetValue(s, out var read) && (string?)read == s && RecordYaml.Serialize(tree) == yaml;
    }

    [Property(MaxTest = 500)]
    public bool Any_double_survives_a_round_trip_exactly(double value)
    {
        var yaml = RecordYaml.Serialize(new GateResult { Metric = "m", Op = ">", Threshold = value, Value = value });
        var read = RecordYaml.Deserialize<GateResult>(yaml, "p.yaml");
        var tree = (SortedDictionary<string, object?>)RecordYaml.ParseTree(yaml, "p.yaml")!;
        var viaTree = Convert.ToDouble(tree["value"], System.Globalization.CultureInfo.InvariantCulture);
        return (BitConverter.DoubleToInt64Bits(read.Threshold) == BitConverter.DoubleToInt64Bits(value) || (double.IsNaN(value) && double.IsNaN(read.Threshold)))
            && viaTree.Equals(value)
            && RecordYaml.Serialize(RecordYaml.Deserialize<GateResult>(RecordYaml.Serialize(tree), "t")) == yaml;
    }

    public sealed class SampleReport
    {
        public Dictionary<string, double> Psi { get; set; } = [];
        public double[] Bins { get; set; } = [];
        public List<string> Drifted { get; set; } = [];
        public DateOnly Window { get; set; }
        public string Note { get; set; } = "";
    }

    public sealed class StageOnly
    {
        public Stage Stage { get; set; }
        public int Version { get; set; }
        public int A { get; set; }
        public int B { get; set; }
    }
}
