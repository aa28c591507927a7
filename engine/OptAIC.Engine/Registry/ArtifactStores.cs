using System.Globalization;
using System.Security.Cryptography;

namespace OptAIC.Engine.Registry;

public enum ArtifactState
{
    Present,
    Missing,
    HashMismatch,
}

/// <summary>Content-addressed storage of model artifacts: <c>sha256/&lt;aa&gt;/&lt;hash&gt;.&lt;ext&gt;</c> under the store's root.</summary>
public interface IArtifactStore
{
    /// <summary>
    /// Stores the content under its sha256 and verifies it by reading it back. Idempotent: an artifact with
    /// the same hash already stored intact is left as it is.
    /// </summary>
    /// <param name="content">The artifact's bytes.</param>
    /// <param name="extension">File extension without the dot (<c>zip</c>, <c>onnx</c>), or empty.</param>
    /// <param name="mediaType">e.g. <c>application/zip</c>.</param>
    ArtifactRef Put(byte[] content, string extension, string mediaType);

    /// <summary>Reads the artifact, checking its hash; throws <see cref="ArtifactIntegrityException"/> if missing or altered.</summary>
    byte[] Get(ArtifactRef artifact);

    /// <summary>Whether the artifact is stored, and when <paramref name="verifyHash"/> whether it is intact.</summary>
    ArtifactState Check(ArtifactRef artifact, bool verifyHash);
}

/// <summary>The layout and checks shared by the two stores; they differ in where the root is and how URIs look.</summary>
public abstract class ContentAddressedArtifactStore : IArtifactStore
{
    protected ContentAddressedArtifactStore(string root) => Root = Path.GetFullPath(root);

    /// <summary>The folder that holds <c>sha256/</c>.</summary>
    public string Root { get; }

    public ArtifactRef Put(byte[] content, string extension, string mediaType)
    {
        ArgumentNullException.ThrowIfNull(content);
        ValidateExtension(extension);
        CheckSize(content.LongLength);

        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var relative = $"sha256/{sha[..2]}/{sha}{(extension.Length > 0 ? "." + extension : "")}";
        var path = Path.Combine(Root, relative);
        if (HashOf(path) != sha)
        {
            Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.BetweenArtifacts, path);
            AtomicFile.Write(path, content);
            if (HashOf(path) != sha)
            {
                throw new ArtifactIntegrityException($"Artifact {path} did not read back with the sha256 it was written with; the disk or store is corrupting data.");
            }
        }

        return new ArtifactRef { Uri = UriOf(relative), Sha256 = sha, Bytes = content.LongLength, MediaType = mediaType };
    }

    public byte[] Get(ArtifactRef artifact)
    {
        var path = PathOf(artifact.Uri);
        if (!File.Exists(path))
        {
            throw new ArtifactIntegrityException($"Artifact {artifact.Uri} is missing (looked for {path}).");
        }

        var content = File.ReadAllBytes(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        if (!string.Equals(sha, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArtifactIntegrityException($"Artifact {artifact.Uri} has sha256 {sha}, but its record says {artifact.Sha256}: the file was altered or corrupted.");
        }

        return content;
    }

    public ArtifactState Check(ArtifactRef artifact, bool verifyHash) => CheckFile(PathOf(artifact.Uri), artifact.Sha256, verifyHash);

    /// <summary>Where a URI this store handed out points on disk; throws for URIs of another store.</summary>
    public abstract string PathOf(string uri);

    protected abstract string UriOf(string relativePath);

    protected virtual void CheckSize(long bytes)
    {
    }

    internal static ArtifactState CheckFile(string path, string sha256, bool verifyHash)
    {
        if (!File.Exists(path))
        {
            return ArtifactState.Missing;
        }

        return !verifyHash || string.Equals(HashOf(path), sha256, StringComparison.OrdinalIgnoreCase)
            ? ArtifactState.Present
            : ArtifactState.HashMismatch;
    }

    internal static string? HashOf(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void ValidateExtension(string extension)
    {
        foreach (var c in extension)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '.') || extension[0] == '.')
            {
                throw new ArgumentException($"Artifact extension '{extension}' must be lowercase letters, digits and inner dots (e.g. 'zip', 'tar.gz').", nameof(extension));
            }
        }
    }
}

/// <summary>
/// Artifacts kept in the Git repository under <c>&lt;registry&gt;/artifacts/</c>; records refer to them by a URI
/// relative to the registry root (<c>artifacts/sha256/ab/abcd….zip</c>). Git is a poor home for large binaries,
/// so artifacts above <see cref="MaxBytes"/> (default <see cref="DefaultMaxBytes"/>, 50 MiB) are refused.
/// </summary>
public sealed class RepositoryArtifactStore : ContentAddressedArtifactStore
{
    public const long DefaultMaxBytes = 50L * 1024 * 1024;
    public const string FolderName = "artifacts";

    public RepositoryArtifactStore(string registryRoot, long maxBytes = DefaultMaxBytes)
        : base(Path.Combine(registryRoot, FolderName))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        RegistryRoot = Path.GetFullPath(registryRoot);
        MaxBytes = maxBytes;
    }

    public string RegistryRoot { get; }
    public long MaxBytes { get; }

    public override string PathOf(string uri)
    {
        if (!IsRelativeUri(uri) || !uri.StartsWith(FolderName + "/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{uri}' is not an artifact of the repository store (artifacts/sha256/…).", nameof(uri));
        }

        return Path.Combine(RegistryRoot, uri);
    }

    protected override string UriOf(string relativePath) => $"{FolderName}/{relativePath}";

    protected override void CheckSize(long bytes)
    {
        if (bytes > MaxBytes)
        {
            var size = (bytes / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture);
            var cap = (MaxBytes / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture);
            throw new ArtifactTooLargeException(
                $"The artifact is {size} MiB, above the {cap} MiB cap for artifacts kept in the Git repository. " +
                "Configure an external artifact store (a folder outside the repository, e.g. on a shared drive) in the Project spec, or raise the cap.");
        }
    }

    internal static bool IsRelativeUri(string uri) =>
        uri.Length > 0 && !uri.Contains(':', StringComparison.Ordinal) && !uri.StartsWith('/') && !uri.Contains('\\', StringComparison.Ordinal)
        && !uri.Split('/').Any(segment => segment is ".." or "." or "");
}

/// <summary>
/// Artifacts in a folder outside the repository (e.g. a shared drive), same layout; records refer to them by
/// absolute <c>file:///</c> URIs. No size cap.
/// </summary>
public sealed class FileSystemArtifactStore(string root) : ContentAddressedArtifactStore(root)
{
    public override string PathOf(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || !parsed.IsFile)
        {
            throw new ArgumentException($"'{uri}' is not a file:// artifact URI.", nameof(uri));
        }

        return parsed.LocalPath;
    }

    protected override string UriOf(string relativePath) => new Uri(Path.Combine(Root, relativePath)).AbsoluteUri;
}
