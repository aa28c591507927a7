using System.CommandLine;
using OptAIC.Cli.Help;
using OptAIC.Cli.Init;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic init [DIR]`: a new model repository that lints clean and applies as it is.</summary>
public static class InitCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir") { Description = "The folder of the new model repository (created if missing; default: the current folder).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var name = new Option<string?>("--name") { Description = "The Project's name (default: the folder's name)." };
        var artifactStore = new Option<string?>("--artifact-store") { Description = "Keep artifacts outside Git, in this folder (absolute, or relative to the repository); default: committed under models/artifacts/." };
        var command = new Command("init", "Start a model repository: specs with a sample dataset, schemas and editor settings, CI workflows, the pre-commit hook.")
        {
            directory, name, artifactStore,
        };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var scaffold = RepositoryScaffold.Create(result.GetValue(directory)!, result.GetValue(name), result.GetValue(artifactStore), EngineInfo.Version);
            var output = System.Console.Out;
            output.WriteLine($"Initialised a model repository in {scaffold.Root} ({scaffold.Written.Count} files):");
            foreach (var file in scaffold.Written.Where(f => !f.StartsWith("schemas/", StringComparison.Ordinal)))
            {
                output.WriteLine($"  {file}");
            }
            output.WriteLine("  schemas/ (the JSON Schemas, for your editor)");
            if (scaffold.Commit is { } sha)
            {
                output.WriteLine($"Created a Git repository on branch main and committed the files as {sha[..7]}.");
            }
            if (scaffold.HookNote is { } note)
            {
                output.WriteLine(note);
            }
            output.WriteLine();
            output.WriteLine("Next:");
            var cd = Path.GetRelativePath(Directory.GetCurrentDirectory(), scaffold.Root);
            if (cd != ".")
            {
                output.WriteLine($"  cd {cd}");
            }
            output.WriteLine("  optaic lint && optaic plan     # check the specs; see what apply would do");
            output.WriteLine("  optaic apply                   # train, gate, register, score, monitor; commit the registry");
            output.WriteLine("A step-by-step guide: https://github.com/optaic/optaic/blob/main/engine/docs/getting-started.md");
            return ExitCodes.Ok;
        }));
        return Examples.For(command,
            "optaic init demo                               # a new repository in ./demo",
            "optaic init . --name research                  # here, with a Project named research",
            "optaic init demo --artifact-store /shared/optaic-artifacts");
    }
}
