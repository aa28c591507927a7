using System.Globalization;
using System.Text;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// Charts drawn by the engine as inline SVG: no library, no script, no network. Each chart is an image with a
/// title and a description for screen readers (role="img", aria-labelledby), text labels in the page's font,
/// and colours with enough contrast on white; the data is also in a table beside it on the page.
/// </summary>
public static class Svg
{
    public const string Blue = "#1f5fa8";
    public const string Orange = "#b35900";
    public const string Red = "#b3261e";
    public const string Green = "#2e7d32";
    public const string Grey = "#5f6368";

    [ThreadStatic]
    private static int _ids;

    /// <summary>Starts a page: chart ids restart so that the same records always render the same bytes.</summary>
    public static void BeginPage() => _ids = 0;

    /// <summary>A line chart of one series over labelled points (versions, dates); an optional dashed reference line (a threshold).</summary>
    public static string Line(string title, IReadOnlyList<(string Label, double Value)> points, double? reference = null, string? referenceLabel = null, int width = 560, int height = 200)
    {
        if (points.Count == 0)
        {
            return "";
        }
        var id = NextId();
        var s = Open(id, title, $"{points.Count} point(s) from {Esc(points[0].Label)} ({F(points[0].Value)}) to {Esc(points[^1].Label)} ({F(points[^1].Value)})", width, height);
        const int left = 56, right = 12, top = 12, bottom = 30;
        var values = points.Select(p => p.Value).Where(double.IsFinite).ToList();
        if (reference is { } r)
        {
            values.Add(r);
        }
        var (min, max) = Range(values);
        double X(int i) => points.Count == 1 ? left + ((width - left - right) / 2.0) : left + (i * (width - left - right) / (double)(points.Count - 1));
        double Y(double v) => top + ((max - v) / (max - min) * (height - top - bottom));
        Axes(s, left, top, width - right, height - bottom, min, max, Y);
        if (reference is { } line)
        {
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{P(Y(line))}\" y2=\"{P(Y(line))}\" stroke=\"{Red}\" stroke-dasharray=\"4 3\"/>");
            if (referenceLabel is not null)
            {
                s.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - right - 4}\" y=\"{P(Y(line) - 4)}\" text-anchor=\"end\" fill=\"{Red}\">{Esc(referenceLabel)}</text>");
            }
        }
        var path = new StringBuilder();
        for (var i = 0; i < points.Count; i++)
        {
            if (double.IsFinite(points[i].Value))
            {
                path.Append(path.Length == 0 ? 'M' : 'L').Append(P(X(i))).Append(',').Append(P(Y(points[i].Value)));
            }
        }
        s.Append(CultureInfo.InvariantCulture, $"<path d=\"{path}\" fill=\"none\" stroke=\"{Blue}\" stroke-width=\"2\"/>");
        var every = Math.Max(1, points.Count / 8);
        for (var i = 0; i < points.Count; i++)
        {
            if (double.IsFinite(points[i].Value))
            {
                s.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{P(X(i))}\" cy=\"{P(Y(points[i].Value))}\" r=\"3\" fill=\"{Blue}\"><title>{Esc(points[i].Label)}: {F(points[i].Value)}</title></circle>");
            }
            if (i % every == 0 || i == points.Count - 1)
            {
                s.Append(CultureInfo.InvariantCulture, $"<text x=\"{P(X(i))}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{Esc(points[i].Label)}</text>");
            }
        }
        return s.Append("</svg>").ToString();
    }

    /// <summary>A small inline trend of a few values (the key metric across versions), no axes.</summary>
    public static string Sparkline(IReadOnlyList<double> values, string label, int width = 80, int height = 20)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count < 2)
        {
            return "";
        }
        var (min, max) = Range(finite);
        var path = new StringBuilder();
        for (var i = 0; i < finite.Count; i++)
        {
            var x = 1 + (i * (width - 2) / (double)(finite.Count - 1));
            var y = 1 + ((max - finite[i]) / (max - min) * (height - 2));
            path.Append(i == 0 ? 'M' : 'L').Append(P(x)).Append(',').Append(P(y));
        }
        return $"<svg class=\"spark\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Esc(label)}\"><path d=\"{path}\" fill=\"none\" stroke=\"{Blue}\" stroke-width=\"1.5\"/></svg>";
    }

    /// <summary>Horizontal bars of a statistic per row with each row's threshold marked (the drift table's chart).</summary>
    public static string Bars(string title, IReadOnlyList<(string Label, double Value, double? Threshold, bool Flagged)> rows, int width = 560)
    {
        if (rows.Count == 0)
        {
            return "";
        }
        const int rowHeight = 18, left = 110, right = 60, top = 8;
        var height = top + (rows.Count * rowHeight) + 24;
        var id = NextId();
        var flagged = rows.Count(r => r.Flagged);
        var s = Open(id, title, $"{rows.Count} bar(s), {flagged} beyond their threshold", width, height);
        var max = rows.Select(r => Math.Max(r.Value, r.Threshold ?? 0)).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        max = max <= 0 ? 1 : max * 1.05;
        double X(double v) => left + (Math.Max(0, v) / max * (width - left - right));
        for (var i = 0; i < rows.Count; i++)
        {
            var (label, value, threshold, isFlagged) = rows[i];
            var y = top + (i * rowHeight);
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y + 13}\" text-anchor=\"end\">{Esc(label)}</text>");
            var colour = isFlagged ? Orange : Blue;
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y + 3}\" width=\"{P(Math.Max(1, X(value) - left))}\" height=\"{rowHeight - 6}\" fill=\"{colour}\"><title>{Esc(label)}: {F(value)}{(threshold is { } t ? $" (threshold {F(t)})" : "")}</title></rect>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{P(X(value) + 4)}\" y=\"{y + 13}\">{F(value)}</text>");
            if (threshold is { } limit)
            {
                s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{P(X(limit))}\" x2=\"{P(X(limit))}\" y1=\"{y + 1}\" y2=\"{y + rowHeight - 1}\" stroke=\"{Red}\" stroke-width=\"2\"/>");
            }
        }
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 6}\" fill=\"{Grey}\">bar: statistic; red mark: threshold; orange: drifted</text>");
        return s.Append("</svg>").ToString();
    }

    /// <summary>Two distributions over the same bins (reference and current), as outlined and filled bars.</summary>
    public static string Histogram(string title, IReadOnlyList<double> edges, IReadOnlyList<double> reference, IReadOnlyList<double> current, int width = 260, int height = 120)
    {
        var bins = Math.Min(reference.Count, current.Count);
        if (bins == 0 || edges.Count < bins + 1)
        {
            return "";
        }
        var id = NextId();
        var s = Open(id, title, $"{bins} bins from {F(edges[0])} to {F(edges[bins])}; reference outlined, current filled", width, height);
        const int left = 6, right = 6, top = 6, bottom = 20;
        var max = reference.Take(bins).Concat(current.Take(bins)).DefaultIfEmpty(1).Max();
        max = max <= 0 ? 1 : max;
        var w = (width - left - right) / (double)bins;
        for (var i = 0; i < bins; i++)
        {
            var x = left + (i * w);
            var hc = current[i] / max * (height - top - bottom);
            var hr = reference[i] / max * (height - top - bottom);
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{P(x + 1)}\" y=\"{P(height - bottom - hc)}\" width=\"{P(w - 2)}\" height=\"{P(hc)}\" fill=\"{Orange}\" fill-opacity=\"0.6\"><title>[{F(edges[i])}, {F(edges[i + 1])}): current {F(current[i])}, reference {F(reference[i])}</title></rect>");
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{P(x + 1)}\" y=\"{P(height - bottom - hr)}\" width=\"{P(w - 2)}\" height=\"{P(hr)}\" fill=\"none\" stroke=\"{Blue}\" stroke-width=\"1.5\"/>");
        }
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 6}\">{F(edges[0])}</text><text x=\"{width - right}\" y=\"{height - 6}\" text-anchor=\"end\">{F(edges[bins])}</text>");
        return s.Append("</svg>").ToString();
    }

    /// <summary>
    /// A dataset column's histogram, or two of them (a reference outlined, a current filled) each over its own
    /// bins on one shared value axis. Bars are densities (share of values per unit), so histograms of different
    /// row counts and bin widths compare.
    /// </summary>
    public static string Profile(string title, IReadOnlyList<double> edges, IReadOnlyList<long> counts, IReadOnlyList<double>? currentEdges = null, IReadOnlyList<long>? currentCounts = null, int width = 300, int height = 110)
    {
        if (counts.Count == 0 || edges.Count != counts.Count + 1)
        {
            return "";
        }
        var two = currentEdges is not null && currentCounts is not null && currentCounts.Count > 0 && currentEdges.Count == currentCounts.Count + 1;
        var lo = two ? Math.Min(edges[0], currentEdges![0]) : edges[0];
        var hi = two ? Math.Max(edges[^1], currentEdges![^1]) : edges[^1];
        if (!(hi > lo))
        {
            hi = lo + 1;
        }
        var id = NextId();
        var s = Open(id, title, two
            ? $"training distribution outlined ({counts.Count} bins, {F(edges[0])} to {F(edges[^1])}), current filled ({currentCounts!.Count} bins, {F(currentEdges![0])} to {F(currentEdges[^1])})"
            : $"{counts.Count} bins from {F(edges[0])} to {F(edges[^1])}", width, height);
        const int left = 6, right = 6, top = 6, bottom = 20;
        double X(double v) => left + ((v - lo) / (hi - lo) * (width - left - right));
        static double[] Density(IReadOnlyList<double> e, IReadOnlyList<long> c)
        {
            var total = Math.Max(1, c.Sum());
            var d = new double[c.Count];
            for (var i = 0; i < c.Count; i++)
            {
                var w = e[i + 1] - e[i];
                d[i] = c[i] / (double)total / (w > 0 ? w : 1);
            }
            return d;
        }
        var reference = Density(edges, counts);
        var current = two ? Density(currentEdges!, currentCounts!) : [];
        var max = reference.Concat(current).DefaultIfEmpty(1).Max();
        max = max <= 0 ? 1 : max;
        void Bars(IReadOnlyList<double> e, IReadOnlyList<long> c, double[] d, bool filled)
        {
            for (var i = 0; i < c.Count; i++)
            {
                var x0 = X(e[i]);
                var w = Math.Max(1, X(e[i + 1]) - x0);
                var bar = d[i] / max * (height - top - bottom);
                s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{P(x0)}\" y=\"{P(height - bottom - bar)}\" width=\"{P(w)}\" height=\"{P(bar)}\" ")
                    .Append(filled ? $"fill=\"{Orange}\" fill-opacity=\"{(two ? "0.7" : "1")}\"" : $"fill=\"none\" stroke=\"{Blue}\" stroke-width=\"1.2\"")
                    .Append(CultureInfo.InvariantCulture, $"><title>[{F(e[i])}, {F(e[i + 1])}): {c[i]} {(filled ? "current" : two ? "training" : "values")}</title></rect>");
            }
        }
        if (two)
        {
            Bars(currentEdges!, currentCounts!, current, filled: true);
        }
        Bars(edges, counts, reference, filled: !two);
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 6}\">{F(lo)}</text><text x=\"{width - right}\" y=\"{height - 6}\" text-anchor=\"end\">{F(hi)}</text>");
        return s.Append("</svg>").ToString();
    }

    /// <summary>Runs on a time axis, one lane per kind, coloured by status.</summary>
    public static string Timeline(string title, IReadOnlyList<CenterRun> runs, Func<CenterRun, string> link, int width = 900)
    {
        if (runs.Count == 0)
        {
            return "";
        }
        string[] lanes = ["train", "import", "promote", "infer", "monitor", "archive"];
        var used = lanes.Where(l => runs.Any(r => r.Kind == l)).ToList();
        const int laneHeight = 22, left = 70, right = 16, top = 8, bottom = 26;
        var height = top + (used.Count * laneHeight) + bottom;
        var start = runs.Min(r => r.Started);
        var end = runs.Max(r => r.Finished ?? r.Started);
        var span = Math.Max(1, (end - start).TotalSeconds);
        double X(DateTimeOffset t) => left + ((t - start).TotalSeconds / span * (width - left - right));
        var id = NextId();
        var failed = runs.Count(r => r.Status != "succeeded");
        var s = Open(id, title, $"{runs.Count} run(s) from {Format.Time(start)} to {Format.Time(end)}, {failed} not succeeded", width, height);
        for (var i = 0; i < used.Count; i++)
        {
            var y = top + (i * laneHeight);
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{used[i]}</text><line x1=\"{left}\" x2=\"{width - right}\" y1=\"{y + laneHeight - 2}\" y2=\"{y + laneHeight - 2}\" stroke=\"#e0e0e0\"/>");
        }
        foreach (var run in runs)
        {
            var lane = used.IndexOf(run.Kind);
            var y = top + (lane * laneHeight) + 4;
            var x = X(run.Started);
            var w = Math.Max(4, X(run.Finished ?? run.Started) - x);
            var colour = run.Status switch { "succeeded" => Green, "failed" => Red, _ => Grey };
            s.Append(CultureInfo.InvariantCulture, $"<a href=\"{Esc(link(run))}\"><rect x=\"{P(x)}\" y=\"{y}\" width=\"{P(w)}\" height=\"{laneHeight - 10}\" fill=\"{colour}\"><title>{Esc(run.Kind)} {Esc(run.Instance)} {Esc(run.Status)} at {Format.Time(run.Started)}</title></rect></a>");
        }
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 8}\">{Format.Time(start)}</text><text x=\"{width - right}\" y=\"{height - 8}\" text-anchor=\"end\">{Format.Time(end)}</text>");
        return s.Append("</svg>").ToString();
    }

    /// <summary>One node of the lineage graph: its text, its kind (a CSS-like class) and an optional link.</summary>
    public sealed record Node(string Text, string Kind, string? Href = null, string? Note = null);

    /// <summary>A left-to-right graph in columns (datasets -> version -> outputs -> readers), every node of a column joined to every node of the next.</summary>
    public static string Flow(string title, IReadOnlyList<IReadOnlyList<Node>> columns, int width = 900)
    {
        var shown = columns.Where(c => c.Count > 0).ToList();
        if (shown.Count == 0)
        {
            return "";
        }
        const int nodeHeight = 38, gap = 14, top = 8;
        var rows = shown.Max(c => c.Count);
        var height = top + (rows * (nodeHeight + gap)) + 4;
        var columnWidth = width / shown.Count;
        var nodeWidth = columnWidth - 40;
        var id = NextId();
        var s = Open(id, title, string.Join(" -> ", shown.Select(c => string.Join(", ", c.Select(n => n.Text)))), width, height);
        s.Append("<defs><marker id=\"arrow").Append(id).Append("\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#5f6368\"/></marker></defs>");
        (double X, double Y) Place(int column, int row, int count)
        {
            var offset = (rows - count) * (nodeHeight + gap) / 2.0;
            return (20 + (column * columnWidth), top + offset + (row * (nodeHeight + gap)));
        }
        for (var c = 0; c + 1 < shown.Count; c++)
        {
            for (var a = 0; a < shown[c].Count; a++)
            {
                for (var b = 0; b < shown[c + 1].Count; b++)
                {
                    var (x1, y1) = Place(c, a, shown[c].Count);
                    var (x2, y2) = Place(c + 1, b, shown[c + 1].Count);
                    s.Append(CultureInfo.InvariantCulture, $"<path d=\"M{P(x1 + nodeWidth)},{P(y1 + (nodeHeight / 2.0))} C{P(x1 + nodeWidth + 20)},{P(y1 + (nodeHeight / 2.0))} {P(x2 - 20)},{P(y2 + (nodeHeight / 2.0))} {P(x2)},{P(y2 + (nodeHeight / 2.0))}\" fill=\"none\" stroke=\"#5f6368\" marker-end=\"url(#arrow{id})\"/>");
                }
            }
        }
        for (var c = 0; c < shown.Count; c++)
        {
            for (var r = 0; r < shown[c].Count; r++)
            {
                var node = shown[c][r];
                var (x, y) = Place(c, r, shown[c].Count);
                var fill = node.Kind switch { "dataset" => "#e8f0fe", "version" => "#fef7e0", "output" => "#e6f4ea", _ => "#f3e8fd" };
                var box = new StringBuilder();
                box.Append(CultureInfo.InvariantCulture, $"<rect x=\"{P(x)}\" y=\"{P(y)}\" width=\"{nodeWidth}\" height=\"{nodeHeight}\" rx=\"5\" fill=\"{fill}\" stroke=\"#5f6368\"/>");
                box.Append(CultureInfo.InvariantCulture, $"<text x=\"{P(x + 8)}\" y=\"{P(y + 16)}\" font-weight=\"600\">{Esc(Clip(node.Text, nodeWidth / 7))}</text>");
                if (node.Note is not null)
                {
                    box.Append(CultureInfo.InvariantCulture, $"<text x=\"{P(x + 8)}\" y=\"{P(y + 31)}\" fill=\"{Grey}\">{Esc(Clip(node.Note, nodeWidth / 7))}</text>");
                }
                s.Append(node.Href is null ? $"<g><title>{Esc(node.Text)}</title>{box}</g>" : $"<a href=\"{Esc(node.Href)}\"><title>{Esc(node.Text)}</title>{box}</a>");
            }
        }
        return s.Append("</svg>").ToString();
    }

    private static StringBuilder Open(int id, string title, string description, int width, int height) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"t{id} d{id}\" font-size=\"11\"><title id=\"t{id}\">{Esc(title)}</title><desc id=\"d{id}\">{Esc(description)}</desc>");

    private static void Axes(StringBuilder s, int left, int top, int right, int bottom, double min, double max, Func<double, double> y)
    {
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{bottom}\" stroke=\"{Grey}\"/><line x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\" stroke=\"{Grey}\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var v = min + ((max - min) * i / 4);
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{right}\" y1=\"{P(y(v))}\" y2=\"{P(y(v))}\" stroke=\"#eeeeee\"/><text x=\"{left - 4}\" y=\"{P(y(v) + 4)}\" text-anchor=\"end\">{F(v)}</text>");
        }
    }

    private static (double Min, double Max) Range(List<double> values)
    {
        if (values.Count == 0)
        {
            return (0, 1);
        }
        var min = values.Min();
        var max = values.Max();
        if (max - min < 1e-12)
        {
            var pad = Math.Abs(max) < 1e-12 ? 1 : Math.Abs(max) * 0.1;
            return (min - pad, max + pad);
        }
        var margin = (max - min) * 0.08;
        return (min - margin, max + margin);
    }

    private static int NextId() => ++_ids;

    private static string Clip(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, Math.Max(1, length - 1)), "…");

    private static string P(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string F(double v) => Format.Number(v);

    internal static string Esc(string text) => System.Net.WebUtility.HtmlEncode(text);
}
