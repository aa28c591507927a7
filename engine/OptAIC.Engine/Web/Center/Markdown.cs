using System.Text;
using System.Text.RegularExpressions;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// The small Markdown subset model cards use (headings, paragraphs, lists, pipe tables, code spans and fences,
/// bold), rendered to HTML with everything escaped first: a card can never inject markup or script.
/// </summary>
public static partial class Markdown
{
    /// <param name="headingOffset">Added to each heading level (a card's # becomes an h3 inside a page).</param>
    public static string ToHtml(string markdown, int headingOffset = 2)
    {
        var html = new StringBuilder();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var paragraph = new List<string>();
        void Flush()
        {
            if (paragraph.Count > 0)
            {
                html.Append("<p>").Append(Inline(string.Join(' ', paragraph))).Append("</p>\n");
                paragraph.Clear();
            }
        }
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                Flush();
                html.Append("<pre><code>");
                for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
                {
                    html.Append(Svg.Esc(lines[i])).Append('\n');
                }
                html.Append("</code></pre>\n");
                continue;
            }
            if (Heading().Match(line) is { Success: true } heading)
            {
                Flush();
                var level = Math.Min(6, heading.Groups[1].Length + headingOffset);
                html.Append($"<h{level}>").Append(Inline(heading.Groups[2].Value)).Append($"</h{level}>\n");
                continue;
            }
            if (line.TrimStart().StartsWith('|'))
            {
                Flush();
                var rows = new List<string>();
                for (; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++)
                {
                    rows.Add(lines[i].Trim());
                }
                i--;
                Table(rows, html);
                continue;
            }
            if (Bullet().Match(line) is { Success: true })
            {
                Flush();
                html.Append("<ul>");
                for (; i < lines.Length && Bullet().Match(lines[i]) is { Success: true } item; i++)
                {
                    html.Append("<li>").Append(Inline(item.Groups[1].Value)).Append("</li>");
                }
                i--;
                html.Append("</ul>\n");
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }
            paragraph.Add(line.Trim());
        }
        Flush();
        return html.ToString();
    }

    private static void Table(List<string> rows, StringBuilder html)
    {
        static string[] Cells(string row) => row.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
        var header = Cells(rows[0]);
        var body = rows.Skip(rows.Count > 1 && Separator().IsMatch(rows[1]) ? 2 : 1);
        html.Append("<table>");
        if (header.Any(h => h.Length > 0))
        {
            html.Append("<thead><tr>");
            foreach (var cell in header)
            {
                html.Append("<th scope=\"col\">").Append(Inline(cell)).Append("</th>");
            }
            html.Append("</tr></thead>");
        }
        html.Append("<tbody>");
        foreach (var row in body)
        {
            html.Append("<tr>");
            foreach (var cell in Cells(row))
            {
                html.Append("<td>").Append(Inline(cell)).Append("</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</tbody></table>\n");
    }

    private static string Inline(string text)
    {
        var escaped = Svg.Esc(text);
        escaped = Code().Replace(escaped, "<code>$1</code>");
        return Bold().Replace(escaped, "<strong>$1</strong>");
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\s*[-*]\s+(.*)$")]
    private static partial Regex Bullet();

    [GeneratedRegex(@"^\|?\s*:?-{2,}")]
    private static partial Regex Separator();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex(@"\*\*([^*]+)\*\*")]
    private static partial Regex Bold();
}
