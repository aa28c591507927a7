using System.Globalization;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// Dataset profiles in the Center: the Datasets page (every profiled content version), one page per profile with
/// a histogram per numeric column and the top categories of text columns, the Model Instance view's training
/// against current comparison per feature, and the dataset versions a run read in the Execution view.
/// </summary>
public sealed partial class CenterPages
{
    /// <summary>Every dataset with its profiled content versions, newest first.</summary>
    public string DatasetList()
    {
        var h = new Html(SitePaths.Datasets);
        h.Raw("<h1>Datasets</h1><p class=\"lead\">The profile of each dataset content version apply read: per column the count, missing values, statistics, quantiles, distinct count and histogram, or the top categories.</p>");
        if (Data.Profiles.Count == 0)
        {
            h.Raw("<p>No dataset profile yet: apply records one for each content version it reads.</p>");
        }
        foreach (var (dataset, profiles) in Data.Profiles)
        {
            h.Raw("<section aria-labelledby=\"ds-").Attr(dataset).Raw("\"><h2 id=\"ds-").Attr(dataset).Raw("\">").Text(dataset).Raw("</h2>");
            h.Raw("<table><caption>Profiled content versions of ").Text(dataset).Raw(", newest first</caption><thead><tr><th scope=\"col\">Content version</th><th scope=\"col\">Recorded</th><th scope=\"col\">Rows</th><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Columns</th></tr></thead><tbody>");
            foreach (var p in profiles.Reverse())
            {
                h.Raw("<tr><th scope=\"row\"><a href=\"").Attr(h.To(SitePaths.Profile(p.Dataset, p.ContentVersion))).Raw("\"><code>").Text(Short(p.ContentVersion, 12)).Raw("</code></a></th><td>")
                    .Text(Format.Time(p.CreatedAt)).Raw("</td><td class=\"num\">").Text(p.Rows.ToString(CultureInfo.InvariantCulture)).Raw("</td><td>").Text(Day(p.From)).Raw("</td><td>").Text(Day(p.To))
                    .Raw("</td><td class=\"num\">").Text(p.Columns.Count.ToString(CultureInfo.InvariantCulture)).Raw("</td></tr>");
            }
            h.Raw("</tbody></table></section>");
        }
        return Page(h, "Datasets", "datasets");
    }

    /// <summary>One content version's profile.</summary>
    public string Profile(DatasetProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var h = new Html(SitePaths.Profile(profile.Dataset, profile.ContentVersion));
        h.Raw("<p><a href=\"").Attr(h.To(SitePaths.Datasets)).Raw("\">Datasets</a> / ").Text(profile.Dataset).Raw("</p>");
        h.Raw("<h1>").Text($"{profile.Dataset} at {Short(profile.ContentVersion, 12)}").Raw("</h1><dl class=\"facts\">");
        Fact(h, "Content version", profile.ContentVersion);
        Fact(h, "Recorded", Format.Time(profile.CreatedAt));
        Fact(h, "Rows", profile.Rows.ToString(CultureInfo.InvariantCulture));
        Fact(h, "Time range", $"{Day(profile.From)}..{Day(profile.To)}");
        Fact(h, "Quantiles", profile.QuantileMethod);
        Fact(h, "Distinct counts", profile.DistinctMethod + " (numbers); exact (text)");
        h.Raw("</dl>");
        var numeric = profile.Columns.Where(c => c.Top is null && c.Histogram is not null).ToList();
        if (numeric.Count > 0)
        {
            NumericTable(h, numeric, $"Numeric columns of {profile.Dataset}");
            h.Raw("<div class=\"grid\">");
            foreach (var column in numeric)
            {
                h.Raw("<figure>").Raw(Svg.Profile($"Histogram of {column.Name}", column.Histogram!.Edges, column.Histogram.Counts)).Raw("<figcaption>").Text($"{column.Name}: {column.Count} values in {column.Histogram.Counts.Count} bins").Raw("</figcaption></figure>");
            }
            h.Raw("</div>");
        }
        foreach (var column in profile.Columns.Where(c => c.Top is not null || c.Histogram is null))
        {
            TextColumn(h, column);
        }
        return Page(h, $"{profile.Dataset} {Short(profile.ContentVersion, 12)}", "datasets");
    }

