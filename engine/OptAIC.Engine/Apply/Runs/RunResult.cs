using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply.Runs;

public enum RunOutcome
{
    Succeeded,

    /// <summary>The work ran, but the version failed its definition's gates: nothing is registered.</summary>
    GateFailed,
    Failed,
    Cancelled,
}

/// <summary>
/// What a run did, as data: a typed outcome, the records it produced (drafts: only the coordinator writes
/// the registry), the artifacts it put in the artifact store, the measured times of its real work, and the
/// rows it read and wrote.
/// </summary>
public sealed record RunResult
{
    public required string RunId { get; init; }

    public required string Activity { get; init; }

    public required string Instance { get; init; }

    public required RunOutcome Outcome { get; init; }

    /// <summary>Why a run failed or was refused: one line a person can act on.</summary>
    public string? Error { get; init; }

    /// <summary>For a failed run: whether the run itself failed, its request could not be carried out, or the machine refused a write.</summary>
    public RunFailure? Failure { get; init; }

    /// <summary>One line for the apply output ("1,234 rows 2020-01-02..2024-12-31 in [-0.9, 0.9]").</summary>
    public string? Summary { get; init; }

    public RunRecords Records { get; init; } = new();

    /// <summary>Everything the run put in the artifact store (model bundles, prediction files).</summary>
    public IReadOnlyList<ArtifactRef> Artifacts { get; init; } = [];

    /// <summary>Start and end of the real work, per phase ("load", "train", "score", "write").</summary>
    public IReadOnlyList<RunPhase> Phases { get; init; } = [];

    public long RowsRead { get; init; }

    public long RowsWritten { get; init; }

    public DateTimeOffset? StartedAt => Phases.Count == 0 ? null : Phases.Min(p => p.StartedAt);

    public DateTimeOffset? FinishedAt => Phases.Count == 0 ? null : Phases.Max(p => p.FinishedAt);

    public static RunResult Refused(RunRequest request, RunOutcome outcome, string error, RunFailure? failure = null) => new()
    {
        RunId = request.RunId,
        Activity = request.Activity,
        Instance = request.Instance,
        Outcome = outcome,
        Error = error,
        Failure = outcome == RunOutcome.Failed ? failure ?? RunFailure.Run : null,
    };
}

public enum RunFailure
{
    /// <summary>The work failed (bad data, too few rows, a model that does not load): the run record says why.</summary>
    Run,

    /// <summary>The request cannot be carried out here (specs or data differ from what it names, an unknown activity).</summary>
    Request,

    /// <summary>The machine refused a write (a full disk, a read-only folder): not a failure of the model; apply stops and records nothing.</summary>
    Environment,
}

/// <summary>Records a run produced, for the coordinator to write: a version draft has no number until it is registered.</summary>
public sealed record RunRecords
{
    public RunRecord? Run { get; init; }

    public VersionRecord? Version { get; init; }

    public MonitoringRecord? Monitoring { get; init; }

    /// <summary>A stage change the coordinator makes (a pinned promotion or rollback).</summary>
    public StageChange? Stage { get; init; }

    /// <summary>The instance is to be archived with its versions.</summary>
    public bool Archive { get; init; }
}

public sealed record RunPhase(string Name, DateTimeOffset StartedAt, DateTimeOffset FinishedAt)
{
    public TimeSpan Duration => FinishedAt - StartedAt;

    /// <summary>Seconds per phase, as a run record's <c>phases</c> detail keeps them ("load": 1.204, "train": 3.911, ...).</summary>
    public static SortedDictionary<string, object?> Seconds(IEnumerable<RunPhase> phases)
    {
        var seconds = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var phase in phases)
        {
            seconds[phase.Name] = Math.Round(phase.Duration.TotalSeconds + ((double?)seconds.GetValueOrDefault(phase.Name) ?? 0), 3);
        }
        return seconds;
    }
}
