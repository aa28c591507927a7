using System.Globalization;
using System.Text;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// Where each page lives, the same in the static site (<c>optaic report</c>) and under <c>serve</c>, so every link
/// is relative and works from a folder, from GitHub Pages and from the server alike. Pages lists live under names
/// an instance or run cannot take (they start with '_', which names never do).
/// </summary>
public static class SitePaths
{
    public const string Index = "index.html";
    public const string Runs = "runs/index.html";

    public static string InstancesPage(int page) => page <= 1 ? Index : $"instances/_page-{page}.html";

    public static string Instance(string name) => $"instances/{name}.html";

    public static string Version(string name, int version) => $"instances/{name}.html#v{version}";

    public static string RunsPage(int page) => page <= 1 ? Runs : $"runs/_page-{page}.html";

    /// <summary>A run's deep link: its section of its instance's execution page (runs, newest first, <see cref="CenterPages.RunsPerPage"/> a page).</summary>
    public static string Run(CenterRun run) => $"{Executions(run.Instance, run.Page)}#{run.Id}";

    public static string Executions(string instance, int page) => page <= 1 ? $"executions/{instance}.html" : $"executions/_{page}/{instance}.html";

    public const string Datasets = "datasets/index.html";

    /// <summary>A dataset content version's profile.</summary>
    public static string Profile(string dataset, string contentVersion) => $"datasets/{dataset}/{contentVersion}.html";
}

/// <summary>A filter of the Execution view (instance, kind, status); empty fields match everything.</summary>
public sealed record RunFilter(string? Instance = null, string? Kind = null, string? Status = null)
{
    public bool IsEmpty => Instance is null && Kind is null && Status is null;

    public bool Matches(CenterRun run) =>
        (Instance is null || run.Instance == Instance) && (Kind is null || run.Kind == Kind) && (Status is null || run.Status == Status);
}

/// <summary>
/// Renders the MLOps Center's pages as self-contained HTML: inline CSS, inline SVG charts (<see cref="Svg"/>), one
/// small inline script that only filters the Execution view's table (every page reads fully without it), no request
/// to anywhere (a Content-Security-Policy in each page says so). Escapes everything it prints from the records.
/// </summary>
public sealed partial class CenterPages(CenterData data, bool live = false)
{
    /// <summary>Instances per page of the Model Instance list, runs per page of the Execution view: pages stay far below 300 KB.</summary>
    public const int PageSize = 200;

    /// <summary>Runs shown in full on one page of an instance's executions.</summary>
    public const int RunsPerPage = 40;

    /// <summary>The Execution view lists the newest this many runs unfiltered; every run is on its instance's runs pages.</summary>
    public const int MaxListedRuns = 1000;

    public CenterData Data { get; } = data;

    public int InstancePages => Math.Max(1, (Data.Instances.Count + PageSize - 1) / PageSize);

    public int RunPages => Math.Max(1, (Math.Min(Data.Runs.Count, MaxListedRuns) + PageSize - 1) / PageSize);

    // ---- Model Instance view -----------------------------------------------------------------------------

    public string InstanceList(int page = 1)
    {
        var path = SitePaths.InstancesPage(page);
        var h = new Html(path);
        var counts = Data.Instances.GroupBy(i => i.Health).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        h.Raw("<h1>Model instances</h1>");
        h.Raw("<p class=\"lead\">").Text($"{Data.Instances.Count} instance(s), {Data.Runs.Count} run(s) in the registry").Raw(": ");
        var first = true;
        foreach (var health in new[] { "healthy", "degraded", "failing", "missing", "archived" })
        {
            if (counts.TryGetValue(health, out var n))
            {
                h.Raw(first ? "" : " ").Raw(Badge(health, $"{n} {health}"));
                first = false;
            }
        }
        h.Raw("</p>");
        SpecsNote(h);
        if (live && Data.Plan is { } plan)
        {
            h.Raw("<p>").Text(plan.Problem is { } problem ? $"No pending plan: {problem}" : plan.Actions.Count == 0 ? "The plan is empty: the registry matches the specs." : $"{plan.Actions.Count} pending plan change(s); see each instance.").Raw("</p>");
        }
        var rows = Data.Instances.Skip((page - 1) * PageSize).Take(PageSize).ToList();
        h.Raw("<table class=\"list\" id=\"instances\"><caption>Instances").Text(InstancePages > 1 ? $", page {page} of {InstancePages}" : "").Raw("</caption><thead><tr>")
            .Raw("<th scope=\"col\">Instance</th><th scope=\"col\">Health</th><th scope=\"col\">Category</th><th scope=\"col\">Definition</th><th scope=\"col\">Production</th><th scope=\"col\">Latest</th><th scope=\"col\">Key metric</th><th scope=\"col\">Across versions</th><th scope=\"col\">Last run</th>");
        if (live)
        {
            h.Raw("<th scope=\"col\">Pending</th>");
        }
        h.Raw("</tr></thead><tbody>");
        foreach (var i in rows)
        {
            h.Raw("<tr><th scope=\"row\"><a href=\"").Attr(h.To(SitePaths.Instance(i.Name))).Raw("\">").Text(i.Name).Raw("</a></th><td>").Raw(Badge(i.Health, i.Health)).Raw("</td><td>").Text(i.Category ?? "").Raw("</td><td>").Text(i.Definition ?? "").Raw("</td><td>");
            h.Raw(i.Production is { } p ? $"<a href=\"{Svg.Esc(h.To(SitePaths.Version(i.Name, p)))}\">v{p}</a>" : "–").Raw("</td><td>");
            h.Raw(i.Latest is { } l ? $"<a href=\"{Svg.Esc(h.To(SitePaths.Version(i.Name, l)))}\">v{l}</a>" : "–").Raw("</td><td>");
            h.Text(i.KeyMetric is null ? "" : $"{i.KeyMetric} {(i.KeyMetricValue is { } v ? Format.Number(v) : "")}").Raw("</td><td>");
            h.Raw(Svg.Sparkline([.. i.KeyMetricHistory.Select(m => m.Value)], $"{i.KeyMetric} across {i.Versions.Count} versions")).Raw("</td><td>");
            h.Raw(i.Runs.Count > 0 ? $"<a href=\"{Svg.Esc(h.To(SitePaths.Run(i.Runs[0])))}\">{Svg.Esc(i.Runs[0].Kind)} {Svg.Esc(Format.Time(i.Runs[0].Started))}</a>" : "–").Raw("</td>");
            if (live)
            {
                h.Raw("<td>").Text(Data.Plan?.For(i.Name).Count() is > 0 and var pending ? $"{pending} change(s)" : "").Raw("</td>");
            }
            h.Raw("</tr>");
        }
        h.Raw("</tbody></table>");
        Pager(h, page, InstancePages, SitePaths.InstancesPage);
        var drift = rows.Where(i => i.LatestMonitoring?.DriftShare is not null)
            .Select(i => (i.Name, i.LatestMonitoring!.DriftShare!.Value, i.LatestMonitoring.DatasetDriftThreshold, i.LatestMonitoring.DatasetDrift == true)).ToList();
        if (drift.Count > 0)
        {
            h.Raw("<h2>Drift</h2><figure>").Raw(Svg.Bars("Share of drifted features by instance (latest monitoring)", drift))
                .Raw("<figcaption>The share of each instance's features that drifted in its latest monitoring report; the red mark is its dataset-drift threshold.</figcaption></figure>");
        }
        return Page(h, "Model instances", "instances");
    }

