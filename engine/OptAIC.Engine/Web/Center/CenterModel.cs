using System.Globalization;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// The MLOps Center's read model: everything the pages and the JSON API show, read once from the registry's
/// records (and the specs, for configuration and lineage). Plain data; <see cref="CenterReader"/> builds it.
/// It holds what the records hold and nothing more: never data rows, never secrets.
/// </summary>
public sealed class CenterData
{
    public required string? Commit { get; init; }

    public required DateTimeOffset ReadAt { get; init; }

    /// <summary>Every instance of the registry and of the specs, by name (ordinal).</summary>
    public required IReadOnlyList<CenterInstance> Instances { get; init; }

    /// <summary>Every run of every instance, newest first (stage changes and archives included).</summary>
    public required IReadOnlyList<CenterRun> Runs { get; init; }

    /// <summary>Why the specs could not be read (they are optional: the pages then show the registry alone).</summary>
    public string? SpecsProblem { get; init; }

    /// <summary>Under <c>serve</c>: the pending plan (null in a static report, or when it could not be made).</summary>
    public PendingPlan? Plan { get; init; }

    /// <summary>Every dataset's profiles (one per content version), oldest first, by dataset (ordinal).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<DatasetProfile>> Profiles { get; init; } = new SortedDictionary<string, IReadOnlyList<DatasetProfile>>(StringComparer.Ordinal);

    /// <summary>The profile of a dataset at a content version, if one was recorded.</summary>
    public DatasetProfile? Profile(string dataset, string contentVersion) =>
        Profiles.TryGetValue(dataset, out var list) ? list.FirstOrDefault(p => p.ContentVersion == contentVersion) : null;

    /// <summary>The newest profile of a dataset: its current content version as the registry last saw it.</summary>
    public DatasetProfile? CurrentProfile(string dataset) => Profiles.TryGetValue(dataset, out var list) && list.Count > 0 ? list[^1] : null;

    /// <summary>The newest profile recorded at or before a time (apply records profiles with its start time, before its runs start).</summary>
    public DatasetProfile? ProfileAt(string dataset, DateTimeOffset at) =>
        Profiles.TryGetValue(dataset, out var list) ? list.LastOrDefault(p => p.CreatedAt <= at) : null;

    // Built on first use; two threads racing build equal maps, and either one is kept.
    private Dictionary<string, CenterInstance>? _byName;
    private Dictionary<string, CenterRun>? _runsById;

    public CenterInstance? Instance(string name) =>
        (_byName ??= Instances.ToDictionary(i => i.Name, StringComparer.Ordinal)).GetValueOrDefault(name);

    public CenterRun? Run(string id)
    {
        if (_runsById is null)
        {
            var map = new Dictionary<string, CenterRun>(StringComparer.Ordinal);
            foreach (var run in Runs)
            {
                map.TryAdd(run.Id, run);
            }
            _runsById = map;
        }
        return _runsById.GetValueOrDefault(id);
    }
}

/// <summary>What <c>serve</c> shows as pending: the planner's actions with their reasons, or why there is no plan.</summary>
public sealed record PendingPlan(IReadOnlyList<PlannedAction> Actions, string? Problem)
{
    public IEnumerable<PlannedAction> For(string instance) => Actions.Where(a => string.Equals(a.Instance, instance, StringComparison.Ordinal));
}

public sealed class CenterInstance
{
    public required string Name { get; init; }
    public required bool InSpecs { get; init; }
    public required bool Archived { get; init; }

    /// <summary>healthy, degraded, failing, missing or archived.</summary>
    public required string Health { get; init; }

    public string? HealthReason { get; init; }
    public string? Category { get; init; }
    public string? Definition { get; init; }
    public string? Description { get; init; }
    public string? Algorithm { get; init; }
    public int? Production { get; init; }
    public int? Latest { get; init; }
    public string? KeyMetric { get; init; }
    public double? KeyMetricValue { get; init; }
    public required IReadOnlyList<VersionRecord> Versions { get; init; }
    public required StageHistory Stages { get; init; }

