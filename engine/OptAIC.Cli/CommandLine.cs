using System.CommandLine;
using System.CommandLine.Parsing;
using OptAIC.Cli.Help;
using OptAIC.Cli.Parsing;

namespace OptAIC.Cli;

/// <summary>Parses, reports usage errors as one line each (exit 2), and runs the verb.</summary>
public static class CommandLine
{
    public static int Run(RootCommand root, string[] args)
    {
        Examples.Install(root);
        var parsed = root.Parse(args);
        // --help, --version and [suggest] answer whatever else the line holds.
        if (parsed.Action is not { ClearsParseErrors: true } && !parsed.Tokens.Any(t => t.Type == TokenType.Directive))
        {
            var errors = UsageErrors.Of(parsed, args);
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    System.Console.Error.WriteLine(error);
                }
                System.Console.Error.WriteLine(parsed.CommandResult.Command is RootCommand
                    ? "Run 'optaic --help' for the verbs and options."
                    : $"Run '{UsageErrors.CommandPath(parsed.CommandResult)} --help' for its options and examples.");
                return ExitCodes.UsageOrChanges;
            }
        }
        // Ctrl-C and SIGTERM cancel the verb, which stops at a safe point, says so and exits 130 (143 for
        // SIGTERM). System.CommandLine's own handler would give up after two seconds and exit without a word
        // while the run is still saving its journal; a second Ctrl-C still ends the process at once.
        using var interrupt = new CancellationTokenSource();
        var signals = 0;
        var terminated = false;
        void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
        {
            terminated |= context.Signal == System.Runtime.InteropServices.PosixSignal.SIGTERM;
            context.Cancel = Interlocked.Increment(ref signals) == 1;
            interrupt.Cancel();
        }
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        var exit = parsed.InvokeAsync(configuration, interrupt.Token).GetAwaiter().GetResult();
        return exit == ExitCodes.Cancelled && terminated ? ExitCodes.Terminated : exit;
    }
}
