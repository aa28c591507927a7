using System.Reflection;
using OptAIC.Engine.Data;
using OptAIC.Engine.Lint;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Plan;

/// <summary>
/// Everything one reconcile reads, loaded once: the repository, its specs (linted: a plan is never made
/// from specs with errors), the registry store with its artifact store, and the data's content versions.
/// plan and apply are two walks over what it holds.
/// </summary>
public sealed class ReconcileSession
{
    private ReconcileSession(string root, SpecSet specs, LintReport lint, RegistryStore registry, ContentVersionCache cache, string registryPath)
    {
        RepositoryRoot = root;
        Specs = specs;
        Lint = lint;
        Registry = registry;
        VersionCache = cache;
        RegistryPath = registryPath;
    }

    public string RepositoryRoot { get; }

    public SpecSet Specs { get; }

    public LintReport Lint { get; }

    public RegistryStore Registry { get; }

    public ContentVersionCache VersionCache { get; }

    /// <summary>The registry folder, relative to the repository root (models by default).</summary>
    public string RegistryPath { get; }

    public string WorkFolder => SpecBindings.WorkFolder(RepositoryRoot);

    public static string EngineVersion { get; } =
        typeof(ReconcileSession).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>"Microsoft.ML 5.0.1": the package's version (its informational version; the assembly version stays 1.0.0).</summary>
    public static string TrainerVersion { get; } =
        "Microsoft.ML " + (typeof(Microsoft.ML.MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? typeof(Microsoft.ML.MLContext).Assembly.GetName().Version?.ToString(3) ?? "?");

    /// <summary>Loads a repository's specs and registry; lint errors in the specs make <see cref="Lint"/> carry them.</summary>
    public static ReconcileSession Open(string repositoryRoot, string specsPath = "specs") =>
        Open(repositoryRoot, new DirectorySpecSource(Path.GetFullPath(repositoryRoot), [specsPath]));

    /// <summary>Specs from any source (a pull request's head commit), with the registry and data of the working tree.</summary>
    public static ReconcileSession Open(string repositoryRoot, ISpecSource source)
    {
        var root = Path.GetFullPath(repositoryRoot);
        var (lint, specs) = Linter.Analyze(source);

        var project = specs.ProjectSettings;
        var registryPath = project.RegistryPath ?? RegistryStore.DefaultPath;
        var registryRoot = Path.Combine(root, registryPath);
        IArtifactStore artifacts = project.ArtifactStore?.Type == "filesystem" && project.ArtifactStore.Path is { } external
            ? new FileSystemArtifactStore(Path.GetFullPath(Path.Combine(root, external)))
            : new RepositoryArtifactStore(registryRoot, project.ArtifactStore?.MaxArtifactBytes ?? RepositoryArtifactStore.DefaultMaxBytes);
        var registry = new RegistryStore(registryRoot, artifacts);
        var cache = new ContentVersionCache(Path.Combine(SpecBindings.WorkFolder(root), "cache", "content-versions.json"));
        if (lint.Errors == 0)
        {
            // What the data itself says (parse, repeated times, frequency) is a plan error, never a failed apply.
            var facts = new DatasetFactsCache(Path.Combine(SpecBindings.WorkFolder(root), "cache", "dataset-facts.json"));
            var data = Engine.Lint.Checks.DataChecks.Run(specs, root, name => SpecBindings.Dataset(specs, name), d => cache.VersionOf(d, root), facts);
            if (data.Count > 0)
            {
                lint = lint with { Findings = [.. lint.Findings, .. data] };
            }
        }
        return new ReconcileSession(root, specs, lint, registry, cache, registryPath);
    }

    /// <summary>Specs with errors cannot be planned: the findings say what to fix.</summary>
    public void EnsureValid()
    {
        if (Lint.Errors > 0)
        {
            throw new InvalidSpecsException(Lint);
        }
    }

    public PlanningContext PlanningContext(DateTimeOffset? now = null) => new(
        SpecBindings.DatasetVersions(Specs, RepositoryRoot, VersionCache),
        EngineVersion,
        TrainerVersion,
        now ?? DateTimeOffset.UtcNow)
    {
        ImportedFiles = SpecBindings.ImportedFiles(Specs, RepositoryRoot),
        WindowVersion = WindowVersionOf,
    };

    private WindowVersionCache? _windows;

    private string? WindowVersionOf(string dataset, DateTime end)
    {
        _windows ??= new WindowVersionCache(Path.Combine(WorkFolder, "cache", "window-versions.json"));
        var descriptor = SpecBindings.Dataset(Specs, dataset);
        return _windows.Get(descriptor, VersionCache.VersionOf(descriptor, RepositoryRoot), end, RepositoryRoot);
    }

    public RegistrySnapshot Snapshot() =>
        RegistryReader.Read(Registry, HeadCommit(), Path.Combine(WorkFolder, "cache", "registry-snapshot.json"));

    /// <summary>The cheap integrity check (files changed or deleted since the last commit, a torn commit): plan, apply and status refuse a registry that fails it.</summary>
    public void EnsureRegistryIntact() => RegistryIntegrityException.ThrowIfBroken(RegistryCheck.Quick(Registry, RepositoryRoot));

    public ActionPlan Plan(DateTimeOffset? now = null)
    {
        EnsureValid();
        EnsureRegistryIntact();
        return Planner.Plan(Specs, Snapshot(), PlanningContext(now));
    }

    public string? HeadCommit()
    {
        try
        {
            using var git = GitRepository.Open(RepositoryRoot);
            return git.HeadCommit;
        }
        catch (GitRepositoryException)
        {
            return null;
        }
    }
}

/// <summary>The specs have lint errors; plan and apply refuse to run on them.</summary>
public sealed class InvalidSpecsException(LintReport report)
    : Exception($"the specs have {report.Errors} error(s); run 'optaic lint' and fix them first")
{
    public LintReport Report { get; } = report;
}