    public string Instance(CenterInstance i)
    {
        var h = new Html(SitePaths.Instance(i.Name));
        h.Raw("<h1>").Text(i.Name).Raw(" ").Raw(Badge(i.Health, i.Health)).Raw("</h1>");
        if (i.Description is not null)
        {
            h.Raw("<p class=\"lead\">").Text(i.Description).Raw("</p>");
        }
        h.Raw("<dl class=\"facts\">");
        Fact(h, "Health", i.HealthReason ?? i.Health);
        Fact(h, "Category", i.Category);
        Fact(h, "Definition", i.Definition);
        Fact(h, "Algorithm", i.Algorithm);
        h.Raw("<dt>Production</dt><dd>").Raw(i.Production is { } p ? VersionLink(h, i.Name, p) : "none").Raw("</dd>");
        h.Raw("<dt>Latest</dt><dd>").Raw(i.Latest is { } l ? VersionLink(h, i.Name, l) : "none").Raw("</dd>");
        Fact(h, "Key metric", i.KeyMetric is null ? null : $"{i.KeyMetric} = {(i.KeyMetricValue is { } v ? Format.Number(v) : "n/a")}");
        Fact(h, "In the specs", i.InSpecs ? "yes" : "no (registry only)");
        h.Raw("</dl>");
        h.Raw("<nav class=\"toc\" aria-label=\"Sections\"><a href=\"#versions\">Versions</a> <a href=\"#stages\">Stage history</a> <a href=\"#monitoring\">Monitoring</a> <a href=\"#configuration\">Configuration</a> <a href=\"#lineage\">Lineage</a> <a href=\"#data\">Data profiles</a> <a href=\"#runs\">Runs</a> <a href=\"#card\">Model card</a></nav>");

        if (live)
        {
            h.Raw("<section aria-labelledby=\"pending-h\"><h2 id=\"pending-h\">Pending plan changes</h2>");
            if (Data.Plan is null || Data.Plan.Problem is not null)
            {
                h.Raw("<p>").Text($"No plan: {Data.Plan?.Problem ?? "not computed"}").Raw("</p>");
            }
            else if (!Data.Plan.For(i.Name).Any())
            {
                h.Raw("<p>None: this instance matches its spec.</p>");
            }
            else
            {
                h.Raw("<ul class=\"pending\">");
                foreach (var action in Data.Plan.For(i.Name))
                {
                    h.Raw("<li><strong>").Text($"{action.Change} {action.Kind.ToString().ToLowerInvariant()}").Raw("</strong>");
                    if (action.Reasons.Count > 0)
                    {
                        h.Raw("<ul>");
                        foreach (var reason in action.Reasons)
                        {
                            h.Raw("<li>").Text(reason).Raw("</li>");
                        }
                        h.Raw("</ul>");
                    }
                    h.Raw("</li>");
                }
                h.Raw("</ul>");
            }
            h.Raw("</section>");
        }

        // Versions and the key metric across them.
        h.Raw("<section aria-labelledby=\"versions\"><h2 id=\"versions\">Versions</h2>");
        if (i.Versions.Count == 0)
        {
            h.Raw("<p>No registered version.</p>");
        }
        else
        {
            var history = i.KeyMetricHistory.Select(m => ($"v{m.Version}", m.Value)).ToList();
            if (history.Count > 0)
            {
                h.Raw("<figure>").Raw(Svg.Line($"{i.KeyMetric} by version", history)).Raw("<figcaption>").Text($"{i.KeyMetric} of each version (validation)").Raw("</figcaption></figure>");
            }
            var metrics = i.Versions.SelectMany(v => v.Metrics.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            h.Raw("<div class=\"scroll\"><table><caption>Registered versions, newest first</caption><thead><tr><th scope=\"col\">Version</th><th scope=\"col\">Stage</th><th scope=\"col\">Created</th><th scope=\"col\">Gates</th>");
            foreach (var m in metrics)
            {
                h.Raw("<th scope=\"col\">").Text(m).Raw("</th>");
            }
            h.Raw("<th scope=\"col\">Training window</th><th scope=\"col\">Training run</th><th scope=\"col\">Artifact</th></tr></thead><tbody>");
            foreach (var ver in i.Versions.Reverse())
            {
                var stage = i.Stages.StageOf(ver.Version) is { } s ? Stages.Name(s) : "registered";
                h.Raw($"<tr id=\"v{ver.Version}\"><th scope=\"row\">v{ver.Version}</th><td>").Raw(Badge(stage, stage)).Raw("</td><td>").Text(Format.Time(ver.CreatedAt)).Raw("</td><td>");
                h.Text(ver.Gates.Count == 0 ? "none" : $"{ver.Gates.Count(g => g.Passed)}/{ver.Gates.Count} passed").Raw("</td>");
                foreach (var m in metrics)
                {
                    h.Raw("<td class=\"num\">").Text(ver.Metrics.TryGetValue(m, out var value) ? Format.Number(value) : "").Raw("</td>");
                }
                h.Raw("<td>").Text(ver.TrainingWindow is { } w ? $"{w.From:yyyy-MM-dd}..{w.To:yyyy-MM-dd}, {w.Rows} rows" : "").Raw("</td><td>");
                h.Raw(ver.TrainingRun is { } run && Data.Run(run) is { } trainingRun ? $"<a href=\"{Svg.Esc(h.To(SitePaths.Run(trainingRun)))}\">{Svg.Esc(run)}</a>" : Svg.Esc(ver.TrainingRun ?? "")).Raw("</td><td><code>").Text(Short(ver.Artifact.Sha256, 12)).Raw("</code> ").Text(Bytes(ver.Artifact.Bytes)).Raw("</td></tr>");
            }
            h.Raw("</tbody></table></div>");
        }
        h.Raw("</section>");

        // Stage history.
        h.Raw("<section aria-labelledby=\"stages\"><h2 id=\"stages\">Stage history</h2>");
        if (i.Stages.Entries.Count == 0)
        {
            h.Raw("<p>No stage change yet.</p>");
        }
        else
        {
            h.Raw("<table><caption>Stage changes, oldest first</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Version</th><th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">By</th><th scope=\"col\">Reason</th></tr></thead><tbody>");
            foreach (var e in i.Stages.Entries)
            {
                h.Raw("<tr><td>").Text(Format.Time(e.At)).Raw("</td><td>").Raw(VersionLink(h, i.Name, e.Version)).Raw("</td><td>").Text(e.From is { } f ? Stages.Name(f) : "registered").Raw("</td><td>").Raw(Badge(Stages.Name(e.To), Stages.Name(e.To))).Raw("</td><td>").Text(e.By).Raw("</td><td>").Text(e.Reason).Raw("</td></tr>");
            }
            h.Raw("</tbody></table>");
        }
        h.Raw("</section>");

        // Monitoring.
        h.Raw("<section aria-labelledby=\"monitoring\"><h2 id=\"monitoring\">Monitoring</h2>");
        if (i.LatestMonitoring is not { } latest)
        {
            h.Raw("<p>No monitoring report yet.</p>");
        }
        else
        {
            h.Raw("<p>Latest report: ").Raw(Data.Run(latest.RunId) is { } monitorRun ? $"<a href=\"{Svg.Esc(h.To(SitePaths.Run(monitorRun)))}\">{Svg.Esc(latest.RunId)}</a>" : Svg.Esc(latest.RunId)).Raw(", ").Text(Format.Time(latest.At)).Raw(". ")
                .Text(MonitoringSummary(latest)).Raw("</p>");
            var ics = i.MonitoringHistory.Where(m => m.RollingRankIc is not null).Select(m => (m.At.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), m.RollingRankIc!.Value)).ToList();
            if (ics.Count > 0)
            {
                h.Raw("<figure>").Raw(Svg.Line("Rolling rank IC by monitoring run", ics, latest.Performance?.DecayThreshold, latest.Performance?.DecayThreshold is { } t ? $"decay below {Format.Number(t)}" : null))
                    .Raw("<figcaption>Rolling rank IC at each monitoring run; the dashed line is the decay threshold.</figcaption></figure>");
            }
            DriftChart(h, latest, "Feature drift in the latest report");
        }
        h.Raw("</section>");

        // Configuration.
        var c = i.Config;
        h.Raw("<section aria-labelledby=\"configuration\"><h2 id=\"configuration\">Configuration</h2><p class=\"meta\">").Text(c.Source == "specs" ? "As declared in the specs now." : "As the latest version recorded it (no spec).").Raw("</p><dl class=\"facts\">");
        Fact(h, "Feature set", c.FeatureSet);
        Fact(h, "Features", c.Features.Count == 0 ? null : $"{string.Join(", ", c.Features)} ({c.Features.Count})");
        Fact(h, "Target", c.Target);
        Fact(h, "Inputs", i.Inputs.Count == 0 ? null : string.Join(", ", i.Inputs));
        Fact(h, "Regime", c.Regime);
        Fact(h, "Training window", c.TrainingWindow);
        Fact(h, "Inference window", c.InferenceWindow);
        Fact(h, "Monitoring window", c.MonitoringWindow);
        Fact(h, "Seed", c.Seed?.ToString(CultureInfo.InvariantCulture));
        Fact(h, "Gates", c.Gates.Count == 0 ? null : string.Join("; ", c.Gates));
        Fact(h, "Promotion", c.Promotion);
        Fact(h, "Triggers", c.Triggers.Count == 0 ? null : string.Join("; ", c.Triggers));
        h.Raw("</dl>");
        if (c.Hyperparameters.Count > 0)
        {
            h.Raw("<table><caption>Hyperparameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Value</th></tr></thead><tbody>");
            foreach (var (name, value) in c.Hyperparameters)
            {
                h.Raw("<tr><th scope=\"row\">").Text(name).Raw("</th><td><code>").Text(value).Raw("</code></td></tr>");
            }
            h.Raw("</tbody></table>");
        }
        h.Raw("</section>");

        Lineage(h, i);
        DataProfiles(h, i);

        // Runs.
        h.Raw("<section aria-labelledby=\"runs\"><h2 id=\"runs\">Runs</h2><p><a href=\"").Attr(h.To(SitePaths.Runs) + "?instance=" + Uri.EscapeDataString(i.Name)).Raw("\">All runs of ").Text(i.Name).Raw(" in the Execution view</a></p>");
        RunTable(h, [.. i.Runs.Take(50)], $"The latest {Math.Min(50, i.Runs.Count)} of {i.Runs.Count} run(s)", showInstance: false);
        h.Raw("</section>");

        h.Raw("<section aria-labelledby=\"card\"><h2 id=\"card\">Model card</h2>");
        if (i.Card is { } card)
        {
            h.Raw("<div class=\"card\">").Raw(Markdown.ToHtml(card)).Raw("</div>");
        }
        else
        {
            h.Raw("<p>No model card.</p>");
        }
        h.Raw("</section>");
        return Page(h, i.Name, "instances");
    }

