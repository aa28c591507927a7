using Newtonsoft.Json.Linq;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Specs;

/// <summary>The spec reference is derived from the schemas: every field of every kind must appear in it.</summary>
public class SpecReferenceTests
{
    [Fact]
    public void Every_schema_field_is_in_the_spec_reference()
    {
        var reference = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "engine", "docs", "spec-reference.md"));
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "schemas"), "*.schema.json"))
        {
            if (Path.GetFileName(file) == OptAIC.Engine.Specs.SchemaCatalog.CombinedSchemaFileName)
            {
                continue; // any kind, by reference to the kinds' own schemas
            }
            var spec = JObject.Parse(File.ReadAllText(file))["properties"]!["spec"]!["properties"] as JObject;
            foreach (var property in spec!.Properties())
            {
                reference.ShouldContain($"`{property.Name}", customMessage: $"{Path.GetFileName(file)}: '{property.Name}' is missing; run engine/docs/generate-spec-reference.py");
            }
        }
    }
}