    /// <summary>This instance's runs, newest first.</summary>
    public required IReadOnlyList<CenterRun> Runs { get; init; }

    /// <summary>The latest monitoring report, read into the drift table and performance figures.</summary>
    public MonitoringView? LatestMonitoring { get; init; }

    /// <summary>Rolling rank IC and drift share of each monitoring report, oldest first.</summary>
    public required IReadOnlyList<MonitoringPoint> MonitoringHistory { get; init; }

    public required InstanceConfig Config { get; init; }

    /// <summary>The model card (Markdown) of the production version, else of the latest.</summary>
    public string? Card { get; init; }

    public int? CardVersion { get; init; }

    /// <summary>Instances whose outputs this one reads (combiners, filters), from the specs.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>Instances that read this one's outputs, from the specs.</summary>
    public required IReadOnlyList<string> ReadBy { get; init; }

    /// <summary>The dataset columns each feature reads (through the features it is computed from), from the specs; empty without them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> FeatureColumns { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public DateTimeOffset? LastRun => Runs.Count == 0 ? null : Runs[0].Started;

    /// <summary>The key metric of every version that has it, oldest first.</summary>
    public IEnumerable<(int Version, double Value)> KeyMetricHistory =>
        KeyMetric is null ? [] : Versions.Where(v => v.Metrics.ContainsKey(KeyMetric)).Select(v => (v.Version, v.Metrics[KeyMetric]));
}

/// <summary>An instance's configuration as declared (specs) or, without a spec, as its latest version recorded it.</summary>
public sealed class InstanceConfig
{
    public IReadOnlyList<string> Features { get; init; } = [];
    public string? FeatureSet { get; init; }
    public string? Target { get; init; }
    public string? TrainingWindow { get; init; }
    public string? InferenceWindow { get; init; }
    public string? MonitoringWindow { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Hyperparameters { get; init; } = [];
    public string? Promotion { get; init; }
    public IReadOnlyList<string> Triggers { get; init; } = [];
    public IReadOnlyList<string> Gates { get; init; } = [];
    public int? Seed { get; init; }
    public string? Regime { get; init; }

    /// <summary>specs (declared now) or registry (recorded by the latest version).</summary>
    public string Source { get; init; } = "registry";
}

/// <summary>One run as the Execution view shows it. Stage changes and archives are runs of kind promote / archive.</summary>
public sealed class CenterRun
{
    public required string Id { get; init; }
    public required string Instance { get; init; }

    /// <summary>train, import, infer, monitor, promote or archive.</summary>
    public required string Kind { get; init; }

    /// <summary>succeeded, failed or cancelled.</summary>
    public required string Status { get; init; }

    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset? Finished { get; init; }
    /// <summary>The commit of the specs the run was planned from.</summary>
    public string? Commit { get; init; }

    /// <summary>The commit that recorded the run (added its record to the registry), from Git's history.</summary>
    public string? RecordedBy { get; init; }

    public string? Pipeline { get; init; }
    public int? Version { get; init; }
    public string? Error { get; init; }

    /// <summary>What happened, in one line (a stage change's from -> to and reason; a run's outcome).</summary>
    public string? Summary { get; init; }

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyList<GateResult> Gates { get; init; } = [];
    public IReadOnlyList<string> Outputs { get; init; } = [];

    /// <summary>Scalar details of the record, flattened (a.b: value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];

    /// <summary>The monitoring report of a monitoring run.</summary>
    public MonitoringView? Monitoring { get; init; }

    /// <summary>The journal's activities (attempts and retries), when the run's journal is still in the work folder.</summary>
    public IReadOnlyList<RunActivity> Activities { get; init; } = [];

    public TimeSpan? Duration => Finished is { } end ? end - Started : null;

