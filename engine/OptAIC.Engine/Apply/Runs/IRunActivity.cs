using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// One kind of run (train, infer, monitor, ...): a request in, a result out, as data. An activity reads the
/// workspace's specs and data and the artifacts its request names; it may put artifacts in the store, but it
/// never writes the registry: the coordinator does, from the result.
/// </summary>
public interface IRunActivity
{
    /// <summary>The name requests use (<see cref="RunActivityNames"/>).</summary>
    string Name { get; }

    Task<RunResult> ExecuteAsync(RunContext context, CancellationToken cancellationToken);
}

/// <summary>What an executing activity sees: its request, the workspace, the artifact store the request names, progress and the clock.</summary>
public sealed class RunContext(RunRequest request, RunWorkspace workspace, IArtifactStore artifacts, IProgress<RunProgress>? progress, TimeProvider time)
{
    public RunRequest Request { get; } = request;

    public RunWorkspace Workspace { get; } = workspace;

    public IArtifactStore Artifacts { get; } = artifacts;

    public TimeProvider Time { get; } = time;

    public void Report(string stage, int? done = null, int? total = null) => progress?.Report(new RunProgress(Request.RunId, stage, done, total));

    /// <summary>Reads an artifact the request names; the store checks its sha256.</summary>
    public byte[] Read(ArtifactReference artifact) => Artifacts.Get(new ArtifactRef { Uri = artifact.Uri, Sha256 = artifact.Sha256 });

    /// <summary>Times one phase of the real work: <c>var x = phases.Measure("train", () => ...)</c>.</summary>
    public T Measure<T>(List<RunPhase> phases, string name, Func<T> work)
    {
        var started = Time.GetUtcNow();
        var result = work();
        phases.Add(new RunPhase(name, started, Time.GetUtcNow()));
        return result;
    }
}

/// <summary>Activities by name: a case is one file and one line here.</summary>
public sealed class RunActivities
{
    private readonly Dictionary<string, IRunActivity> _activities = new(StringComparer.Ordinal);

    /// <summary>The activities of the engine.</summary>
    public static RunActivities Default { get; } = new RunActivities();

    public IReadOnlyCollection<string> Names => _activities.Keys;

    public RunActivities Register(IRunActivity activity)
    {
        _activities[activity.Name] = activity;
        return this;
    }

    public IRunActivity? Find(string name) => _activities.GetValueOrDefault(name);
}
