using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OptAIC.Engine.Workflows;

/// <summary>
/// A workflow: a DAG of steps. Plain data (JSON-serialisable) so a run can carry it to another machine.
/// A step input that is a string starting with <c>=</c> is a reference: <c>=train.modelPath</c> is the
/// output <c>modelPath</c> of step <c>train</c> (further segments walk into JSON objects), <c>=inputs.x</c>
/// is the run input <c>x</c>; <c>==</c> escapes a literal leading <c>=</c>. A reference to a step is an
/// implicit dependency on it.
/// </summary>
public sealed record WorkflowDefinition
{
    public required string Id { get; init; }

    public IReadOnlyList<StepDefinition> Steps { get; init; } = [];

    /// <summary>Every problem with this definition, empty when valid; activity types are checked when a registry is given.</summary>
    public IReadOnlyList<string> FindProblems(ActivityRegistry? registry = null)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Id))
        {
            problems.Add("the workflow has no id");
        }

        foreach (var step in Steps)
        {
            if (!StepDefinition.IdPattern.IsMatch(step.Id ?? "") || step.Id == InputReference.RunInputs)
            {
                problems.Add($"step id '{step.Id}' is invalid: use letters, digits, '-' and '_' (and not '{InputReference.RunInputs}')");
            }

            if (registry is not null && !registry.Contains(step.ActivityType ?? ""))
            {
                problems.Add($"step '{step.Id}': unknown activity type '{step.ActivityType}' (registered: {string.Join(", ", registry.Types.Order(StringComparer.Ordinal))})");
            }

            problems.AddRange(step.FindProblems());
        }

        problems.AddRange(Dag.FindProblems(Steps.Select(s => (s.Id, s.Dependencies())).ToList(), "step"));
        return problems;
    }

    /// <summary>Throws <see cref="WorkflowDefinitionException"/> listing every problem.</summary>
    public WorkflowDefinition Validate(ActivityRegistry? registry = null)
    {
        var problems = FindProblems(registry);
        return problems.Count == 0 ? this : throw new WorkflowDefinitionException($"Workflow '{Id}'", problems);
    }
}

public sealed record StepDefinition
{
    internal static readonly Regex IdPattern = new("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant);

    public required string Id { get; init; }

    public required string ActivityType { get; init; }

    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; init; } = new Dictionary<string, JsonNode?>();

    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>Null: one attempt.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Per attempt; null: none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>When true, a failure of this step neither fails the run nor skips its dependents.</summary>
    public bool ContinueOnError { get; init; }

    /// <summary>Explicit dependencies plus the steps its inputs refer to.</summary>
    public IReadOnlyList<string> Dependencies() =>
        DependsOn.Concat(References().Select(r => r.Source).Where(s => s != InputReference.RunInputs)).Distinct().ToList();

    internal IEnumerable<InputReference> References() =>
        Inputs.Values.SelectMany(InputReference.FindAll);

    internal IEnumerable<string> FindProblems()
    {
        if (string.IsNullOrWhiteSpace(ActivityType))
        {
            yield return $"step '{Id}' has no activity type";
        }

        foreach (var (name, value) in Inputs)
        {
            foreach (var text in InputReference.FindMalformed(value))
            {
                yield return $"step '{Id}' input '{name}': reference '{text}' is malformed; write '=<step>.<output>' or '=inputs.<name>'";
            }
        }

        if (Retry is { } retry && (retry.MaxAttempts is < 1 or > 100 || retry.BaseDelay < TimeSpan.Zero || retry.BaseDelay > TimeSpan.FromDays(1)
            || retry.MaxDelay is { } max && (max < retry.BaseDelay || max > TimeSpan.FromDays(1))))
        {
            yield return $"step '{Id}': retry policy needs 1-100 attempts and 0 <= base delay <= max delay <= 1 day";
        }

        // Polly's timeout strategy accepts (10 ms, 24 h).
        if (Timeout is { } timeout && (timeout <= TimeSpan.FromMilliseconds(10) || timeout >= TimeSpan.FromDays(1)))
        {
            yield return $"step '{Id}': timeout {timeout} must be more than 10 ms and less than 24 h";
        }
    }
}

/// <summary>Exponential backoff with optional jitter between attempts of one step.</summary>
public sealed record RetryPolicy
{
    /// <summary>Total attempts, including the first.</summary>
    public int MaxAttempts { get; init; } = 3;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan? MaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    public bool Jitter { get; init; } = true;
}