    /// <summary>The page of its instance's executions that shows it (1 for the newest <see cref="CenterPages.RunsPerPage"/>).</summary>
    public int Page { get; internal set; } = 1;
}

public sealed record RunActivity(string Step, int Attempt, string Outcome, DateTimeOffset At, string? Error);

public sealed record MonitoringPoint(string RunId, DateTimeOffset At, double? RollingRankIc, double? DriftShare, int Alerts);

/// <summary>A monitoring report read from its record's tree.</summary>
public sealed class MonitoringView
{
    public required string RunId { get; init; }
    public required DateTimeOffset At { get; init; }
    public int? Version { get; init; }
    public required IReadOnlyList<DriftRow> Columns { get; init; }
    public DriftRow? Prediction { get; init; }
    public double? DriftShare { get; init; }
    public bool? DatasetDrift { get; init; }
    public double? DatasetDriftThreshold { get; init; }
    public long? ReferenceRows { get; init; }
    public long? CurrentRows { get; init; }
    public PerformanceView? Performance { get; init; }

    /// <summary>The definition's alerts that fired, with their severity.</summary>
    public required IReadOnlyList<AlertView> Alerts { get; init; }

    /// <summary>Drift and performance alerts of the record.</summary>
    public required IReadOnlyList<MonitoringAlert> Raised { get; init; }
}

public sealed record DriftRow(
    string Column, string? Method, double? Statistic, double? Threshold, bool Drifted, double? Psi, double? Ks, long? ReferenceCount, long? CurrentCount,
    IReadOnlyList<double>? Edges, IReadOnlyList<double>? Reference, IReadOnlyList<double>? Current);

public sealed record PerformanceView(double? RollingRankIc, double? RollingHitRate, double? MeanRankIc, double? DecayThreshold, bool Decayed, int? Window, int? Periods, string? LastPeriod);

public sealed record AlertView(string Name, string Severity, string Condition, string? Values);

/// <summary>Builds <see cref="CenterData"/> from a repository: its registry records and (when they load) its specs.</summary>
public static class CenterReader
{
    /// <summary>Reads the repository at <paramref name="repositoryRoot"/>; the registry folder comes from the project spec (models by default).</summary>
    public static CenterData Read(string repositoryRoot, bool withPlan = false, DateTimeOffset? now = null)
    {
        var root = Path.GetFullPath(repositoryRoot);
        SpecSet? specs = null;
        string? specsProblem = null;
        if (Directory.Exists(Path.Combine(root, "specs")))
        {
            try
            {
                var (lint, set) = Linter.Analyze(new DirectorySpecSource(root, ["specs"]));
                specs = set;
                if (lint.Errors > 0)
                {
                    specsProblem = $"the specs have {lint.Errors} lint error(s); configuration is shown as far as it loaded";
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                specsProblem = $"the specs could not be read: {e.Message}";
            }
        }
        var registryPath = specs?.ProjectSettings.RegistryPath ?? RegistryStore.DefaultPath;
        var store = new RegistryStore(Path.Combine(root, registryPath));
        var data = Read(store, specs, Commit(root), Path.Combine(root, ".optaic"), now, RecordCommits.Read(root, registryPath));
        PendingPlan? plan = null;
        if (withPlan)
        {
            plan = PlanOf(root);
        }
        return new CenterData { Commit = data.Commit, ReadAt = data.ReadAt, Instances = data.Instances, Runs = data.Runs, Profiles = data.Profiles, SpecsProblem = specsProblem, Plan = plan };
    }

    /// <summary>Reads a registry store (and optional specs) into the read model.</summary>
    public static CenterData Read(RegistryStore store, SpecSet? specs, string? commit, string? workFolder = null, DateTimeOffset? now = null, IReadOnlyDictionary<string, string>? recordedBy = null)
    {
        recordedBy ??= new Dictionary<string, string>();
        var names = store.ListInstances().Union(specs?.Instances.Keys ?? [], StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var readers = ReadersOf(specs);
        var instances = new CenterInstance[names.Count];
        // Journals exist only for runs whose folder is still in the work folder: list it once, not a lookup per run.
        var runFolders = workFolder is null ? null : Path.GetDirectoryName(Path.GetDirectoryName(Workflows.RunJournal.JournalPath(workFolder, "run")));
        var journals = runFolders is not null && Directory.Exists(runFolders)
            ? Directory.EnumerateDirectories(runFolders).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal)
            : [];
        var journalFolder = journals.Count == 0 ? null : workFolder;
        Parallel.For(0, names.Count, i => instances[i] = ReadInstance(store, specs, names[i], readers, journalFolder, recordedBy, journals));
        var runs = instances.SelectMany(i => i.Runs).OrderByDescending(r => r.Started).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        var profiles = new SortedDictionary<string, IReadOnlyList<DatasetProfile>>(StringComparer.Ordinal);
        foreach (var dataset in store.ListProfiledDatasets())
        {
            profiles[dataset] = store.GetDatasetProfiles(dataset);
        }
        return new CenterData { Commit = commit, ReadAt = now ?? DateTimeOffset.UtcNow, Instances = instances, Runs = runs, Profiles = profiles };
    }

    private static PendingPlan PlanOf(string root)
    {
        try
        {
            var session = ReconcileSession.Open(root);
            var plan = session.Plan();
            return new PendingPlan(plan.Actions, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new PendingPlan([], e.Message);
        }
    }

    private static string? Commit(string root)
    {
        try
        {
            using var git = GitRepository.Open(root);
            return git.HeadCommit;
        }
        catch (GitRepositoryException)
        {
            return null;
        }
    }

    private static Dictionary<string, List<string>> ReadersOf(SpecSet? specs)
    {
        var readers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (specs is null)
        {
            return readers;
        }
        foreach (var (name, spec) in specs.Instances)
        {
            foreach (var input in spec.Value.Inputs.Concat(spec.Value.Regime is { } regime ? [regime] : []))
            {
                if (!readers.TryGetValue(input, out var list))
                {
                    readers[input] = list = [];
                }
                if (!list.Contains(name))
                {
                    list.Add(name);
                }
            }
        }
        return readers;
    }

    private static CenterInstance ReadInstance(RegistryStore store, SpecSet? specs, string name, Dictionary<string, List<string>> readers, string? workFolder, IReadOnlyDictionary<string, string> recordedBy, HashSet<string> journals)
    {
        var registered = Directory.Exists(store.InstanceDirectory(name));
        var status = registered ? store.GetInstanceStatus(name) : null;
        var stages = registered ? store.GetStageHistory(name) : new StageHistory { Instance = name };
        var versions = registered ? store.GetVersions(name) : [];
        var runRecords = registered ? store.GetRuns(name) : [];
        var reports = registered ? store.GetMonitoringRecords(name) : [];
        var spec = specs?.Instances.GetValueOrDefault(name)?.Value;
        var definition = spec is null ? null : specs!.Definitions.GetValueOrDefault(spec.Definition)?.Value;

        var latest = versions.Count == 0 ? null : versions[^1];
        var production = stages.Production;
        var shown = production is { } p ? versions.FirstOrDefault(v => v.Version == p) ?? latest : latest;
        var metric = InstanceOverview.KeyMetric(spec, definition) ?? shown?.Metrics.Keys.FirstOrDefault();
        double? metricValue = metric is not null && shown?.Metrics.TryGetValue(metric, out var value) == true ? value : null;

        var monitoringByRun = new Dictionary<string, MonitoringView>(StringComparer.Ordinal);
        foreach (var report in reports)
        {
            monitoringByRun[report.RunId] = MonitoringReader.Read(report);
        }
        var algorithms = versions.ToDictionary(v => v.Version, v => v.Algorithm);
        var runs = new List<CenterRun>();
        foreach (var run in runRecords)
        {
            runs.Add(RunOf(run, monitoringByRun.GetValueOrDefault(run.RunId), algorithms, journals.Contains(run.RunId) ? workFolder : null, recordedBy.GetValueOrDefault(run.RunId)));
        }
        var changeNumber = 0;
        foreach (var change in stages.Entries)
        {
            changeNumber++;
            runs.Add(new CenterRun
            {
                Id = $"stage-{name}-{changeNumber:D4}",
                Instance = name,
                Kind = change.To == Stage.Archived ? "archive" : "promote",
                Status = "succeeded",
                Started = change.At,
                Finished = change.At,
                Version = change.Version,
                Summary = $"version {change.Version}: {(change.From is { } from ? Stages.Name(from) : "registered")} -> {Stages.Name(change.To)} by {change.By}: {change.Reason}",
            });
        }
        if (status is { Archived: true, ArchivedAt: { } archivedAt })
        {
            runs.Add(new CenterRun
            {
                Id = $"archive-{name}",
                Instance = name,
                Kind = "archive",
                Status = "succeeded",
                Started = archivedAt,
                Finished = archivedAt,
                Summary = $"instance archived by {status.ArchivedBy ?? "?"}: {status.ArchiveReason ?? "no reason recorded"}",
            });
        }
        runs.Sort((a, b) => b.Started != a.Started ? b.Started.CompareTo(a.Started) : string.CompareOrdinal(a.Id, b.Id));
        for (var r = 0; r < runs.Count; r++)
        {
            runs[r].Page = (r / CenterPages.RunsPerPage) + 1;
        }

        var latestMonitorRun = status?.Applied.GetValueOrDefault(AppliedActions.Monitor)?.RunId;
        var latestMonitoring = latestMonitorRun is not null && monitoringByRun.TryGetValue(latestMonitorRun, out var m)
            ? m
            : monitoringByRun.Values.OrderBy(v => v.At).LastOrDefault();
        var history = monitoringByRun.Values.OrderBy(v => v.At)
            .Select(v => new MonitoringPoint(v.RunId, v.At, v.Performance?.RollingRankIc, v.DriftShare, v.Alerts.Count))
            .ToList();

        string? card = null;
        int? cardVersion = null;
        if (shown is not null)
        {
            card = store.GetModelCard(name, shown.Version);
            cardVersion = card is null ? null : shown.Version;
        }

        var config = ConfigOf(spec, definition, shown);
        var health = status is null ? (registered || versions.Count > 0 ? "missing" : "missing")
            : status.Archived ? "archived" : status.Health.ToString().ToLowerInvariant();
        return new CenterInstance
        {
            Name = name,
            InSpecs = spec is not null,
            Archived = status?.Archived ?? false,
            Health = health,
            HealthReason = status?.HealthReason ?? (versions.Count == 0 ? "no registered version" : null),
            Category = definition?.Category ?? shown?.Category,
            Definition = spec?.Definition ?? shown?.Definition,
            Description = spec?.Description ?? definition?.Docs.Description,
            Algorithm = definition?.Model.Algorithm ?? shown?.Algorithm,
            Production = production,
            Latest = latest?.Version,
            KeyMetric = metric,
            KeyMetricValue = metricValue,
            Versions = versions,
            Stages = stages,
            Runs = runs,
            LatestMonitoring = latestMonitoring,
            MonitoringHistory = history,
            Config = config,
            Card = card,
            CardVersion = cardVersion,
            Inputs = spec is null ? [] : [.. spec.Inputs.Concat(spec.Regime is { } regime ? [regime] : []).Distinct(StringComparer.Ordinal)],
            ReadBy = readers.TryGetValue(name, out var readBy) ? readBy.Order(StringComparer.Ordinal).ToList() : [],
            FeatureColumns = FeatureColumnsOf(specs, spec, config.Features),
        };
    }

    /// <summary>Each feature's source columns: the names in its expression that are columns of the feature set's datasets, through the features it names.</summary>
    private static Dictionary<string, IReadOnlyList<string>> FeatureColumnsOf(SpecSet? specs, ModelInstanceSpec? spec, IReadOnlyList<string> features)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (specs is null || spec?.Features?.FeatureSet is not { } setName || specs.FeatureSets.GetValueOrDefault(setName)?.Value is not { } set)
        {
            return result;
        }
        var columns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dataset in set.Join.Select(j => j.Dataset).Prepend(set.Source))
        {
            if (specs.Datasets.GetValueOrDefault(dataset)?.Value is { } d)
            {
                columns.UnionWith(d.Columns.Select(c => c.Name));
            }
        }
        var expressions = set.Features.Concat(set.Targets).GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Expr, StringComparer.Ordinal);
        foreach (var feature in features)
        {
            var found = new SortedSet<string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>([feature]);
            while (pending.TryPop(out var name))
            {
                if (!seen.Add(name) || !expressions.TryGetValue(name, out var expr))
                {
                    continue;
                }
                foreach (System.Text.RegularExpressions.Match token in System.Text.RegularExpressions.Regex.Matches(expr, "[A-Za-z_][A-Za-z0-9_]*"))
                {
                    if (columns.Contains(token.Value))
                    {
                        found.Add(token.Value);
                    }
                    else if (expressions.ContainsKey(token.Value))
                    {
                        pending.Push(token.Value);
                    }
                }
            }
            result[feature] = [.. found];
        }
        return result;
    }

