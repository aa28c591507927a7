using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// What a worker reads a run from: a repository checkout (specs, data), its specs' content hash, and the
/// caches it keeps between runs (dataset content versions; feature sets computed once and shared by every
/// run of the same process).
/// </summary>
public sealed class RunWorkspace
{
    private RunWorkspace(string root, string registryPath, SpecSet specs, ContentVersionCache versions)
    {
        RepositoryRoot = root;
        RegistryPath = registryPath;
        Specs = specs;
        SpecsHash = "sha256:" + Planner.SpecsHash(specs);
        Versions = versions;
    }

    public string RepositoryRoot { get; }

    /// <summary>The registry folder, relative to the repository (<c>models</c>).</summary>
    public string RegistryPath { get; }

    public SpecSet Specs { get; }

    /// <summary><c>sha256:&lt;hash&gt;</c> of the specs, as a request names them.</summary>
    public string SpecsHash { get; }

    public ContentVersionCache Versions { get; }

    public FeatureFrameCache Features { get; } = new();

    public string WorkFolder => SpecBindings.WorkFolder(RepositoryRoot);

    /// <summary>A workspace over a repository checkout; specs with lint errors are refused.</summary>
    public static RunWorkspace Open(string repositoryRoot) => From(ReconcileSession.Open(repositoryRoot));

    /// <summary>The workspace of a session already open (in-process runs share its specs and caches).</summary>
    public static RunWorkspace From(ReconcileSession session)
    {
        session.EnsureValid();
        return new RunWorkspace(session.RepositoryRoot, session.RegistryPath, session.Specs, session.VersionCache);
    }

    public string DatasetVersion(string name) => Versions.VersionOf(SpecBindings.Dataset(Specs, name), RepositoryRoot);

    public IArtifactStore OpenArtifacts(string address) =>
        ArtifactStoreAddress.Open(address, RepositoryRoot, Specs.ProjectSettings.ArtifactStore?.MaxArtifactBytes ?? RepositoryArtifactStore.DefaultMaxBytes);

    /// <summary>What differs between the request and this workspace, or null when the run may go ahead.</summary>
    public string? Mismatch(RunRequest request)
    {
        if (request.Format != RunRequest.FormatVersion)
        {
            return $"request format {request.Format} is not {RunRequest.FormatVersion}; start the run with the same optaic";
        }
        if (request.Specs.StartsWith("sha256:", StringComparison.Ordinal))
        {
            if (request.Specs != SpecsHash)
            {
                return $"specs: the request was planned on {Short(request.Specs)}, this checkout has {Short(SpecsHash)}";
            }
        }
        else if (HeadCommit() is var head && head != request.Specs)
        {
            return $"specs: the request names commit {Short(request.Specs)}, this checkout is at {(head is null ? "no commit" : Short(head))}";
        }
        foreach (var (dataset, version) in request.Datasets.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (!Specs.Datasets.ContainsKey(dataset))
            {
                return $"dataset {dataset}: not declared in this checkout's specs";
            }
            var here = DatasetVersion(dataset);
            if (here != version)
            {
                return $"dataset {dataset}: the request reads content version {Short(version)}, this checkout has {Short(here)}";
            }
        }
        return null;
    }

    private string? HeadCommit()
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

    private static string Short(string value) => value.Length <= 19 ? value : value[..19] + "…";
}