    /// <summary>The Model Instance view's section: the shown version's training data against each dataset's current content version, per feature.</summary>
    private void DataProfiles(Html h, CenterInstance i)
    {
        h.Raw("<section aria-labelledby=\"data\"><h2 id=\"data\">Data profiles</h2>");
        var version = i.Production is { } p ? i.Versions.FirstOrDefault(v => v.Version == p) : i.Versions.Count > 0 ? i.Versions[^1] : null;
        if (version is null || version.Lineage.Datasets.Count == 0)
        {
            h.Raw("<p>No version read a dataset yet.</p></section>");
            return;
        }
        h.Raw("<p class=\"meta\">").Text($"Version {version.Version}'s training data against each dataset's current content version (the newest profile). Histograms: training outlined, current filled; bars are shares of values per unit, so different row counts compare.").Raw("</p>");
        var featuresOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (feature, columns) in i.FeatureColumns)
        {
            foreach (var column in columns)
            {
                if (!featuresOf.TryGetValue(column, out var list))
                {
                    featuresOf[column] = list = [];
                }
                list.Add(feature);
            }
        }
        foreach (var (dataset, content) in version.Lineage.Datasets)
        {
            var training = Data.Profile(dataset, content);
            var current = Data.CurrentProfile(dataset);
            h.Raw("<h3>").Text(dataset).Raw("</h3><p>Trained on ").Raw(ProfileLink(h, dataset, content, training)).Raw("; current ").Raw(current is null ? "unknown (no profile)" : ProfileLink(h, dataset, current.ContentVersion, current))
                .Text(current is not null && current.ContentVersion == content ? " (unchanged since training)." : ".").Raw("</p>");
            if (training is null && current is null)
            {
                continue;
            }
            var names = (training ?? current)!.Columns.Select(c => c.Name).Union(current?.Columns.Select(c => c.Name) ?? [], StringComparer.Ordinal)
                .Where(n => featuresOf.Count == 0 || featuresOf.ContainsKey(n)).ToList();
            h.Raw("<div class=\"scroll\"><table><caption>").Text($"Columns of {dataset} the features read: training against current").Raw("</caption><thead><tr><th scope=\"col\">Column</th><th scope=\"col\">Features</th><th scope=\"col\">Rows (train / now)</th><th scope=\"col\">Missing</th><th scope=\"col\">Mean</th><th scope=\"col\">Std</th><th scope=\"col\">Min</th><th scope=\"col\">Max</th><th scope=\"col\">Distribution</th></tr></thead><tbody>");
            foreach (var name in names)
            {
                var t = training?.Columns.FirstOrDefault(c => c.Name == name);
                var c = current?.Columns.FirstOrDefault(c => c.Name == name);
                h.Raw("<tr><th scope=\"row\">").Text(name).Raw("</th><td>").Text(string.Join(", ", featuresOf.GetValueOrDefault(name) ?? [])).Raw("</td><td class=\"num\">").Text(Pair(t?.Count, c?.Count))
                    .Raw("</td><td class=\"num\">").Text(Pair(t?.Missing, c?.Missing)).Raw("</td><td class=\"num\">").Text(Pair(t?.Mean, c?.Mean)).Raw("</td><td class=\"num\">").Text(Pair(t?.Std, c?.Std))
                    .Raw("</td><td class=\"num\">").Text(Pair(t?.Min, c?.Min)).Raw("</td><td class=\"num\">").Text(Pair(t?.Max, c?.Max)).Raw("</td><td>");
                var reference = t ?? c;
                if (reference?.Histogram is { } histogram)
                {
                    var other = t is not null && c is not null && c.Histogram is { } now ? now : null;
                    h.Raw(Svg.Profile($"{name}: training against current", histogram.Edges, histogram.Counts, other?.Edges, other?.Counts, width: 220, height: 70));
                }
                else if (reference?.Top is { } top)
                {
                    h.Text(string.Join(", ", top.Take(5).Select(x => $"{x.Value} {x.Count}")));
                }
                h.Raw("</td></tr>");
            }
            h.Raw("</tbody></table></div>");
        }
        h.Raw("</section>");
    }

    /// <summary>The Execution view's list of the dataset content versions a run read, each linked to its profile.</summary>
    private void RunProfiles(Html h, CenterRun run)
    {
        if (run.Kind is "promote" or "archive" || Data.Instance(run.Instance) is not { } instance)
        {
            return;
        }
        var version = run.Version is { } v ? instance.Versions.FirstOrDefault(x => x.Version == v) : null;
        if (version is null || version.Lineage.Datasets.Count == 0)
        {
            return;
        }
        // A training run read what its version's lineage records; a later run read the content current when it started.
        var read = new List<(string Dataset, DatasetProfile? Profile, string? Content)>();
        foreach (var (dataset, content) in version.Lineage.Datasets)
        {
            var at = run.Kind is "train" or "import" ? Data.Profile(dataset, content) : Data.ProfileAt(dataset, run.Started);
            read.Add((dataset, at, run.Kind is "train" or "import" ? content : at?.ContentVersion));
        }
        h.Raw("<table><caption>Dataset versions read</caption><thead><tr><th scope=\"col\">Dataset</th><th scope=\"col\">Content version</th><th scope=\"col\">Rows</th><th scope=\"col\">Time range</th><th scope=\"col\">Columns</th></tr></thead><tbody>");
        foreach (var (dataset, profile, content) in read)
        {
            h.Raw("<tr><th scope=\"row\">").Text(dataset).Raw("</th><td>").Raw(content is null ? "unknown (no profile recorded before the run)" : ProfileLink(h, dataset, content, profile)).Raw("</td><td class=\"num\">")
                .Text(profile?.Rows.ToString(CultureInfo.InvariantCulture) ?? "").Raw("</td><td>").Text(profile is null ? "" : $"{Day(profile.From)}..{Day(profile.To)}").Raw("</td><td>")
                .Text(profile is null ? "" : string.Join(", ", profile.Columns.Select(c => c.Missing > 0 ? $"{c.Name} ({c.Missing} missing)" : c.Name))).Raw("</td></tr>");
        }
        h.Raw("</tbody></table>");
    }

    private static void NumericTable(Html h, List<ColumnProfile> columns, string caption)
    {
        h.Raw("<div class=\"scroll\"><table><caption>").Text(caption).Raw("</caption><thead><tr><th scope=\"col\">Column</th><th scope=\"col\">Type</th><th scope=\"col\">Count</th><th scope=\"col\">Missing</th><th scope=\"col\">Distinct</th><th scope=\"col\">Mean</th><th scope=\"col\">Std</th><th scope=\"col\">Min</th>");
        foreach (var (key, _) in global::OptAIC.Engine.Data.Profiles.NumericProfiler.Levels)
        {
            h.Raw("<th scope=\"col\">").Text(key).Raw("</th>");
        }
        h.Raw("<th scope=\"col\">Max</th></tr></thead><tbody>");
        foreach (var c in columns)
        {
            h.Raw("<tr><th scope=\"row\">").Text(c.Name).Raw("</th><td>").Text(c.Type).Raw("</td><td class=\"num\">").Text(c.Count.ToString(CultureInfo.InvariantCulture)).Raw("</td><td class=\"num\">").Text(c.Missing.ToString(CultureInfo.InvariantCulture))
                .Raw("</td><td class=\"num\">").Text(c.Distinct?.ToString(CultureInfo.InvariantCulture) ?? "").Raw("</td><td class=\"num\">").Text(N(c.Mean)).Raw("</td><td class=\"num\">").Text(N(c.Std)).Raw("</td><td class=\"num\">").Text(N(c.Min)).Raw("</td>");
            foreach (var (key, _) in global::OptAIC.Engine.Data.Profiles.NumericProfiler.Levels)
            {
                h.Raw("<td class=\"num\">").Text(c.Quantiles is { } q && q.TryGetValue(key, out var value) ? Format.Number(value) : "").Raw("</td>");
            }
            h.Raw("<td class=\"num\">").Text(N(c.Max)).Raw("</td></tr>");
        }
        h.Raw("</tbody></table></div>");
    }

    private static void TextColumn(Html h, ColumnProfile c)
    {
        h.Raw("<h2>").Text(c.Name).Raw("</h2><p>").Text($"{c.Type}: {c.Count} values, {c.Missing} missing, {c.Distinct ?? 0} distinct").Raw("</p>");
        if (c.Top is not { Count: > 0 } top)
        {
            h.Raw("<p class=\"meta\">").Text(c.Count == 0 ? "No value present." : "Mostly unique values (identifiers or free text): none is recorded.").Raw("</p>");
            return;
        }
        h.Raw("<table><caption>").Text($"Most frequent values of {c.Name}").Raw("</caption><thead><tr><th scope=\"col\">Value</th><th scope=\"col\">Count</th><th scope=\"col\">Share</th></tr></thead><tbody>");
        foreach (var t in top)
        {
            h.Raw("<tr><th scope=\"row\">").Text(t.Value).Raw("</th><td class=\"num\">").Text(t.Count.ToString(CultureInfo.InvariantCulture)).Raw("</td><td class=\"num\">").Text(Share(t.Count, c.Count)).Raw("</td></tr>");
        }
        if (c.Other is > 0 and var other)
        {
            h.Raw("<tr><th scope=\"row\">(other values)</th><td class=\"num\">").Text(other.ToString(CultureInfo.InvariantCulture)).Raw("</td><td class=\"num\">").Text(Share(other, c.Count)).Raw("</td></tr>");
        }
        h.Raw("</tbody></table>");
    }

    private static string ProfileLink(Html h, string dataset, string content, DatasetProfile? profile) =>
        profile is null
            ? $"<code>{Svg.Esc(Short(content, 12))}</code> (no profile recorded)"
            : $"<a href=\"{Svg.Esc(h.To(SitePaths.Profile(dataset, content)))}\"><code>{Svg.Esc(Short(content, 12))}</code></a> ({profile.Rows.ToString(CultureInfo.InvariantCulture)} rows, {Day(profile.From)}..{Day(profile.To)})";

    private static string Pair(double? training, double? current) =>
        training is null && current is null ? "" : $"{(training is { } t ? Format.Number(t) : "–")} / {(current is { } c ? Format.Number(c) : "–")}";

    private static string Pair(long? training, long? current) => Pair((double?)training, (double?)current);

    private static string Share(long count, long total) => total == 0 ? "" : (count / (double)total).ToString("P1", CultureInfo.InvariantCulture);

    private static string Day(DateTime? time) => time?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "?";
}