    private static CenterRun RunOf(RunRecord run, MonitoringView? monitoring, Dictionary<int, string?> algorithms, string? workFolder, string? recordedBy)
    {
        var kind = run.Kind switch
        {
            RunKind.Training when run.Version is { } v && algorithms.GetValueOrDefault(v) is "onnx" => "import",
            RunKind.Training => "train",
            RunKind.Inference => "infer",
            _ => "monitor",
        };
        var details = new List<KeyValuePair<string, string>>();
        Flatten("", run.Details, details);
        return new CenterRun
        {
            Id = run.RunId,
            Instance = run.Instance,
            Kind = kind,
            Status = run.Status.ToString().ToLowerInvariant(),
            Started = run.StartedAt,
            Finished = run.FinishedAt,
            Commit = run.Commit,
            RecordedBy = recordedBy,
            Pipeline = run.Pipeline,
            Version = run.Version,
            Error = run.Error,
            Summary = SummaryOf(run, kind),
            Metrics = run.Metrics,
            Gates = run.Gates,
            Outputs = run.Outputs,
            Details = details,
            Monitoring = monitoring,
            Activities = workFolder is null ? [] : JournalActivities.Read(workFolder, run.RunId),
        };
    }

    private static string SummaryOf(RunRecord run, string kind)
    {
        if (run.Error is { Length: > 0 } error)
        {
            return error;
        }
        string? Detail(string key) => run.Details.TryGetValue(key, out var v) && v is not null ? Format.Scalar(v) : null;
        return kind switch
        {
            "train" or "import" => run.Version is { } v ? $"version {v}" + (run.Gates.Count > 0 ? $", {run.Gates.Count(g => g.Passed)}/{run.Gates.Count} gates passed" : "") : "no version registered",
            "infer" => $"{Detail("rowsScored") ?? "?"} rows {Detail("window") ?? ""} with version {run.Version}".TrimEnd(),
            _ => $"drift share {Detail("driftShare") ?? "?"}, {Detail("alerts") ?? "0"} alert(s)" + (Detail("rollingRankIc") is { } ic ? $", rolling rank IC {ic}" : ""),
        };
    }

