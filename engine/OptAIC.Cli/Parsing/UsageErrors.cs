using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using OptAIC.Engine.Specs.Text;

namespace OptAIC.Cli.Parsing;

/// <summary>
/// Turns System.CommandLine's parse result into one clear line per mistake, each starting with the verb
/// ("optaic lint: ..."), with a did-you-mean: an
/// unknown verb or option, a value of the wrong type, a value outside its list. An unknown option is an
/// error even where the verb takes free arguments (`lint --fromat json` is not two paths); tokens after
/// `--` are arguments by choice and never checked.
/// </summary>
public static class UsageErrors
{
    public static IReadOnlyList<string> Of(ParseResult parsed, IReadOnlyList<string> args)
    {
        var messages = new List<string>();
        var command = parsed.CommandResult.Command;
        var verb = CommandPath(parsed.CommandResult);
        var afterDoubleDash = args.SkipWhile(a => a != "--").Skip(1).ToHashSet(StringComparer.Ordinal);

        // Option-like words that the parser took as arguments or could not place.
        var stray = parsed.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Select(t => t.Value)
            .Concat(parsed.UnmatchedTokens)
            .Where(v => LooksLikeOption(v) && !afterDoubleDash.Contains(v))
            .Distinct(StringComparer.Ordinal);
        foreach (var word in stray)
        {
            var name = word.Split('=', 2)[0];
            messages.Add($"{verb}: unknown option '{name}'{DidYouMean(name, OptionNames(parsed.CommandResult))}");
        }

        foreach (var token in parsed.UnmatchedTokens.Where(t => !LooksLikeOption(t)))
        {
            messages.Add(command.Subcommands.Count > 0 && command.Arguments.Count == 0
                ? $"{verb}: unknown verb '{token}'{DidYouMean(token, command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}"
                : $"{verb}: unexpected argument '{token}'");
        }

        foreach (var error in parsed.Errors)
        {
            if (error.Message.StartsWith("Unrecognized command or argument", StringComparison.Ordinal))
            {
                continue; // reported above, with a suggestion
            }
            if (error.Message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            {
                if (parsed.UnmatchedTokens.Count > 0)
                {
                    continue; // the unknown verb said it
                }
                messages.Add($"{verb}: which verb? One of {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}");
                continue;
            }
            messages.Add($"{verb}: {(error.SymbolResult is OptionResult option ? OptionValueError(option, error.Message) : OneLine(error.Message))}");
        }
        return [.. messages.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>"--parallel: 'abc' is not a whole number" instead of the CLR type name.</summary>
    private static string OptionValueError(OptionResult result, string message)
    {
        var option = result.Option;
        var value = string.Join(" ", result.Tokens.Select(t => t.Value));
        if (message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
        {
            return $"{option.Name}: '{value}' is not {Expected(option.ValueType)}";
        }
        if (message.Contains("not recognized", StringComparison.Ordinal))
        {
            var allowed = option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
            return $"{option.Name}: '{value}' is not one of {string.Join(", ", allowed)}{DidYouMean(value, allowed)}";
        }
        return $"{option.Name}: {OneLine(message)}";
    }

    private static string Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) || t == typeof(decimal) || t == typeof(float) => "a number",
        var t when t == typeof(bool) => "true or false",
        var t when t == typeof(TimeSpan) => "a duration such as 00:05:00",
        var t when t == typeof(DateTimeOffset) || t == typeof(DateTime) => "a date and time such as 2024-01-31T21:30:00Z",
        var t => $"a valid {t.Name.ToLowerInvariant()}",
    };

    /// <summary>The options that may follow the verb: its own, and the recursive ones of the verbs above it.</summary>
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        var own = true;
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult c)
            {
                foreach (var option in c.Command.Options.Where(o => own || o.Recursive))
                {
                    yield return option.Name;
                    foreach (var alias in option.Aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
                    {
                        yield return alias;
                    }
                }
                own = false;
            }
        }
    }

    /// <summary>
    /// As <see cref="Suggestions.DidYouMean"/>, but among equally close words the one with the same letters
    /// wins, then the one with the same first letter: "lnit" is "lint" rather than "init".
    /// </summary>
    private static string DidYouMean(string typed, IEnumerable<string> candidates)
    {
        var ranked = candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Word: c, Distance: Suggestions.Distance(typed, c)))
            .OrderBy(c => c.Distance)
            .ThenBy(c => SameLetters(typed, c.Word) ? 0 : 1)
            .ThenBy(c => char.ToLowerInvariant(c.Word.TrimStart('-').FirstOrDefault()) == char.ToLowerInvariant(typed.TrimStart('-').FirstOrDefault()) ? 0 : 1)
            .ThenBy(c => c.Word, StringComparer.Ordinal)
            .FirstOrDefault();
        return ranked.Word is { } best && Suggestions.Closest(typed, [best]) is not null ? $"; did you mean '{best}'?" : "";
    }

    private static bool SameLetters(string a, string b) =>
        a.ToLowerInvariant().Order().SequenceEqual(b.ToLowerInvariant().Order());

    private static bool LooksLikeOption(string word) =>
        word.Length > 1 && word[0] == '-' && word != "--" && !double.TryParse(word, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>"optaic ci pr": the verbs as typed.</summary>
    public static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult c)
            {
                names.Insert(0, c.Parent is null ? "optaic" : c.Command.Name);
            }
        }
        return string.Join(" ", names);
    }

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim())).TrimEnd('.');
}