    // ---- Execution view ------------------------------------------------------------------------------------

    public string RunList(int page = 1, RunFilter? filter = null)
    {
        filter ??= new RunFilter();
        var path = SitePaths.RunsPage(page);
        var h = new Html(path);
        var runs = filter.IsEmpty ? Data.Runs : [.. Data.Runs.Where(filter.Matches)];
        var listed = filter.IsEmpty ? Math.Min(runs.Count, MaxListedRuns) : runs.Count;
        var pages = Math.Max(1, (listed + PageSize - 1) / PageSize);
        var shown = runs.Skip((page - 1) * PageSize).Take(Math.Min(PageSize, Math.Max(0, listed - ((page - 1) * PageSize)))).ToList();
        h.Raw("<h1>Executions</h1><p class=\"lead\">").Text($"{runs.Count} run(s)").Raw(": train, import, infer, monitor, and stage changes (promote, archive).</p>");
        if (listed < runs.Count)
        {
            h.Raw("<p>").Text($"The newest {listed} are listed here; every run is on its instance's runs page (from the instance's page).").Raw("</p>");
        }
        h.Raw("<form class=\"filters\" method=\"get\" action=\"").Attr(h.To(SitePaths.Runs)).Raw("\" aria-label=\"Filter runs\">");
        h.Raw("<label>Instance <input name=\"instance\" size=\"16\" value=\"").Attr(filter.Instance ?? "").Raw("\"></label> ");
        Select(h, "kind", "Kind", ["train", "import", "infer", "monitor", "promote", "archive"], filter.Kind);
        Select(h, "status", "Status", ["succeeded", "failed", "cancelled"], filter.Status);
        h.Raw("<button type=\"submit\">Filter</button> <a href=\"").Attr(h.To(SitePaths.Runs)).Raw("\">Clear</a>");
        if (!live)
        {
            h.Raw("<p class=\"meta\" id=\"filter-note\">In the static site the filter applies to the runs of this page.</p>");
        }
        h.Raw("</form>");
        h.Raw("<figure>").Raw(Svg.Timeline("Run timeline", shown, r => h.To(SitePaths.Run(r)))).Raw("<figcaption>Runs of this page on a time line, one lane per kind; green succeeded, red failed, grey cancelled.</figcaption></figure>");
        RunTable(h, shown, pages > 1 ? $"Runs, newest first, page {page} of {pages}" : "Runs, newest first", showInstance: true);
        Pager(h, page, pages, SitePaths.RunsPage, filter);
        return Page(h, "Executions", "runs", live ? null : FilterScript);
    }

