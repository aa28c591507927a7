using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace OptAIC.Cli.Help;

/// <summary>
/// Examples for each verb's --help: a verb registers its own (`Examples.For(command, ...)`) where it
/// is created, and the help option prints them after System.CommandLine's sections.
/// </summary>
public static class Examples
{
    private static readonly Dictionary<Command, string[]> ByCommand = [];

    /// <summary>Each example is a command line, optionally followed by "  # what it does".</summary>
    public static Command For(Command command, params string[] examples)
    {
        ByCommand[command] = examples;
        return command;
    }

    public static IReadOnlyList<string> Of(Command command) => ByCommand.GetValueOrDefault(command) ?? [];

    /// <summary>Makes the root's help option (recursive, so every verb's) print the examples too.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new WithExamples((HelpAction)help.Action!);
    }

    private sealed class WithExamples(HelpAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var exit = standard.Invoke(parseResult);
            var examples = Of(parseResult.CommandResult.Command);
            if (examples.Count > 0)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine($"  {example}");
                }
                output.WriteLine();
            }
            return exit;
        }
    }
}
