namespace OptAIC.Cli.Console;

/// <summary>Colour only for a person at a terminal: never when output is redirected, under NO_COLOR, or on a dumb terminal.</summary>
public static class Terminal
{
    public static bool ColorEnabled { get; } =
        !System.Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>A person is watching: output is a terminal that can redraw lines (the live progress of apply).</summary>
    public static bool IsInteractive { get; } =
        !System.Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb";

    /// <summary>By colour name: red, yellow, green.</summary>
    public static string Paint(string color, string text) => color switch
    {
        "red" => Red(text),
        "yellow" => Yellow(text),
        "green" => Green(text),
        _ => text,
    };

    public static string Red(string text) => Wrap(text, "31");

    public static string Yellow(string text) => Wrap(text, "33");

    public static string Green(string text) => Wrap(text, "32");

    public static string Bold(string text) => Wrap(text, "1");

    public static string Dim(string text) => Wrap(text, "2");

    private static string Wrap(string text, string code) => ColorEnabled ? $"\u001b[{code}m{text}\u001b[0m" : text;
}
