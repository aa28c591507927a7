namespace OptAIC.Engine.Plan;

/// <summary>
/// The actual state as the planner needs it, read from the registry in one pass: per instance, what
/// was last applied for each action (with its fingerprint parts), its versions and their stages, and
/// its latest monitoring verdict. Built by <see cref="RegistryReader"/>; plain data so planning is a
/// pure function of desired and actual state.
/// </summary>
public sealed class RegistrySnapshot
{
    public required string? Commit { get; init; }

    /// <summary>sha256 over the registry's record files: a plan made against another state is stale.</summary>
    public required string StateHash { get; init; }

    public required IReadOnlyDictionary<string, InstanceState> Instances { get; init; }

    public static RegistrySnapshot Empty { get; } = new() { Commit = null, StateHash = "", Instances = new Dictionary<string, InstanceState>() };
}

public sealed class InstanceState
{
    public required string Name { get; init; }

    public bool Archived { get; init; }

    /// <summary>train / infer / monitor to what was last applied.</summary>
    public IReadOnlyDictionary<string, AppliedState> Applied { get; init; } = new Dictionary<string, AppliedState>();

    public IReadOnlyList<VersionState> Versions { get; init; } = [];

    public int? ProductionVersion => Versions.LastOrDefault(v => v.Stage == "production")?.Number;

    public int? LatestVersion => Versions.Count == 0 ? null : Versions[^1].Number;

    /// <summary>The latest monitoring report's verdicts, if any.</summary>
    public MonitoringState? Monitoring { get; init; }
}

public sealed record AppliedState(string Fingerprint, IReadOnlyDictionary<string, string> Parts, DateTimeOffset At, int? Version, string? Output);

public sealed record VersionState(int Number, string Stage);

public sealed record MonitoringState(DateTimeOffset At, bool DatasetDrift, IReadOnlyList<string> DriftedColumns, double? RollingRankIc, bool Decayed);
