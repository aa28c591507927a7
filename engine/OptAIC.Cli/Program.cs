using System.CommandLine;
using OptAIC.Cli;
using OptAIC.Cli.Commands;
using OptAIC.Engine.Specs;

// optaic: a thin shell over OptAIC.Engine. Each verb parses its options, calls the library and
// turns the result into output and an exit code (see ExitCodes).
var repo = new Option<string?>("--repo") { Description = "The model repository (default: the Git work tree around the current folder).", Recursive = true };
var root = new RootCommand("optaic: declarative GitOps for machine-learning models.")
{
    repo,
    LintCommand.Create(repo),
    SchemaCommand.Create(),
};

try
{
    return root.Parse(args).Invoke();
}
catch (Exception e) when (e is UsageException or SpecSourceException)
{
    Console.Error.WriteLine($"optaic: {e.Message}");
    return ExitCodes.UsageOrChanges;
}
