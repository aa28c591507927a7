using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

public sealed class ModelCardRendererTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Default_card_of_a_registered_version_has_every_section_with_its_values()
    {
        var store = new RegistryStore(_temp.Combine("models"));
        var record = store.RegisterVersion(RegistryTestData.Version(version: 2), RegistryTestData.Artifact(), r => ModelCardRenderer.Default.Render(new ModelCardContext
        {
            Version = r,
            Stage = Stage.Staging,
            Description = "Gradient-boosted 5-day return signal on the S&P 500.",
            IntendedUse = "Input to the spx-ensemble combiner; not for standalone trading.",
            Caveats = ["Trained on 2005-2019 only."],
        }));

        var card = store.GetModelCard("spx-alpha", 2)!;

        card.ShouldStartWith("# Model card: spx-alpha v2\n\n## Summary\n");
        foreach (var section in new[] { "## Summary", "## Intended use", "## Data and features", "## Training window", "## Hyperparameters", "## Validation metrics", "## Gates", "## Lineage", "## Stage", "## Caveats" })
        {
            card.ShouldContain(section + "\n");
        }

        card.ShouldContain("| Stage | staging |");
        card.ShouldContain("| Definition | gbm-signal (signal) |");
        card.ShouldContain("| Gates | all 1 passed |");
        card.ShouldContain("Gradient-boosted 5-day return signal on the S&P 500.\n");
        card.ShouldContain("Input to the spx-ensemble combiner");
        card.ShouldContain("Target: `fwd_ret_5d`");
        card.ShouldContain("- `ret_1d`\n- `vol_20d`\n");
        card.ShouldContain("| spx-daily | `v7` |");
        card.ShouldContain("From 2005-01-03 to 2019-12-31, 3750 rows.");
        card.ShouldContain("| learningRate | `0.05` |");
        card.ShouldContain("| numLeaves | `31` |");
        card.ShouldContain("| ic | 0.031 |");
        card.ShouldContain("| hitRate | .nan |");
        card.ShouldContain("| ic | >= 0.02 | 0.031 | pass |");
        card.ShouldContain("- Parent version: 1");
        card.ShouldContain($"sha256 `{record.Artifact.Sha256}`");
        card.ShouldContain("This version is in staging.");
        card.ShouldContain("- Trained on 2005-2019 only.");
        card.ShouldEndWith("\n");
        card.ShouldNotEndWith("\n\n");
        card.ShouldNotContain("\n\n\n");
        card.ShouldNotContain("\r");
    }

    [Fact]
    public void A_failed_gate_and_missing_optional_parts_read_sensibly()
    {
        var version = RegistryTestData.Version();
        version.Gates[0].Passed = false;
        version.TrainingWindow = null;
        version.Definition = null;
        version.Hyperparameters.Clear();

        var card = ModelCardRenderer.Default.Render(new ModelCardContext { Version = version });

        card.ShouldContain("| Gates | FAILED |");
        card.ShouldContain("| ic | >= 0.02 | 0.031 | FAIL |");
        card.ShouldContain("| Stage | not staged |");
        card.ShouldContain("No description in the model definition's docs.");
        card.ShouldContain("## Training window\n\nNot recorded.\n");
        card.ShouldContain("Defaults of the definition.");
        card.ShouldContain("This version has not been staged yet.");
    }

    [Fact]
    public void A_repository_template_overrides_the_default()
    {
        var path = _temp.Combine(".optaic", "templates", "model-card.scriban");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{{ instance }} v{{ version }}: {{ for m in metrics }}{{ m.name }}={{ m.text }} {{ end }}\r\n");

        var renderer = ModelCardRenderer.ForRepository(path);

        renderer.SourceName.ShouldBe(path);
        renderer.Render(new ModelCardContext { Version = RegistryTestData.Version() }).ShouldBe("spx-alpha v1: hitRate=.nan ic=0.031 rankIc=0.1\n");
        ModelCardRenderer.ForRepository(_temp.Combine("missing.scriban")).ShouldBeSameAs(ModelCardRenderer.Default);
        ModelCardRenderer.ForRepository(null).ShouldBeSameAs(ModelCardRenderer.Default);
    }

    [Fact]
    public void A_template_that_does_not_parse_names_its_line_and_column()
    {
        var e = Should.Throw<ModelCardTemplateException>(() => ModelCardRenderer.FromText("# {{ instance }}\n\n{{ if stage }}\nno end\n", "card.scriban"));

        e.Message.ShouldStartWith("Model card template card.scriban does not parse: card.scriban(3,");
        e.Message.ShouldContain("end");
    }

    [Fact]
    public void An_unknown_variable_fails_rendering_with_its_position()
    {
        var renderer = ModelCardRenderer.FromText("# {{ instance }}\nsee {{ lineage.parnet }} and {{ owner }}\n", "card.scriban");

        var e = Should.Throw<ModelCardTemplateException>(() => renderer.Render(new ModelCardContext { Version = RegistryTestData.Version() }));

        e.Message.ShouldContain("card.scriban(2,");
        e.Message.ShouldContain("owner");
    }
}
