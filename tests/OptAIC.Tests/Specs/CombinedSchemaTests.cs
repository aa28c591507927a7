using System.Text.Json;
using System.Text.RegularExpressions;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Specs;

/// <summary>The schemas as editors use them: one combined schema that picks the kind's own, and a modeline in every example spec.</summary>
public partial class CombinedSchemaTests
{
    private static string SchemasFolder => Path.Combine(TestPaths.RepositoryRoot, "schemas");

    [Fact]
    public void The_combined_schema_file_is_the_one_the_engine_writes()
    {
        File.ReadAllText(Path.Combine(SchemasFolder, SchemaCatalog.CombinedSchemaFileName))
            .ShouldBe(SchemaCatalog.CombinedSchema(), "run 'optaic schema export schemas' to refresh schemas/optaic.schema.json");
    }

    [Fact]
    public void The_combined_schema_picks_each_kinds_schema_by_its_kind()
    {
        using var combined = JsonDocument.Parse(SchemaCatalog.CombinedSchema());

        var choices = combined.RootElement.GetProperty("allOf").EnumerateArray().ToDictionary(
            c => c.GetProperty("if").GetProperty("properties").GetProperty("kind").GetProperty("const").GetString()!,
            c => c.GetProperty("then").GetProperty("$ref").GetString()!);
        choices.Keys.ShouldBe(SpecKinds.All, ignoreOrder: true);
        foreach (var (kind, reference) in choices)
        {
            // The file referenced is the kind's own schema: its kind is that constant.
            using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(SchemasFolder, reference)));
            schema.RootElement.GetProperty("properties").GetProperty("kind").GetProperty("const").GetString().ShouldBe(kind);
        }
        combined.RootElement.TryGetProperty("$id", out _).ShouldBeFalse("references must resolve against the file's folder");
    }

    [Fact]
    public void Every_example_spec_names_its_kinds_schema_in_a_modeline()
    {
        foreach (var spec in Directory.EnumerateFiles(TestPaths.ExampleSpecs, "*.yaml", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(spec);
            var modeline = Modeline().Match(text.Split('\n')[0]);
            modeline.Success.ShouldBeTrue($"{spec}: the first line is '# yaml-language-server: $schema=...'");
            var kind = Regex.Match(text, @"^kind: (\w+)", RegexOptions.Multiline).Groups[1].Value;
            var schema = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(spec)!, modeline.Groups[1].Value));
            schema.ShouldBe(Path.Combine(SchemasFolder, SpecKinds.SchemaFileName(kind)), spec);
        }
    }

    [GeneratedRegex(@"^# yaml-language-server: \$schema=(\S+)$")]
    private static partial Regex Modeline();
}
