namespace OptAIC.Cli.Console;

/// <summary>Colour only for a person at a terminal: never when output is redirected, under NO_COLOR, or on a dumb terminal.</summary>
public static class Terminal
{
    public static bool ColorEnabled { get; } =
        !System.Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    public static string Red(string text) => Wrap(text, "31");

    public static string Yellow(string text) => Wrap(text, "33");

    public static string Green(string text) => Wrap(text, "32");

    public static string Bold(string text) => Wrap(text, "1");

    public static string Dim(string text) => Wrap(text, "2");

    private static string Wrap(string text, string code) => ColorEnabled ? $"\u001b[{code}m{text}\u001b[0m" : text;
}
