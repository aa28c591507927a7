namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// Everything one run needs, as plain data (System.Text.Json, see <see cref="RunJson"/>), so that it can be
/// handed to a child process or another machine: which activity on which instance, the exact specs and data
/// it must read (checked by the worker before it does anything), where artifacts live, and the upstream
/// outputs it reads, by artifact URI and sha256, never from memory.
/// </summary>
public sealed record RunRequest
{
    public const string FormatVersion = "1";

    public string Format { get; init; } = FormatVersion;

    /// <summary>Stable for the same action of the same plan state: a run killed midway resumes under the same id.</summary>
    public required string RunId { get; init; }

    /// <summary>The activity's registered name (<see cref="RunActivityNames"/>): train, infer, monitor, promote, archive, import.</summary>
    public required string Activity { get; init; }

    public required string Instance { get; init; }

    /// <summary>The specs to read: <c>sha256:&lt;hash&gt;</c> of their content (what <c>plan</c> shows as the specs hash), or a commit sha.</summary>
    public required string Specs { get; init; }

    /// <summary>Content version of every dataset the run reads (name to version); the worker refuses if its data differs.</summary>
    public IReadOnlyDictionary<string, string> Datasets { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The registry commit the plan was made against (null in a repository without commits).</summary>
    public string? RegistryCommit { get; init; }

    /// <summary>Where artifacts are read and put (<see cref="ArtifactStoreAddress"/>): <c>repository:models</c> or <c>file:///…</c>.</summary>
    public required string ArtifactStore { get; init; }

    /// <summary>The model version a run scores or watches with (infer, monitor), by artifact.</summary>
    public ModelReference? Model { get; init; }

    /// <summary>Outputs of other instances the run reads (a combiner's inputs, a filter's regime), by artifact.</summary>
    public IReadOnlyDictionary<string, ArtifactReference> Upstream { get; init; } = new Dictionary<string, ArtifactReference>(StringComparer.Ordinal);

    /// <summary>
    /// What the run's output is a function of (the plan's fingerprint of the action): its value, and its parts
    /// by name; an import checks the ONNX file's sha256 against <see cref="Plan.FingerprintParts.OnnxFileKey"/>.
    /// </summary>
    public RunFingerprint? Fingerprint { get; init; }

    /// <summary>Why the plan asks for this run (the run record keeps them).</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>Retries and timeout of the Pipeline step that describes the action, if any.</summary>
    public RunPolicy Policy { get; init; } = new();
}

/// <summary>A fingerprint as a request carries it.</summary>
public sealed record RunFingerprint(string Value, IReadOnlyDictionary<string, string> Parts);

/// <summary>An artifact by address and digest: a reader checks the sha256 of what it gets.</summary>
public sealed record ArtifactReference(string Uri, string Sha256);

/// <summary>A registered version and its model artifact.</summary>
public sealed record ModelReference(int Version, string Uri, string Sha256);

/// <summary>Attempts after the first failure, and a time limit per attempt (null: none).</summary>
public sealed record RunPolicy
{
    public int Retries { get; init; }

    public TimeSpan? Timeout { get; init; }
}

/// <summary>
/// The names activities are registered under. Registering a version is not an activity: it is a write of the
/// registry, which only the coordinator makes, from a train or import result.
/// </summary>
public static class RunActivityNames
{
    public const string Train = "train";
    public const string Infer = "infer";
    public const string Monitor = "monitor";
    public const string Promote = "promote";
    public const string Archive = "archive";
    public const string Import = "import";
}