    /// <summary>Pages of an instance's executions (at least one).</summary>
    public static int ExecutionPages(CenterInstance i) => Math.Max(1, (i.Runs.Count + RunsPerPage - 1) / RunsPerPage);

    /// <summary>An instance's runs in full, newest first, one section per run (its deep link is the section's id).</summary>
    public string Executions(CenterInstance i, int page = 1)
    {
        var h = new Html(SitePaths.Executions(i.Name, page));
        var pages = ExecutionPages(i);
        var runs = i.Runs.Skip((page - 1) * RunsPerPage).Take(RunsPerPage).ToList();
        h.Raw("<p class=\"crumbs\"><a href=\"").Attr(h.To(SitePaths.Instance(i.Name))).Raw("\">").Text(i.Name).Raw("</a> › runs</p>");
        h.Raw("<h1>Runs of ").Text(i.Name).Raw("</h1><p class=\"lead\">").Text(pages > 1 ? $"{i.Runs.Count} run(s), newest first; page {page} of {pages}." : $"{i.Runs.Count} run(s), newest first.").Raw("</p>");
        h.Raw("<nav class=\"toc\" aria-label=\"Runs on this page\"><ul>");
        foreach (var run in runs)
        {
            h.Raw("<li><a href=\"#").Attr(run.Id).Raw("\">").Text($"{Format.Time(run.Started)} {run.Kind} {run.Status}").Raw("</a></li>");
        }
        h.Raw("</ul></nav>");
        foreach (var run in runs)
        {
            RunSection(h, run);
        }
        Pager(h, page, pages, p => SitePaths.Executions(i.Name, p));
        return Page(h, $"Runs of {i.Name}", "runs");
    }

