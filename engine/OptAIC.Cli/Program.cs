using System.CommandLine;
using OptAIC.Cli;
using OptAIC.Cli.Commands;

// optaic: a thin shell over OptAIC.Engine. Each verb parses its options, calls the library and
// turns the result into output and an exit code (see ExitCodes).
var repo = new Option<string?>("--repo") { Description = "The model repository (default: the Git work tree around the current folder).", Recursive = true };
var root = new RootCommand("optaic: declarative GitOps for machine-learning models.")
{
    repo,
    LintCommand.Create(repo),
    PlanCommand.Create(repo),
    ApplyCommand.Create(repo),
    StatusCommand.Create(repo),
    HistoryCommand.Create(repo),
    CiCommand.Create(repo),
    HooksCommand.Create(repo),
    ServeCommand.Create(repo),
    SchemaCommand.Create(),
};

var parsed = root.Parse(args);
// A mistyped verb or option is a usage error (exit 2), like any other bad invocation.
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"optaic: {error.Message}");
    }
    Console.Error.WriteLine("Run 'optaic --help' for the verbs and options.");
    return ExitCodes.UsageOrChanges;
}
return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