/// <summary>A workflow definition (or a plan of runs) is invalid; <see cref="Problems"/> lists every problem.</summary>
public sealed class WorkflowDefinitionException : Exception
{
    /// <param name="subject">What is invalid, e.g. "Workflow 'train-spx'".</param>
    public WorkflowDefinitionException(string subject, IReadOnlyList<string> problems)
        : base($"{subject} is invalid:{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", problems)}")
    {
        Problems = problems;
    }

    public WorkflowDefinitionException()
    {
        Problems = [];
    }

    public WorkflowDefinitionException(string message)
        : base(message)
    {
        Problems = [message];
    }

    public WorkflowDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>A parsed <c>=source.path</c> reference inside a step input.</summary>
internal sealed record InputReference(string Text, string Source, IReadOnlyList<string> Path)
{
    public const string RunInputs = "inputs";

    private static readonly Regex Pattern = new(@"^=([A-Za-z0-9_-]+)((?:\.[^.]+)*)$", RegexOptions.CultureInvariant);

    public static bool IsReference(string text) => text.StartsWith('=') && !text.StartsWith("==", StringComparison.Ordinal);

    public static IEnumerable<InputReference> FindAll(JsonNode? node) =>
        Strings(node).Where(IsReference).Select(text => Pattern.Match(text)).Where(m => m.Success)
            .Select(m => new InputReference(m.Value, m.Groups[1].Value, m.Groups[2].Value.Split('.', StringSplitOptions.RemoveEmptyEntries)));

    public static IEnumerable<string> FindMalformed(JsonNode? node) =>
        Strings(node).Where(text => IsReference(text) && !Pattern.IsMatch(text));

    /// <summary>A deep copy of <paramref name="node"/> with every reference replaced by its value.</summary>
    public static JsonNode? Resolve(JsonNode? node, Func<InputReference, JsonNode?> lookup) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Resolve(p.Value, lookup)))),
        JsonArray array => new JsonArray(array.Select(item => Resolve(item, lookup)).ToArray()),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>() switch
        {
            var text when text.StartsWith("==", StringComparison.Ordinal) => JsonValue.Create(text[1..]),
            var text when IsReference(text) => lookup(FindAll(value).Single())?.DeepClone(),
            _ => value.DeepClone(),
        },
        _ => node?.DeepClone(),
    };

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Strings(p.Value)),
        JsonArray array => array.SelectMany(Strings),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => [value.GetValue<string>()],
        _ => [],
    };
}

/// <summary>Fluent construction of workflows in code (the built-in training, inference and monitoring workflows).</summary>
public sealed class WorkflowBuilder(string id)
{
    private readonly List<StepDefinition> _steps = [];

    public WorkflowBuilder Step(string stepId, string activityType, Action<StepBuilder>? configure = null)
    {
        var builder = new StepBuilder(stepId, activityType);
        configure?.Invoke(builder);
        _steps.Add(builder.Build());
        return this;
    }

    /// <summary>The definition, checked for structure (and activity types, when a registry is given).</summary>
    public WorkflowDefinition Build(ActivityRegistry? registry = null) => new WorkflowDefinition { Id = id, Steps = _steps.ToList() }.Validate(registry);
}

public sealed class StepBuilder
{
    private readonly Dictionary<string, JsonNode?> _inputs = new(StringComparer.Ordinal);
    private readonly List<string> _dependsOn = [];
    private StepDefinition _step;

    internal StepBuilder(string id, string activityType)
    {
        _step = new StepDefinition { Id = id, ActivityType = activityType };
    }

    /// <summary>Sets an input: a literal (serialised to JSON) or a reference string such as <c>"=train.modelPath"</c>.</summary>
    public StepBuilder Input<T>(string name, T value)
    {
        _inputs[name] = value as JsonNode ?? JsonSerializer.SerializeToNode(value);
        return this;
    }

    public StepBuilder DependsOn(params string[] stepIds)
    {
        _dependsOn.AddRange(stepIds);
        return this;
    }

    public StepBuilder Retry(int maxAttempts, TimeSpan baseDelay, TimeSpan? maxDelay = null, bool jitter = true)
    {
        _step = _step with { Retry = new RetryPolicy { MaxAttempts = maxAttempts, BaseDelay = baseDelay, MaxDelay = maxDelay ?? (baseDelay > TimeSpan.FromMinutes(1) ? baseDelay : TimeSpan.FromMinutes(1)), Jitter = jitter } };
        return this;
    }

    public StepBuilder Timeout(TimeSpan perAttempt)
    {
        _step = _step with { Timeout = perAttempt };
        return this;
    }

    public StepBuilder ContinueOnError(bool value = true)
    {
        _step = _step with { ContinueOnError = value };
        return this;
    }

    internal StepDefinition Build() => _step with { Inputs = new Dictionary<string, JsonNode?>(_inputs), DependsOn = _dependsOn.ToList() };
}
