using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

/// <summary>The fast parser must read what it accepts exactly as YamlDotNet does, positions included.</summary>
public class FastYamlParserTests
{
    [Fact]
    public void Every_record_the_writer_produces_takes_the_fast_path_and_parses_like_YamlDotNet()
    {
        var version = RegistryTestData.Version(version: 2);
        version.Artifact = new ArtifactRef { Uri = "artifacts/sha256/ab/ab.zip", Sha256 = "ab", Bytes = 1, MediaType = "application/zip" };
        var records = new object[]
        {
            version,
            new StageHistory
            {
                Instance = "x",
                Current = { [1] = Stage.Archived, [2] = Stage.Production },
                Entries =
                [
                    new StageChange { Version = 2, To = Stage.Production, At = RegistryTestData.Created, By = "bot", Reason = "line one\nline two\n" },
                    new StageChange { Version = 1, From = Stage.Production, To = Stage.Archived, At = RegistryTestData.Created, By = "bot", Reason = "superseded: by 2 # not a comment" },
                ],
            },
            new RunRecord { RunId = "r", Instance = "x", Error = "trailing newlines\n\n", Details = new(StringComparer.Ordinal) { ["nested"] = new List<object?> { new Dictionary<string, object?> { ["a"] = new List<object?>() }, new List<object?> { 1L, "two" }, null } } },
            new InstanceStatus { Instance = "x", Applied = new(StringComparer.Ordinal) { ["train"] = new AppliedAction { Fingerprint = "f" } } },
            new MonitoringRecord { RunId = "m", Instance = "x", Report = new Dictionary<string, object?> { ["bins"] = new[] { 0.5, double.NaN, double.NegativeInfinity }, ["empty"] = new Dictionary<string, object?>(), ["quote"] = "it's \"quoted\"", ["key: with colon"] = "-leading dash", ["-1"] = "#hash" } },
        };

        foreach (var record in records)
        {
            var yaml = RecordYaml.Serialize(record);
            FastYamlParser.TryParse(yaml, out var fast).ShouldBeTrue(yaml);
            Describe(fast!).ShouldBe(Describe(RecordYamlReader.ParseWithYamlDotNet(yaml, "t")), yaml);
        }
    }

    [Theory]
    [InlineData("# a comment\nkey: value # trailing\n\nother:   spaced  \n")]
    [InlineData("'quoted key': 1\n\"double \\\"key\\\"\": \"esc \\t \\u00e9 \\x41\"\n")]
    [InlineData("list:\n  - a\n  - b\nflow: [ 1, 2 ,3 ]\nempty: []\nmap: {}\n")]
    [InlineData("a:\n  b:\n    c: 1\n  d:\n  - - x\n    - y\n  -\n    e: f\n")]
    [InlineData("keep: |+\n  a\n\n\nstrip: |-\n  b\n\n\nclip: |\n  c\n\n\nlast: 1\n")]
    [InlineData("seq:\n- |\n  item\n- 'x'' y'\n- k: v\n  k2: v2\n")]
    [InlineData("nulls:\n  a:\n  b: ~\n  c: null\n")]
    [InlineData("-1: 0\n-.inf: .nan\n?x: y\n")]
    public void Hand_written_yaml_in_the_subset_parses_like_YamlDotNet(string yaml)
    {
        FastYamlParser.TryParse(yaml, out var fast).ShouldBeTrue();

        Describe(fast!).ShouldBe(Describe(RecordYamlReader.ParseWithYamlDotNet(yaml, "t")));
    }

    [Theory]
    [InlineData("a: &x 1\nb: *x\n")]
    [InlineData("a: !!str 1\n")]
    [InlineData("a: plain\n  continued\n")]
    [InlineData("a: >\n  folded\n")]
    [InlineData("a: {b: 1}\n")]
    [InlineData("a:\tb\n")]
    [InlineData("a: 1\r\n")]
    [InlineData("---\na: 1\n")]
    [InlineData("a: 1\n---\nb: 2\n")]
    [InlineData("a: |2\n   x\n")]
    [InlineData("a: \"multi\n  line\"\n")]
    [InlineData("a: b: c\n")]
    [InlineData("just a scalar\n")]
    [InlineData("a: 1\n  b: 2\n")]
    [InlineData("")]
    public void Yaml_outside_the_subset_is_left_to_YamlDotNet(string yaml)
    {
        FastYamlParser.TryParse(yaml, out _).ShouldBeFalse();
    }

    [Property(MaxTest = 500)]
    public Property Generated_text_parses_alike_whenever_the_fast_path_takes_it()
    {
        var text = Gen.Elements("", " ", "a", "-", "- ", ":", ": ", "#", " #", "'", "\"", "\n", "\n\n", "\t", "null", "1", "[", "]", "{", "}", "|", ">", "&", "*", "!", "é", "\\", "?")
            .ListOf()
            .Select(parts => string.Concat(parts));
        return Prop.ForAll(text.ToArbitrary(), text.ToArbitrary(), (key, value) =>
        {
            var yaml = RecordYaml.Serialize(new Dictionary<string, object?>
            {
                [key] = value,
                ["list"] = new List<object?> { value, new Dictionary<string, object?> { [key] = value, ["z"] = 1L } },
                ["z"] = new Dictionary<string, object?> { ["inner"] = value },
            });
            var reference = Describe(RecordYamlReader.ParseWithYamlDotNet(yaml, "t"));
            return !FastYamlParser.TryParse(yaml, out var fast) || Describe(fast!) == reference;
        });
    }

    /// <summary>A node tree as text: kind, position, plain or quoted, value.</summary>
    private static string Describe(YamlNode node) => node switch
    {
        YamlScalar s => $"{(s.IsPlain ? "plain" : "quoted")}@{s.Line}:{s.Column}({System.Text.Json.JsonSerializer.Serialize(s.Value)})",
        YamlSequence q => $"seq@{q.Line}:{q.Column}[{string.Join(", ", q.Items.Select(Describe))}]",
        YamlMapping m => $"map@{m.Line}:{m.Column}{{{string.Join(", ", m.Entries.Select(e => Describe(e.Key) + ": " + Describe(e.Value)))}}}",
        _ => "?",
    };
}