    private void RunSection(Html h, CenterRun run)
    {
        h.Raw("<article class=\"run\" id=\"").Attr(run.Id).Raw("\" aria-labelledby=\"").Attr(run.Id).Raw("-h\"><h2 id=\"").Attr(run.Id).Raw("-h\">").Text($"{run.Kind} {run.Id}").Raw(" ").Raw(Badge(run.Status, run.Status)).Raw("</h2>");
        if (run.Summary is not null)
        {
            h.Raw("<p class=\"lead\">").Text(run.Summary).Raw("</p>");
        }
        h.Raw("<dl class=\"facts\"><dt>Instance</dt><dd><a href=\"").Attr(h.To(SitePaths.Instance(run.Instance))).Raw("\">").Text(run.Instance).Raw("</a></dd>");
        Fact(h, "Kind", run.Kind);
        Fact(h, "Status", run.Status);
        Fact(h, "Started", Format.Time(run.Started));
        Fact(h, "Finished", run.Finished is { } f ? Format.Time(f) : null);
        Fact(h, "Duration", run.Duration is null ? null : Format.Duration(run.Duration));
        Fact(h, "Recorded by commit", run.RecordedBy);
        Fact(h, "Planned from specs commit", run.Commit);
        Fact(h, "Pipeline", run.Pipeline);
        if (run.Version is { } v)
        {
            h.Raw("<dt>Version</dt><dd>").Raw(VersionLink(h, run.Instance, v)).Raw("</dd>");
        }
        h.Raw("</dl>");
        if (run.Error is { } error)
        {
            h.Raw("<div class=\"error\"><h3>Error</h3><p>").Text(error).Raw("</p></div>");
        }
        if (run.Metrics.Count > 0)
        {
            h.Raw("<table><caption>Metrics</caption><thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Value</th></tr></thead><tbody>");
            foreach (var (name, value) in run.Metrics)
            {
                h.Raw("<tr><th scope=\"row\">").Text(name).Raw("</th><td class=\"num\">").Text(Format.Number(value)).Raw("</td></tr>");
            }
            h.Raw("</tbody></table>");
        }
        if (run.Gates.Count > 0)
        {
            h.Raw("<table><caption>Gates</caption><thead><tr><th scope=\"col\">Gate</th><th scope=\"col\">Value</th><th scope=\"col\">Result</th></tr></thead><tbody>");
            foreach (var g in run.Gates)
            {
                h.Raw("<tr><th scope=\"row\">").Text($"{g.Metric} {g.Op} {Format.Number(g.Threshold)}").Raw("</th><td class=\"num\">").Text(Format.Number(g.Value)).Raw("</td><td>").Raw(Badge(g.Passed ? "succeeded" : "failed", g.Passed ? "passed" : "failed")).Raw("</td></tr>");
            }
            h.Raw("</tbody></table>");
        }
        if (run.Monitoring is { } m)
        {
            MonitoringDetail(h, m, run.Id);
        }
        RunProfiles(h, run);
        if (run.Activities.Count > 0)
        {
            h.Raw("<table><caption>Journal activities (attempts and retries)</caption><thead><tr><th scope=\"col\">Step</th><th scope=\"col\">Attempt</th><th scope=\"col\">Outcome</th><th scope=\"col\">At</th><th scope=\"col\">Error</th></tr></thead><tbody>");
            foreach (var a in run.Activities)
            {
                h.Raw("<tr><td>").Text(a.Step).Raw("</td><td class=\"num\">").Text(a.Attempt.ToString(CultureInfo.InvariantCulture)).Raw("</td><td>").Text(a.Outcome).Raw("</td><td>").Text(Format.Time(a.At)).Raw("</td><td>").Text(a.Error ?? "").Raw("</td></tr>");
            }
            h.Raw("</tbody></table>");
        }
        if (run.Outputs.Count > 0)
        {
            h.Raw("<h3>Outputs</h3><ul>");
            foreach (var output in run.Outputs)
            {
                h.Raw("<li><code>").Text(output).Raw("</code></li>");
            }
            h.Raw("</ul>");
        }
        if (run.Details.Count > 0)
        {
            h.Raw("<table><caption>Details</caption><tbody>");
            foreach (var (key, value) in run.Details)
            {
                h.Raw("<tr><th scope=\"row\">").Text(key).Raw("</th><td>").Text(value).Raw("</td></tr>");
            }
            h.Raw("</tbody></table>");
        }
        h.Raw("<p><a class=\"back\" href=\"").Attr(h.To(SitePaths.Instance(run.Instance))).Raw("\">Back to ").Text(run.Instance).Raw("</a> · <a href=\"").Attr(h.To(SitePaths.Runs)).Raw("\">All runs</a></p></article>");
    }

    /// <summary>A 404 page in the site's look, for unknown instances or runs under <c>serve</c>.</summary>
    public static string NotFound(string what)
    {
        var h = new Html("missing.html");
        h.Raw("<h1>Not found</h1><p>").Text(what).Raw("</p><p><a href=\"").Attr(h.To(SitePaths.Index)).Raw("\">Model instances</a></p>");
        return new CenterPages(new CenterData { Commit = null, ReadAt = DateTimeOffset.UnixEpoch, Instances = [], Runs = [] }).Page(h, "Not found", "");
    }

    // ---- Parts ---------------------------------------------------------------------------------------------