    internal static void Flatten(string prefix, object? value, List<KeyValuePair<string, string>> into)
    {
        switch (value)
        {
            case IDictionary<string, object?> map:
                foreach (var (key, item) in map)
                {
                    Flatten(prefix.Length == 0 ? key : $"{prefix}.{key}", item, into);
                }
                break;
            case string or bool or long or int or double or DateTimeOffset or DateOnly or null:
                into.Add(new(prefix, value is null ? "" : Format.Scalar(value)));
                break;
            case System.Collections.IEnumerable list:
                var index = 0;
                foreach (var item in list)
                {
                    Flatten($"{prefix}[{index++}]", item, into);
                }
                break;
            default:
                into.Add(new(prefix, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
                break;
        }
    }

    private static InstanceConfig ConfigOf(ModelInstanceSpec? spec, ModelDefinitionSpec? definition, VersionRecord? version)
    {
        var gates = definition?.Tests.Gates.Select(g => $"{g.Metric} {g.Op} {Format.Number(g.Threshold)}").ToList()
            ?? version?.Gates.Select(g => $"{g.Metric} {g.Op} {Format.Number(g.Threshold)}").ToList() ?? [];
        if (spec is null)
        {
            return new InstanceConfig
            {
                Source = "registry",
                Features = version?.Features ?? [],
                Target = version?.Target,
                TrainingWindow = version?.TrainingWindow is { } w ? $"{w.From:yyyy-MM-dd}..{w.To:yyyy-MM-dd} ({w.Rows} rows)" : null,
                Hyperparameters = version is null ? [] : [.. version.Hyperparameters.Select(h => new KeyValuePair<string, string>(h.Key, h.Value is null ? "" : Format.Scalar(h.Value)))],
                Gates = gates,
            };
        }
        // What the latest version was trained with, overlaid by what the spec declares now.
        var hyper = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in version?.Hyperparameters ?? [])
        {
            hyper[key] = value is null ? "" : Format.Scalar(value);
        }
        foreach (var (key, value) in spec.Hyperparameters ?? [])
        {
            hyper[key] = value?.ToString(Newtonsoft.Json.Formatting.None).Trim('"') ?? "";
        }
        var triggers = new List<string>();
        if (spec.Retrain?.Schedule is { } schedule)
        {
            triggers.Add($"retrain on schedule {schedule}");
        }
        if (spec.Retrain?.OnDrift == true)
        {
            triggers.Add("retrain on dataset drift");
        }
        if (spec.Retrain?.OnDecay == true)
        {
            triggers.Add("retrain on performance decay");
        }
        triggers.Add("retrain when a fingerprinted input changes (specs, data content, engine)");
        var promotion = spec.Promotion is { } promo
            ? string.Join(", ", new[] { promo.Policy ?? "auto", promo.Metric is null ? null : $"metric {promo.Metric}", promo.Margin is null ? null : $"margin {Format.Number(promo.Margin.Value)}", promo.Version is null ? null : $"version {promo.Version}" }.OfType<string>())
            : "default (first version that passes its gates; a better one after)";
        var features = version?.Features is { Count: > 0 } recorded ? recorded : spec.Features?.Include ?? [];
        return new InstanceConfig
        {
            Source = "specs",
            FeatureSet = spec.Features?.FeatureSet,
            Features = features,
            Target = spec.Target ?? version?.Target,
            TrainingWindow = Window(spec.Training),
            InferenceWindow = spec.Inference is null ? null : Window(spec.Inference),
            MonitoringWindow = spec.Monitoring?.Current is null ? null : Window(spec.Monitoring.Current),
            Hyperparameters = [.. hyper],
            Promotion = promotion,
            Triggers = triggers,
            Gates = gates,
            Seed = spec.Seed,
            Regime = spec.Regime,
        };
    }

    private static string Window(DateWindowSpec window) => $"{window.Start ?? "start"}..{window.End ?? "latest"}";
}

/// <summary>Reads the run journal's activities when the run's folder is still in the work folder (a resumable run).</summary>
internal static class JournalActivities
{
    public static IReadOnlyList<RunActivity> Read(string workFolder, string runId)
    {
        var path = Workflows.RunJournal.JournalPath(workFolder, runId);
        if (!File.Exists(path))
        {
            return [];
        }
        try
        {
            var activities = new List<RunActivity>();
            foreach (var e in Workflows.RunJournal.Read(path))
            {
                var outcome = e.Type switch
                {
                    Workflows.JournalEventType.ActivityCompleted => "completed",
                    Workflows.JournalEventType.ActivityFailed => e.WillRetry == true ? "failed, retried" : "failed",
                    Workflows.JournalEventType.ActivityCancelled => "cancelled",
                    Workflows.JournalEventType.ActivitySkipped => "skipped",
                    _ => null,
                };
                if (outcome is not null && e.StepId is not null)
                {
                    activities.Add(new RunActivity(e.StepId, e.Attempt ?? 1, outcome, e.Time, e.Error ?? e.Reason));
                }
            }
            return activities;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return [];
        }
    }
}

/// <summary>Reads a monitoring record's report tree (maps, lists and scalars) into a <see cref="MonitoringView"/>.</summary>
public static class MonitoringReader
{
    public static MonitoringView Read(MonitoringRecord record)
    {
        var report = record.Report as IDictionary<string, object?>;
        var columns = new List<DriftRow>();
        foreach (var column in List(report, "columns"))
        {
            if (column is IDictionary<string, object?> map && Row(map) is { } row)
            {
                columns.Add(row);
            }
        }
        var performance = Map(report, "performance") is { } perf
            ? new PerformanceView(Number(perf, "rollingRankIc"), Number(perf, "rollingHitRate"), Number(perf, "meanRankIc"), Number(perf, "decayThreshold"),
                Bool(perf, "decayed") ?? false, (int?)Number(perf, "window"), (int?)Number(perf, "periods"), Text(perf, "lastPeriod"))
            : null;
        var alerts = new List<AlertView>();
        foreach (var alert in List(report, "alerts"))
        {
            if (alert is IDictionary<string, object?> map)
            {
                alerts.Add(new AlertView(Text(map, "name") ?? "?", Text(map, "severity") ?? "warning", Text(map, "condition") ?? "", Text(map, "values")));
            }
        }
        return new MonitoringView
        {
            RunId = record.RunId,
            At = record.CreatedAt,
            Version = record.Version,
            Columns = columns,
            Prediction = Map(report, "predictionDrift") is { } prediction ? Row(prediction) : null,
            DriftShare = Number(report, "driftShare"),
            DatasetDrift = Bool(report, "datasetDrift"),
            DatasetDriftThreshold = Number(report, "datasetDriftThreshold"),
            ReferenceRows = (long?)Number(report, "referenceRows"),
            CurrentRows = (long?)Number(report, "currentRows"),
            Performance = performance,
            Alerts = alerts,
            Raised = [.. record.Alerts.Where(a => a.Kind is AlertKind.Drift or AlertKind.Performance)],
        };
    }

