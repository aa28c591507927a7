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
        return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }
}
