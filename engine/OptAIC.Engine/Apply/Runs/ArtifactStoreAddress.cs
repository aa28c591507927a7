using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Apply.Runs;

/// <summary>
/// An artifact store as a run request names it: <c>repository:&lt;registry path&gt;</c> for the store kept in the
/// repository's registry folder (a worker opens it in its own checkout), or the <c>file:///</c> URI of an
/// external folder that every worker mounts.
/// </summary>
public static class ArtifactStoreAddress
{
    public const string RepositoryScheme = "repository:";

    public static string Of(IArtifactStore store, string registryPath) => store switch
    {
        FileSystemArtifactStore external => new Uri(external.Root).AbsoluteUri,
        _ => RepositoryScheme + registryPath.Trim('/'),
    };

    public static IArtifactStore Open(string address, string repositoryRoot, long maxRepositoryBytes = RepositoryArtifactStore.DefaultMaxBytes)
    {
        if (address.StartsWith(RepositoryScheme, StringComparison.Ordinal))
        {
            var registry = address[RepositoryScheme.Length..];
            if (!RepositoryArtifactStore.IsRelativeUri(registry))
            {
                throw new RunRequestException($"artifact store '{address}': the registry path must be relative to the repository");
            }
            return new RepositoryArtifactStore(Path.Combine(repositoryRoot, registry), maxRepositoryBytes);
        }
        if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.IsFile)
        {
            return new FileSystemArtifactStore(uri.LocalPath);
        }
        throw new RunRequestException($"artifact store '{address}' is neither {RepositoryScheme}<path> nor a file:/// URI");
    }
}

/// <summary>A run request cannot be carried out as written (unknown activity, unreadable address, a mismatch).</summary>
public sealed class RunRequestException(string message) : Exception(message);