    private void MonitoringDetail(Html h, MonitoringView m, string id)
    {
        h.Raw("<section aria-labelledby=\"").Attr(id).Raw("-report\"><h3 id=\"").Attr(id).Raw("-report\">Monitoring report</h4><p>").Text(MonitoringSummary(m)).Raw("</p>");
        if (m.Alerts.Count > 0 || m.Raised.Count > 0)
        {
            h.Raw("<h4>Alerts by severity</h4>");
            foreach (var group in m.Alerts.GroupBy(a => a.Severity).OrderBy(g => SeverityRank(g.Key)))
            {
                h.Raw("<p>").Raw(Badge(group.Key, group.Key)).Raw("</p><ul>");
                foreach (var alert in group)
                {
                    h.Raw("<li><strong>").Text(alert.Name).Raw("</strong>: ").Text(alert.Condition).Text(alert.Values is null ? "" : $" ({alert.Values})").Raw("</li>");
                }
                h.Raw("</ul>");
            }
            if (m.Raised.Count > 0)
            {
                h.Raw("<table><caption>Raised on features and performance</caption><thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Subject</th><th scope=\"col\">Message</th></tr></thead><tbody>");
                foreach (var a in m.Raised)
                {
                    h.Raw("<tr><td>").Text(a.Kind.ToString().ToLowerInvariant()).Raw("</td><td>").Text(a.Subject).Raw("</td><td>").Text(a.Message).Raw("</td></tr>");
                }
                h.Raw("</tbody></table>");
            }
        }
        if (m.Performance is { } p)
        {
            h.Raw("<h4>Performance once labels arrived</h4><dl class=\"facts\">");
            Fact(h, "Rolling rank IC", p.RollingRankIc is { } ic ? Format.Number(ic) : null);
            Fact(h, "Rolling hit rate", p.RollingHitRate is { } hr ? Format.Number(hr) : null);
            Fact(h, "Mean rank IC", p.MeanRankIc is { } mean ? Format.Number(mean) : null);
            Fact(h, "Decay threshold", p.DecayThreshold is { } t ? Format.Number(t) : null);
            Fact(h, "Decayed", p.Decayed ? "yes" : "no");
            Fact(h, "Window", p.Window?.ToString(CultureInfo.InvariantCulture));
            Fact(h, "Periods", p.Periods?.ToString(CultureInfo.InvariantCulture));
            Fact(h, "Last labelled period", p.LastPeriod);
            h.Raw("</dl>");
        }
        DriftChart(h, m, "Drift per feature");
        var rows = m.Columns.Concat(m.Prediction is { } pr ? [pr] : []).ToList();
        if (rows.Count > 0)
        {
            h.Raw("<div class=\"scroll\"><table class=\"drift\" id=\"drift-").Attr(id).Raw("\"><caption>Drift per feature (and the prediction)</caption><thead><tr><th scope=\"col\">Column</th><th scope=\"col\">Method</th><th scope=\"col\">Statistic</th><th scope=\"col\">Threshold</th><th scope=\"col\">Drifted</th><th scope=\"col\">PSI</th><th scope=\"col\">KS</th><th scope=\"col\">Reference rows</th><th scope=\"col\">Current rows</th></tr></thead><tbody>");
            foreach (var r in rows)
            {
                h.Raw("<tr><th scope=\"row\">").Text(r.Column).Raw("</th><td>").Text(r.Method ?? "").Raw("</td><td class=\"num\">").Text(N(r.Statistic)).Raw("</td><td class=\"num\">").Text(N(r.Threshold)).Raw("</td><td>")
                    .Raw(r.Drifted ? Badge("degraded", "drifted") : Badge("healthy", "no")).Raw("</td><td class=\"num\">").Text(N(r.Psi)).Raw("</td><td class=\"num\">").Text(N(r.Ks)).Raw("</td><td class=\"num\">")
                    .Text(r.ReferenceCount?.ToString(CultureInfo.InvariantCulture) ?? "").Raw("</td><td class=\"num\">").Text(r.CurrentCount?.ToString(CultureInfo.InvariantCulture) ?? "").Raw("</td></tr>");
            }
            h.Raw("</tbody></table></div>");
            var drawn = rows.Where(r => r.Edges is not null && r.Reference is not null && r.Current is not null).ToList();
            if (drawn.Count > 0)
            {
                h.Raw("<h4>Reference and current distributions</h4><div class=\"grid\">");
                foreach (var r in drawn)
                {
                    h.Raw("<figure>").Raw(Svg.Histogram($"{r.Column}: reference against current", r.Edges!, r.Reference!, r.Current!)).Raw("<figcaption>").Text(r.Column).Raw(": reference outlined, current filled</figcaption></figure>");
                }
                h.Raw("</div>");
            }
        }
        h.Raw("</section>");
    }

    private static void DriftChart(Html h, MonitoringView m, string title)
    {
        var rows = m.Columns.Concat(m.Prediction is { } p ? [p] : []).Where(r => r.Statistic is not null)
            .Select(r => (r.Column, r.Statistic!.Value, r.Threshold, r.Drifted)).ToList();
        if (rows.Count > 0)
        {
            h.Raw("<figure>").Raw(Svg.Bars(title, rows)).Raw("<figcaption>").Text($"{title}: the drift statistic of each column against its threshold.").Raw("</figcaption></figure>");
        }
    }

    private void Lineage(Html h, CenterInstance i)
    {
        h.Raw("<section aria-labelledby=\"lineage\"><h2 id=\"lineage\">Lineage</h2>");
        var version = i.Production is { } p ? i.Versions.FirstOrDefault(v => v.Version == p) : i.Versions.Count > 0 ? i.Versions[^1] : null;
        if (version is null)
        {
            h.Raw("<p>No version yet, so no lineage.</p></section>");
            return;
        }
        var datasets = version.Lineage.Datasets.Select(d => new Svg.Node(d.Key, "dataset", null, $"content {Short(d.Value, 12)}")).ToList();
        var inputs = i.Inputs.Select(n => new Svg.Node(n, "input", h.To(SitePaths.Instance(n)), Data.Instance(n)?.Production is { } v ? $"production v{v}" : "instance")).ToList();
        var latestInference = i.Runs.FirstOrDefault(r => r.Kind == "infer" && r.Status == "succeeded");
        var outputs = version.Lineage.Outputs.Concat(latestInference?.Outputs ?? []).Distinct(StringComparer.Ordinal)
            .Select(o => new Svg.Node(OutputName(o), "output", latestInference is null ? null : h.To(SitePaths.Run(latestInference)), $"predictions {Short(Path.GetFileNameWithoutExtension(o), 12)}")).ToList();
        var readers = i.ReadBy.Select(n => new Svg.Node(n, "reader", h.To(SitePaths.Instance(n)), Data.Instance(n)?.Category ?? "reader")).ToList();
        var versionNode = new Svg.Node($"{i.Name} v{version.Version}", "version", h.To(SitePaths.Version(i.Name, version.Version)), version.Algorithm ?? "model");
        h.Raw("<figure>").Raw(Svg.Flow($"Lineage of {i.Name} v{version.Version}", [[.. datasets, .. inputs], [versionNode], outputs, readers])).Raw("<figcaption>Dataset content versions and input instances, the model version, its prediction outputs, and the combiners and filters that read them.</figcaption></figure>");
        h.Raw("<ul class=\"lineage\">");
        foreach (var (name, content) in version.Lineage.Datasets)
        {
            h.Raw("<li>dataset <strong>").Text(name).Raw("</strong> content version <code>").Text(content).Raw("</code></li>");
        }
        foreach (var input in i.Inputs)
        {
            h.Raw("<li>reads instance <a href=\"").Attr(h.To(SitePaths.Instance(input))).Raw("\">").Text(input).Raw("</a></li>");
        }
        foreach (var output in outputs)
        {
            h.Raw("<li>writes ").Text(output.Text).Raw(" (").Text(output.Note ?? "").Raw(")</li>");
        }
        foreach (var reader in i.ReadBy)
        {
            h.Raw("<li>read by <a href=\"").Attr(h.To(SitePaths.Instance(reader))).Raw("\">").Text(reader).Raw("</a></li>");
        }
        h.Raw("</ul></section>");
    }

