using System.Text.Json;
using System.Text.Json.Nodes;

namespace OptAIC.Engine.Workflows;

/// <summary>A typed step of a workflow (LoadData, Train, Gate, ...). Instances are created per execution.</summary>
public interface IActivity
{
    /// <summary>The name workflows use to refer to this activity.</summary>
    string Type { get; }

    Task<ActivityOutput> ExecuteAsync(ActivityContext context, CancellationToken cancellationToken);
}

/// <summary>What an activity produced: JSON values by name, journaled and readable by downstream steps.</summary>
public sealed class ActivityOutput
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);

    public ActivityOutput()
    {
    }

    public ActivityOutput(IReadOnlyDictionary<string, JsonNode?> values)
    {
        foreach (var (key, value) in values)
        {
            _values[key] = value?.DeepClone();
        }
    }

    public IReadOnlyDictionary<string, JsonNode?> Values => _values;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> serialised with System.Text.Json.</summary>
    public ActivityOutput Set<T>(string key, T value)
    {
        _values[key] = value as JsonNode ?? JsonSerializer.SerializeToNode(value);
        return this;
    }

    public T? Get<T>(string key) =>
        _values.TryGetValue(key, out var node) && node is not null ? node.Deserialize<T>() : default;

    internal JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (key, value) in _values)
        {
            json[key] = value?.DeepClone();
        }

        return json;
    }
}

/// <summary>A log line written by an activity.</summary>
public sealed record WorkflowLogEntry(string RunId, string StepId, string Message);

/// <summary>What an executing activity sees: its resolved inputs, the run, a logger and progress reporting.</summary>
public sealed class ActivityContext
{
    private readonly Action<WorkflowLogEntry>? _log;
    private readonly Action<double, string?>? _progress;

    internal ActivityContext(
        WorkflowRunRequest run, string runFolder, StepDefinition step, int attempt,
        IReadOnlyDictionary<string, JsonNode?> inputs, Action<WorkflowLogEntry>? log, Action<double, string?>? progress)
    {
        Run = run;
        RunFolder = runFolder;
        StepId = step.Id;
        ActivityType = step.ActivityType;
        Attempt = attempt;
        Inputs = inputs;
        _log = log;
        _progress = progress;
    }

    public WorkflowRunRequest Run { get; }

    public string RunId => Run.RunId;

    public string CommitSha => Run.CommitSha;

    /// <summary>The run's own folder (<c>&lt;workRoot&gt;/runs/&lt;runId&gt;/</c>), for artifacts and scratch files.</summary>
    public string RunFolder { get; }

    public string StepId { get; }

    public string ActivityType { get; }

    /// <summary>1 for the first attempt, 2 for the first retry, ...</summary>
    public int Attempt { get; }

    /// <summary>Inputs with references to upstream outputs and run inputs already resolved.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; }

    public bool HasInput(string name) => Inputs.TryGetValue(name, out var node) && node is not null;

    /// <summary>The input <paramref name="name"/> as <typeparamref name="T"/>; throws <see cref="ActivityInputException"/> if missing or of the wrong shape.</summary>
    public T GetInput<T>(string name)
    {
        if (!HasInput(name))
        {
            throw new ActivityInputException(
                $"Step '{StepId}' ({ActivityType}): required input '{name}' is missing; add it to the step's inputs.");
        }

        return Convert<T>(name, Inputs[name]!) ?? throw new ActivityInputException(
            $"Step '{StepId}' ({ActivityType}): input '{name}' is null; give it a value.");
    }

    public T GetInputOrDefault<T>(string name, T fallback) => HasInput(name) ? Convert<T>(name, Inputs[name]!) ?? fallback : fallback;

    public void Log(string message) => _log?.Invoke(new WorkflowLogEntry(RunId, StepId, message));

    /// <summary>Reports progress of this step, <paramref name="fraction"/> in [0, 1].</summary>
    public void ReportProgress(double fraction, string? message = null) => _progress?.Invoke(Math.Clamp(fraction, 0, 1), message);

    private T? Convert<T>(string name, JsonNode node)
    {
        try
        {
            return node.Deserialize<T>();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new ActivityInputException(
                $"Step '{StepId}' ({ActivityType}): input '{name}' = {node.ToJsonString()} cannot be read as {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}

/// <summary>A step's inputs are wrong (missing, wrong type, dangling reference). Never retried: it fails the same way again.</summary>
public sealed class ActivityInputException : Exception
{
    public ActivityInputException(string message)
        : base(message)
    {
    }

    public ActivityInputException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ActivityInputException()
    {
    }
}

/// <summary>Maps activity type names to factories.</summary>
public sealed class ActivityRegistry
{
    private readonly Dictionary<string, Func<IActivity>> _factories = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Types => _factories.Keys;

    public ActivityRegistry Register(string type, Func<IActivity> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        _factories[type] = factory;
        return this;
    }

    public ActivityRegistry Register<TActivity>()
        where TActivity : IActivity, new() => Register(new TActivity().Type, () => new TActivity());

    /// <summary>Registers a lambda as an activity, for small steps and tests.</summary>
    public ActivityRegistry Register(string type, Func<ActivityContext, CancellationToken, Task<ActivityOutput>> execute) =>
        Register(type, () => new DelegateActivity(type, execute));

    public bool Contains(string type) => _factories.ContainsKey(type);

    public IActivity Create(string type) =>
        _factories.TryGetValue(type, out var factory)
            ? factory()
            : throw new KeyNotFoundException($"No activity of type '{type}' is registered.");

    private sealed class DelegateActivity(string type, Func<ActivityContext, CancellationToken, Task<ActivityOutput>> execute) : IActivity
    {
        public string Type => type;

        public Task<ActivityOutput> ExecuteAsync(ActivityContext context, CancellationToken cancellationToken) =>
            execute(context, cancellationToken);
    }
}
