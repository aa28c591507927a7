using System.CommandLine;
using OptAIC.Cli.Help;

namespace OptAIC.Cli.Commands;

/// <summary>
/// `optaic completion SHELL`: a script that makes the shell complete verbs, options and their values.
/// Each script asks optaic itself, through System.CommandLine's <c>[suggest:POSITION]</c> directive, so
/// completion always matches the installed version.
/// </summary>
public static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh, fish or pwsh." };
        shell.AcceptOnlyFromAmong([.. Scripts.Keys]);
        var command = new Command("completion", "Print a shell completion script (verbs, options and their values).") { shell };
        command.SetAction(result =>
        {
            System.Console.Out.Write(Scripts[result.GetValue(shell)!]);
            return ExitCodes.Ok;
        });
        return Examples.For(command,
            "source <(optaic completion bash)                         # bash: add the line to ~/.bashrc",
            "optaic completion zsh > \"${fpath[1]}/_optaic\"             # zsh",
            "optaic completion fish > ~/.config/fish/completions/optaic.fish",
            "optaic completion pwsh | Out-String | Invoke-Expression   # PowerShell: add to $PROFILE");
    }

    /// <summary>The scripts by shell. Each sends the line up to the cursor, without the program's name.</summary>
    public static IReadOnlyDictionary<string, string> Scripts { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["bash"] = """
            # optaic completion for bash; load it with: source <(optaic completion bash)
            _optaic_complete() {
              local line="${COMP_LINE:0:COMP_POINT}"
              line="${line#"${COMP_WORDS[0]}"}"
              line="${line#"${line%%[![:space:]]*}"}"
              local IFS=$'\n'
              COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _optaic_complete optaic

            """,
        ["zsh"] = """
            #compdef optaic
            # optaic completion for zsh; save it as _optaic in a folder of $fpath, or: source <(optaic completion zsh)
            _optaic() {
              local line="${BUFFER[1,CURSOR]}"
              line="${line#"${words[1]}"}"
              line="${line#"${line%%[! ]*}"}"
              local -a items
              items=("${(@f)$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null)}")
              compadd -- "${items[@]}"
            }
            compdef _optaic optaic

            """,
        ["fish"] = """
            # optaic completion for fish; save it as ~/.config/fish/completions/optaic.fish
            function __optaic_complete
                set -l line (string replace -r '^\S+\s*' '' -- (commandline -cp))
                optaic "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
            end
            complete -c optaic -f -a '(__optaic_complete)'

            """,
        ["pwsh"] = """
            # optaic completion for PowerShell; add to $PROFILE: optaic completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName optaic -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                $upToCursor = $cursorPosition - $commandAst.Extent.StartOffset
                $line = $commandAst.ToString().PadRight($upToCursor).Substring(0, $upToCursor) -replace '^\S+\s*', ''
                optaic "[suggest:$($line.Length)]" "$line" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
    };
}