    private static string OutputName(string output) =>
        output.StartsWith("artifacts/", StringComparison.Ordinal) ? $"predictions{Path.GetExtension(output)}" : output;

    private static void RunTable(Html h, List<CenterRun> runs, string caption, bool showInstance)
    {
        if (runs.Count == 0)
        {
            h.Raw("<p>No run.</p>");
            return;
        }
        h.Raw("<div class=\"scroll\"><table class=\"list runs\"><caption>").Text(caption).Raw("</caption><thead><tr><th scope=\"col\">Started</th>");
        if (showInstance)
        {
            h.Raw("<th scope=\"col\">Instance</th>");
        }
        h.Raw("<th scope=\"col\">Kind</th><th scope=\"col\">Status</th><th scope=\"col\">Duration</th><th scope=\"col\">Version</th><th scope=\"col\">Recorded by</th><th scope=\"col\">Outcome</th></tr></thead><tbody>");
        foreach (var r in runs)
        {
            h.Raw("<tr data-instance=\"").Attr(r.Instance).Raw("\" data-kind=\"").Attr(r.Kind).Raw("\" data-status=\"").Attr(r.Status).Raw("\"><td><a href=\"").Attr(h.To(SitePaths.Run(r))).Raw("\">").Text(Format.Time(r.Started)).Raw("</a></td>");
            if (showInstance)
            {
                h.Raw("<td><a href=\"").Attr(h.To(SitePaths.Instance(r.Instance))).Raw("\">").Text(r.Instance).Raw("</a></td>");
            }
            h.Raw("<td>").Text(r.Kind).Raw("</td><td>").Raw(Badge(r.Status, r.Status)).Raw("</td><td class=\"num\">").Text(Format.Duration(r.Duration)).Raw("</td><td>").Text(r.Version is { } v ? $"v{v}" : "").Raw("</td><td><code>").Text(Short(r.Commit ?? "", 7)).Raw("</code></td><td>").Text(Short(r.Summary ?? "", 160)).Raw("</td></tr>");
        }
        h.Raw("</tbody></table></div>");
    }

    private static string MonitoringSummary(MonitoringView m)
    {
        var parts = new List<string>();
        if (m.DriftShare is { } share)
        {
            parts.Add($"drift share {share * 100:0} %{(m.DatasetDrift == true ? " (dataset drift)" : "")}");
        }
        if (m.Performance?.RollingRankIc is { } ic)
        {
            parts.Add($"rolling rank IC {Format.Number(ic)}{(m.Performance.Decayed ? " (decayed)" : "")}");
        }
        parts.Add($"{m.Alerts.Count} alert(s) fired");
        if (m.ReferenceRows is { } reference && m.CurrentRows is { } current)
        {
            parts.Add($"{reference} reference and {current} current rows");
        }
        return string.Join(", ", parts) + ".";
    }

    private static int SeverityRank(string severity) => severity switch { "critical" => 0, "error" => 1, "warning" => 2, _ => 3 };

    private static void Select(Html h, string name, string label, IEnumerable<string> values, string? selected)
    {
        h.Raw("<label>").Text(label).Raw(" <select name=\"").Attr(name).Raw("\"><option value=\"\">all</option>");
        foreach (var value in values)
        {
            h.Raw("<option").Raw(value == selected ? " selected" : "").Raw(">").Text(value).Raw("</option>");
        }
        h.Raw("</select></label> ");
    }

    private static void Pager(Html h, int page, int pages, Func<int, string> path, RunFilter? filter = null)
    {
        if (pages <= 1)
        {
            return;
        }
        var query = filter is null || filter.IsEmpty ? "" : "?" + string.Join("&", new[] { ("instance", filter.Instance), ("kind", filter.Kind), ("status", filter.Status) }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        h.Raw("<nav class=\"pager\" aria-label=\"Pages\">");
        for (var p = 1; p <= pages; p++)
        {
            h.Raw(p == page ? $"<span aria-current=\"page\">{p}</span> " : $"<a href=\"{Svg.Esc(h.To(path(p)) + query)}\">{p}</a> ");
        }
        h.Raw("</nav>");
    }

    private void SpecsNote(Html h)
    {
        if (Data.SpecsProblem is { } problem)
        {
            h.Raw("<p class=\"meta\">").Text(problem).Raw("</p>");
        }
    }

    private static string VersionLink(Html h, string instance, int version) =>
        $"<a href=\"{Svg.Esc(h.To(SitePaths.Version(instance, version)))}\">v{version}</a>";

    private static void Fact(Html h, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            h.Raw("<dt>").Text(name).Raw("</dt><dd>").Text(value).Raw("</dd>");
        }
    }

    private static string Badge(string kind, string text) => $"<span class=\"badge b-{Svg.Esc(kind)}\">{Svg.Esc(text)}</span>";

    private static string N(double? value) => value is { } v ? Format.Number(v) : "";

