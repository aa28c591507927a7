using FsCheck;
using FsCheck.Fluent;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Yaml;
using OptAIC.Tests.Support;
using Xunit;

namespace OptAIC.Tests.Lint;

/// <summary>Whatever bytes a user commits, lint answers with findings, never an exception.</summary>
public class LintFuzzTests
{
    private static readonly string[] Fragments =
    [
        "apiVersion: optaic.io/v1\n", "kind: ModelInstance\n", "kind: Dataset\n", "kind: Pipeline\n", "metadata:\n", "  name: x\n",
        "spec:\n", "  seed: 1\n", "  steps: [", "]", "{", "}", "- ", "&a ", "*a ", "!!str ", "? ", ": ", "\"", "'", "|\n", ">\n",
        "\t", "---\n", "...\n", "#", "\n", "  ", "%YAML 1.2\n", "<<: *a\n", "\u00e9", "\uFEFF", "\0", "[[[[", "}}}", "key: value\n",
    ];

    [Fact]
    public void Random_text_never_makes_lint_throw() =>
        Prop.ForAll(Arb.From(Gen.Elements(Fragments).ListOf().Select(parts => string.Concat(parts))), text => LintNeverThrows(text))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));

    [Fact]
    public void Mutated_example_specs_never_make_lint_throw()
    {
        var originals = Directory.EnumerateFiles(TestPaths.ExampleSpecs, "*.yaml", SearchOption.AllDirectories).Select(File.ReadAllText).ToArray();
        var mutations = from original in Gen.Elements(originals)
                        from position in Gen.Choose(0, 10_000)
                        from length in Gen.Choose(0, 40)
                        from insert in Gen.Elements(Fragments)
                        select Mutate(original, position, length, insert);
        Prop.ForAll(Arb.From(mutations), text => LintNeverThrows(text)).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Random_bytes_never_make_the_yaml_loader_throw() =>
        Prop.ForAll(Arb.From(ArbMap.Default.GeneratorFor<byte[]>()), bytes =>
        {
            YamlLoader.Load("x.yaml", bytes);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));

    private static string Mutate(string text, int position, int length, string insert)
    {
        var at = position % (text.Length + 1);
        var cut = Math.Min(length, text.Length - at);
        return text[..at] + insert + text[(at + cut)..];
    }

    private static bool LintNeverThrows(string text)
    {
        using var repo = new TempFolder();
        repo.Write("specs/fuzz.yaml", text);
        Linter.Run(new DirectorySpecSource(repo.Path, ["specs"]));
        return true;
    }
}
