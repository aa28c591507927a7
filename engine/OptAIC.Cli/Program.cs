using System.CommandLine;
using OptAIC.Cli;
using OptAIC.Cli.Commands;

// optaic: a thin shell over OptAIC.Engine. Each verb parses its options, calls the library and
// turns the result into output and an exit code (see ExitCodes). One line per verb.
var repo = new Option<string?>("--repo") { Description = "The model repository (default: the Git work tree around the current folder).", Recursive = true };
var root = new RootCommand("optaic: declarative GitOps for machine-learning models.")
{
    repo,
    InitCommand.Create(),
    LintCommand.Create(repo),
    PlanCommand.Create(repo),
    ApplyCommand.Create(repo),
    StatusCommand.Create(repo),
    HistoryCommand.Create(repo),
    VerifyCommand.Create(repo),
    CiCommand.Create(repo),
    HooksCommand.Create(repo),
    ServeCommand.Create(repo),
    ReportCommand.Create(repo),
    RunActivityCommand.Create(repo),
    WorkerCommand.Create(repo),
    SchemaCommand.Create(),
    CompletionCommand.Create(),
};
if (OptAIC.Engine.Diagnostics.Failpoints.ListRequested)
{
    // OPTAIC_FAILPOINT=? : the names a test can arm, one per line.
    foreach (var name in OptAIC.Engine.Diagnostics.Failpoints.Names)
    {
        System.Console.Out.WriteLine(name);
    }
    return 0;
}
return CommandLine.Run(root, args);