    private static string Short(string text, int length) => text.Length <= length ? text : text[..length];

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
    };

    private string Page(Html body, string title, string section, string? script = null)
    {
        var page = new StringBuilder(body.Length + 4096);
        page.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'\">")
            .Append("<meta name=\"referrer\" content=\"no-referrer\"><title>").Append(Svg.Esc(title)).Append(" · OptAIC MLOps Center</title><style>").Append(Css).Append("</style></head><body>")
            .Append("<a class=\"skip\" href=\"#main\">Skip to content</a><header><nav aria-label=\"Views\"><strong>OptAIC MLOps Center</strong> ")
            .Append("<a href=\"").Append(Svg.Esc(body.To(SitePaths.Index))).Append('"').Append(section == "instances" ? " aria-current=\"page\"" : "").Append(">Model instances</a> ")
            .Append("<a href=\"").Append(Svg.Esc(body.To(SitePaths.Runs))).Append('"').Append(section == "runs" ? " aria-current=\"page\"" : "").Append(">Executions</a> ")
            .Append("<a href=\"").Append(Svg.Esc(body.To(SitePaths.Datasets))).Append('"').Append(section == "datasets" ? " aria-current=\"page\"" : "").Append(">Datasets</a></nav>")
            .Append("<p class=\"meta\">").Append(live ? "live from " : "from ").Append("commit <code>").Append(Svg.Esc(Data.Commit is { } c ? c[..Math.Min(12, c.Length)] : "none")).Append("</code>, read ")
            .Append(Svg.Esc(Format.Time(Data.ReadAt))).Append("</p></header><main id=\"main\">")
            .Append(body.Builder).Append("</main><footer><p>Made by optaic from the registry's records; it shows what they hold, never data rows or secrets.</p></footer>");
        if (script is not null)
        {
            page.Append("<script>").Append(script).Append("</script>");
        }
        return page.Append("</body></html>\n").ToString();
    }

    /// <summary>Filters the Execution view's rows by the query (?instance=&amp;kind=&amp;status=), for the static site where no server does it.</summary>
    private const string FilterScript =
        "(function(){var q=new URLSearchParams(location.search),f=['instance','kind','status'],n=0;" +
        "f.forEach(function(k){var s=document.querySelector('[name='+k+']');if(s&&q.get(k))s.value=q.get(k);});" +
        "document.querySelectorAll('table.runs tbody tr').forEach(function(r){var ok=f.every(function(k){var v=q.get(k);return !v||r.dataset[k]===v;});r.hidden=!ok;if(ok)n++;});" +
        "var c=document.querySelector('table.runs caption');if(c&&f.some(function(k){return q.get(k);}))c.textContent+=' ('+n+' shown by the filter)';})();";

    private const string Css =
        ":root{color-scheme:light;--fg:#1b1b1b;--muted:#4a4f55;--line:#d0d4d9;--link:#0b57d0}" +
        "*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:#fff}" +
        "header{padding:.6rem 1.2rem;border-bottom:1px solid var(--line);background:#f6f8fa}header nav a{margin-left:1rem}header p{margin:.2rem 0 0}" +
        "main{padding:1rem 1.2rem;max-width:1200px}a{color:var(--link)}a:focus-visible,button:focus-visible,select:focus-visible{outline:3px solid #f9ab00;outline-offset:2px}" +
        "[aria-current=page]{font-weight:700;text-decoration:none;color:var(--fg)}.skip{position:absolute;left:-9999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.3rem;z-index:9}" +
        "h1{font-size:1.5rem;margin:.2rem 0 .4rem}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line)}h3{font-size:1.05rem}" +
        ".lead{font-size:1.05rem}.meta,footer{color:var(--muted);font-size:.9em}footer{padding:1rem 1.2rem;border-top:1px solid var(--line)}" +
        "table{border-collapse:collapse;margin:.5rem 0 1rem}caption{text-align:left;font-weight:600;padding:.2rem 0}th,td{border-bottom:1px solid var(--line);padding:.25rem .6rem;text-align:left;vertical-align:top}" +
        "thead th{background:#f6f8fa}.num{text-align:right;font-variant-numeric:tabular-nums}.scroll{overflow-x:auto}" +
        ".badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.85em;font-weight:600;border:1px solid}" +
        ".b-healthy,.b-succeeded,.b-production{color:#1e5e22;background:#e6f4ea}.b-degraded,.b-warning,.b-staging{color:#7a3d00;background:#fef3e0}" +
        ".b-failing,.b-failed,.b-critical,.b-error{color:#8c1d18;background:#fce8e6}.b-missing,.b-archived,.b-cancelled,.b-registered,.b-info{color:#3c4043;background:#f1f3f4}" +
        "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}dt{font-weight:600}dd{margin:0}" +
        ".toc a{margin-right:.8rem}figure{margin:.5rem 0 1rem}figcaption{color:var(--muted);font-size:.9em}svg.chart{max-width:100%;height:auto}svg text{fill:#1b1b1b}" +
        ".grid{display:flex;flex-wrap:wrap;gap:1rem}.error{border-left:4px solid #b3261e;padding:.2rem 1rem;background:#fce8e6}.card{border:1px solid var(--line);padding:0 1rem;border-radius:6px}" +
        ".filters label{margin-right:.6rem}article.run{border-top:2px solid var(--line);margin-top:1.5rem}article.run:target{background:#fffbe6}.pager{margin:.5rem 0}.pager a,.pager span{margin-right:.4rem}code{font-size:.92em}";

    /// <summary>An HTML body being written: text is escaped, and links are made relative to the page's own path.</summary>
    private sealed class Html(string path)
    {
        private readonly StringBuilder _s = new(8192);
        private readonly string _up = Begin(path);

        public int Length => _s.Length;

        /// <summary>The text so far, appended to the page without a copy into an intermediate string.</summary>
        public StringBuilder Builder => _s;

        public string To(string target) => _up + target;

        public Html Raw(string html)
        {
            _s.Append(html);
            return this;
        }

        public Html Text(string text)
        {
            _s.Append(Svg.Esc(text));
            return this;
        }

        public Html Attr(string text) => Text(text);

        public override string ToString() => _s.ToString();

        private static string Begin(string path)
        {
            Svg.BeginPage();
            return string.Concat(Enumerable.Repeat("../", path.Count(c => c == '/')));
        }
    }
}
