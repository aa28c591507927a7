using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;

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

    public SpecSet Specs => Workspace.Specs;

    public void Report(string stage, int? done = null, int? total = null) => progress?.Report(new RunProgress(Request.RunId, stage, done, total));

    /// <summary>What a running activity says it is doing, for live progress.</summary>
    public Action<string> Stage => message => Report(message);

    /// <summary>Reads an artifact the request names; the store checks its sha256.</summary>
    public byte[] Read(ArtifactReference artifact) => Artifacts.Get(new ArtifactRef { Uri = artifact.Uri, Sha256 = artifact.Sha256 });

    /// <summary>The model version the request names (infer, monitor), read from the artifact store and checked.</summary>
    public ModelBundle Model() => Request.Model is { } model
        ? ModelBundle.FromBytes(Artifacts.Get(new ArtifactRef { Uri = model.Uri, Sha256 = model.Sha256 }))
        : throw new RunRequestException($"the {Request.Activity} request for {Request.Instance} names no model version");

    /// <summary>
    /// The outputs of an instance the run reads, from the artifact the request names (never from memory or the
    /// registry), read once per run.
    /// </summary>
    public PredictionSource Predictions => instance =>
    {
        lock (_predictions)
        {
            if (_predictions.TryGetValue(instance, out var frame))
            {
                return frame;
            }
            var artifact = Request.Upstream.GetValueOrDefault(instance)
                ?? throw new RunRequestException($"the {Request.Activity} request for {Request.Instance} does not name the outputs of {instance}; its inference must run first");
            frame = PredictionFiles.Read(Read(artifact), Path.Combine(Workspace.WorkFolder, "tmp"));
            _predictions[instance] = frame;
            return frame;
        }
    };

    private readonly Dictionary<string, Frame> _predictions = new(StringComparer.Ordinal);

    /// <summary>Puts an artifact in the store the request names (content addressed: putting the same bytes twice is harmless).</summary>
    public ArtifactRef Put(byte[] content, string extension, string mediaType) => Artifacts.Put(content, extension, mediaType);

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

    /// <summary>The activities of the engine: one file each in Apply/Activities, one line here.</summary>
    public static RunActivities Default { get; } = new RunActivities()
        .Register(new TrainActivity())
        .Register(new ImportActivity())
        .Register(new InferActivity())
        .Register(new MonitorActivity())
        .Register(new PromoteActivity())
        .Register(new ArchiveActivity());

    public IReadOnlyCollection<string> Names => _activities.Keys;

    public RunActivities Register(IRunActivity activity)
    {
        _activities[activity.Name] = activity;
        return this;
    }

    public IRunActivity? Find(string name) => _activities.GetValueOrDefault(name);
}
