using System.Diagnostics;
using System.Text.RegularExpressions;

namespace OptAIC.Tests.Cli;

/// <summary>The built `optaic` run as a process: with redirected output (a pipe, a CI log), or on a pseudo-terminal.</summary>
internal static partial class OptaicProcess
{
    public static string Binary => Path.Combine(AppContext.BaseDirectory, "optaic");

    public static (int Exit, string Output, string Error) Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(Binary)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment.Remove("NO_COLOR");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        return Wait(info);
    }

    /// <summary>
    /// Runs a command line on a pseudo-terminal of 160 columns (util-linux `script`), as a person at a
    /// terminal sees it; the output is everything the terminal received, escape sequences included.
    /// </summary>
    public static (int Exit, string Output) RunOnTerminal(string workingDirectory, string arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("script")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-qec", $"stty cols 160 rows 50; '{Binary}' {arguments}", "/dev/null" })
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment.Remove("NO_COLOR");
        info.Environment["TERM"] = "xterm-256color";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var (exit, output, error) = Wait(info);
        return (exit, output + error);
    }

    /// <summary>The text without terminal escape sequences (colours, cursor moves).</summary>
    public static string Plain(string terminalOutput) => Escapes().Replace(terminalOutput, "").Replace("\r", "", StringComparison.Ordinal);

    private static (int, string, string) Wait(ProcessStartInfo info)
    {
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    [GeneratedRegex(@"\u001b(\[[0-9;?]*[A-Za-z]|[=>])")]
    private static partial Regex Escapes();
}
