using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using OptAIC.Engine.Workflows;
using Polly;

namespace OptAIC.Benchmarks;

/// <summary>
/// The executor's own cost on a 50-step DAG (5 layers of 10 steps, each depending on the whole layer
/// before) of no-op activities: against the same activities awaited layer by layer, against the same
/// with each step inside a Polly retry + timeout pipeline, and in full (journal fsynced per event).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10, invocationCount: 8)]
public class WorkflowBenchmarks
{
    private const int Layers = 5;
    private const int Width = 10;
    private readonly ActivityRegistry _registry = new ActivityRegistry()
        .Register("Noop", (_, _) => Task.FromResult(new ActivityOutput().Set("ok", true)));

    private string _workRoot = "";
    private string _memoryRoot = "";
    private WorkflowDefinition _workflow = null!;
    private int _run;

    [GlobalSetup]
    public void Setup()
    {
        _workRoot = Directory.CreateTempSubdirectory("optaic-wf-bench-").FullName;
        // On tmpfs fsync costs next to nothing, which isolates the executor's own CPU cost.
        _memoryRoot = Directory.Exists("/dev/shm") ? Directory.CreateDirectory($"/dev/shm/optaic-wf-bench-{Guid.NewGuid():N}").FullName : _workRoot;
        var builder = new WorkflowBuilder("bench");
        for (var layer = 0; layer < Layers; layer++)
        {
            for (var i = 0; i < Width; i++)
            {
                var previous = layer == 0 ? [] : Enumerable.Range(0, Width).Select(j => $"s{layer - 1}-{j}").ToArray();
                builder.Step($"s{layer}-{i}", "Noop", s => s.DependsOn(previous).Retry(3, TimeSpan.FromMilliseconds(1)).Timeout(TimeSpan.FromSeconds(30)));
            }
        }

        _workflow = builder.Build(_registry);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Directory.Delete(_workRoot, recursive: true);
        if (Directory.Exists(_memoryRoot))
        {
            Directory.Delete(_memoryRoot, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "bare: await activities layer by layer")]
    public async Task Bare()
    {
        foreach (var layer in _workflow.Steps.Chunk(Width))
        {
            await Task.WhenAll(layer.Select(step => _registry.Create(step.ActivityType).ExecuteAsync(null!, CancellationToken.None)));
        }
    }

    [Benchmark(Description = "Polly retry+timeout per step, no journal")]
    public async Task PollyOnly()
    {
        var pipeline = new ResiliencePipelineBuilder<ActivityOutput>()
            .AddRetry(new() { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(1), BackoffType = DelayBackoffType.Exponential, UseJitter = true })
            .AddTimeout(TimeSpan.FromSeconds(30))
            .Build();
        foreach (var layer in _workflow.Steps.Chunk(Width))
        {
            await Task.WhenAll(layer.Select(step => pipeline.ExecuteAsync(
                async ct => await _registry.Create(step.ActivityType).ExecuteAsync(null!, ct), CancellationToken.None).AsTask()));
        }
    }

    [Benchmark(Description = "WorkflowExecutor, journal on disk (fsync per event)")]
    public Task Executor() => RunAsync(_workRoot);

    [Benchmark(Description = "WorkflowExecutor, journal on tmpfs")]
    public Task ExecutorInMemory() => RunAsync(_memoryRoot);

    private async Task RunAsync(string workRoot)
    {
        var request = new WorkflowRunRequest { RunId = $"run-{++_run}", WorkflowId = "bench", CommitSha = "0", WorkRoot = workRoot };
        var summary = await new WorkflowExecutor(_registry, new() { MaxDegreeOfParallelism = Width }).RunAsync(_workflow, request);
        if (summary.Status != RunStatus.Succeeded)
        {
            throw new InvalidOperationException(summary.Error);
        }
    }
}
