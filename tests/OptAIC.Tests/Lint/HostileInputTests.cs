using FsCheck;
using FsCheck.Fluent;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Specs;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Lint;

/// <summary>
/// Classes of hostile input beyond single corpus files: symbolic links, and fuzzed hyperparameter
/// schemas and durations. Each is a finding (or a clean "no"), never an exception.
/// </summary>
public class HostileInputTests
{
    [Fact]
    public void A_spec_file_that_is_a_symbolic_link_is_a_finding_and_is_not_read()
    {
        using var repo = new TempFolder();
        repo.CopyFrom(TestPaths.ExampleSpecs, "specs");
        var target = repo.Write("elsewhere/alpha.yaml", File.ReadAllText(Path.Combine(TestPaths.ExampleSpecs, "instances", "spx-alpha.yaml")));
        File.CreateSymbolicLink(repo.File("specs/instances/alpha-link.yaml"), target);
        Directory.CreateSymbolicLink(repo.File("specs/linked"), repo.File("elsewhere"));

        var report = Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));

        report.Findings.Select(f => (f.RuleId, f.File)).OrderBy(f => f.File).ShouldBe(
        [
            ("spec-symlink", "specs/instances/alpha-link.yaml"),
            ("spec-symlink", "specs/linked"),
        ]);
        report.Findings[0].Message.ShouldContain("symbolic link");
    }

    [Fact]
    public void A_symbolic_link_named_on_the_command_line_is_a_finding_too()
    {
        using var repo = new TempFolder();
        var target = repo.Write("real.yaml", "apiVersion: optaic.io/v1\n");
        File.CreateSymbolicLink(repo.File("link.yaml"), target);

        var report = Linter.Run(new DirectorySpecSource(repo.Path, ["link.yaml"]));

        report.Findings.ShouldHaveSingleItem().RuleId.ShouldBe("spec-symlink");
    }

    private static readonly string[] SchemaFragments =
    [
        "{ type: number, minimum: -1e309 }", "{ type: number, maximum: 1e400 }", "{ exclusiveMinimum: 123456789012345678901234567890 }",
        "{ multipleOf: 0 }", "{ multipleOf: -1 }", "{ minimum: .nan }", "{ minimum: abc }", "a-string", "42", "[1, 2]", "null", "true",
        "{ $ref: '#' }", "{ $ref: '#/properties/b' }", "{ $ref: 'file:///etc/passwd' }", "{ $ref: 'http://127.0.0.1:1/x' }",
        "{ $ref: '../x.json' }", "{ $ref: 42 }", "{ $ref: '#/definitions/none' }", "{ items: [ { minimum: 1e999 } ] }",
        "{ allOf: x }", "{ anyOf: [ 1 ] }", "{ properties: 3 }", "{ properties: { q: zz } }", "{ type: [number, string] }",
        "{ enum: [] }", "{ default: .inf }", "{ type: integer, default: 1e20 }", "{ additionalProperties: 7 }", "{ not: {} }",
    ];

    [Fact]
    public void Fuzzed_hyperparameter_schemas_give_findings_never_exceptions()
    {
        var schemas = from a in Gen.Elements(SchemaFragments)
                      from b in Gen.Elements(SchemaFragments)
                      from value in Gen.Elements("0.1", ".nan", "-.inf", "x", "{}", "[]", "1e308", "-99999999999999999999999999999")
                      select (a, b, value);
        Prop.ForAll(Arb.From(schemas), t =>
        {
            using var repo = new TempFolder();
            repo.CopyFrom(TestPaths.ExampleSpecs, "specs");
            repo.Write("specs/zz/case.yaml", $$"""
                apiVersion: optaic.io/v1
                kind: ModelDefinition
                metadata: { name: fuzz-def }
                spec:
                  category: signal
                  docs: { description: fuzz }
                  model:
                    algorithm: lightgbm
                    task: regression
                    hyperparameters:
                      type: object
                      properties:
                        a: {{t.a}}
                        b: {{t.b}}
                  training: { validation: { scheme: walk-forward }, metrics: [ic] }
                  inference: { transform: tanh-zscore, bounds: [-1, 1] }
                  monitoring: {}
                  tests: { gates: [] }
                ---
                apiVersion: optaic.io/v1
                kind: ModelInstance
                metadata: { name: fuzz-inst }
                spec:
                  definition: fuzz-def
                  features: { featureSet: spx-features }
                  target: fwd_ret_5d
                  training: { start: "2000-01-01", end: "2005-12-30" }
                  hyperparameters: { a: {{t.value}}, b: {{t.value}} }
                  seed: 1
                """);
            Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void Fuzzed_durations_parse_or_are_refused_never_throw() =>
        Prop.ForAll(Arb.From(from number in Gen.Elements("0", "1", "1.5", "99999999999999999999", "1e308", "1e309", "-1", "NaN", "Infinity", "", ".", "0x10", "36525", "36526")
                             from unit in Gen.Elements("ms", "s", "m", "h", "d", "w", "", "y", "dd", " d")
                             select number + unit), text =>
        {
            if (Durations.TryParse(text, out var value))
            {
                value.ShouldBeInRange(TimeSpan.Zero, Durations.Longest);
            }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(400));

    [Fact]
    public void A_century_is_the_longest_duration()
    {
        Durations.TryParse("36525d", out var century).ShouldBeTrue();
        century.ShouldBe(Durations.Longest);
        Durations.TryParse("36526d", out _).ShouldBeFalse();
        Durations.TryParse("9999999999999w", out _).ShouldBeFalse();
    }
}
