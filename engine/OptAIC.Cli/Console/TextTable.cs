using System.Text;

namespace OptAIC.Cli.Console;

/// <summary>Plain, aligned columns: readable in a terminal, a log, or a pull-request comment's code block.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable Add(params string?[] cells)
    {
        _rows.Add([.. cells.Select(c => c ?? "")]);
        return this;
    }

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Line(headers);
        foreach (var row in _rows)
        {
            Line(row);
        }
        return text.ToString();

        void Line(string[] cells) =>
            text.AppendLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
    }
}