    private static DriftRow? Row(IDictionary<string, object?> map) => Text(map, "column") is { } name
        ? new DriftRow(name, Text(map, "method"), Number(map, "statistic"), Number(map, "threshold"), Bool(map, "drifted") ?? false, Number(map, "psi"), Number(map, "ks"),
            (long?)Number(map, "referenceCount"), (long?)Number(map, "currentCount"),
            Numbers(map, "edges"), Numbers(map, "referenceHistogram"), Numbers(map, "currentHistogram"))
        : null;

    private static IDictionary<string, object?>? Map(IDictionary<string, object?>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value as IDictionary<string, object?> : null;

    private static IEnumerable<object?> List(IDictionary<string, object?>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) && value is IEnumerable<object?> list ? list : [];

    private static List<double>? Numbers(IDictionary<string, object?> map, string key)
    {
        var values = List(map, key).Select(v => v switch { double d => d, long l => l, int i => i, _ => double.NaN }).ToList();
        return values.Count == 0 || values.Any(double.IsNaN) ? null : values;
    }

    private static string? Text(IDictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) && value is not null ? Format.Scalar(value) : null;

    private static double? Number(IDictionary<string, object?>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value switch
        {
            double d => d,
            long l => l,
            int i => i,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        } : null;

    private static bool? Bool(IDictionary<string, object?>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value switch { bool b => b, string s => s == "true", _ => null } : null;
}

/// <summary>Number and time formatting shared by the pages and the API: invariant culture, short.</summary>
public static class Format
{
    public static string Number(double value) => double.IsNaN(value) ? "NaN"
        : Math.Abs(value) is >= 1e5 or (< 1e-3 and > 0) ? value.ToString("0.###e+0", CultureInfo.InvariantCulture)
        : value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Scalar(object value) => value switch
    {
        double d => Number(d),
        bool b => b ? "true" : "false",
        DateTimeOffset t => Time(t),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => "",
        { TotalSeconds: < 1 } d => $"{d.TotalMilliseconds:0} ms",
        { TotalMinutes: < 1 } d => string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.0} s"),
        { } d => string.Create(CultureInfo.InvariantCulture, $"{(int)d.TotalMinutes} min {d.Seconds} s"),
    };
}
