namespace OptAIC.Engine.Registry;

public enum Stage
{
    Staging,
    Production,
    Archived,
}

/// <summary>
/// <c>models/&lt;instance&gt;/stages.yaml</c>: the current stage of each version and the append-only list of
/// stage changes. A registered version has no stage until its first <see cref="RegistryStore.ChangeStage"/>.
/// </summary>
public sealed class StageHistory
{
    public string Instance { get; set; } = "";

    /// <summary>Version number to its current stage.</summary>
    public SortedDictionary<int, Stage> Current { get; set; } = [];

    /// <summary>Every stage change, oldest first. Entries are only ever appended.</summary>
    public List<StageChange> Entries { get; set; } = [];

    public Stage? StageOf(int version) => Current.TryGetValue(version, out var stage) ? stage : null;

    /// <summary>The version in production, if any (at most one is).</summary>
    public int? Production => Current.Where(c => c.Value == Stage.Production).Select(c => (int?)c.Key).LastOrDefault();
}

public sealed class StageChange
{
    public int Version { get; set; }

    /// <summary>The stage before the change; null when the version had none (just registered).</summary>
    public Stage? From { get; set; }

    public Stage To { get; set; }
    public DateTimeOffset At { get; set; }
    public string By { get; set; } = "";
    public string Reason { get; set; } = "";
}
