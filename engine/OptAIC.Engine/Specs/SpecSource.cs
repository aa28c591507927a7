using LibGit2Sharp;

namespace OptAIC.Engine.Specs;

/// <summary>A spec file as a source offers it: a repository-relative path, its size, and its bytes on demand.</summary>
/// <summary>
/// A spec file as a source offers it: a repository-relative path, its size, and its bytes on demand.
/// <paramref name="Link"/> is set for a symbolic link, which is reported and never read: Git stores a
/// link as the path it points to, so a reviewer and CI would not see the spec that the link shows.
/// </summary>
public sealed record SpecFile(string Path, long Size, Func<byte[]> Read, string? Link = null);

/// <summary>Where specs are read from: the working tree, or a commit of the repository's object database.</summary>
public interface ISpecSource
{
    /// <summary>What the findings are about, for messages: "working tree" or "commit 1a2b3c4".</summary>
    string Description { get; }

    string RepositoryRoot { get; }

    /// <summary>The YAML files (.yaml, .yml) under the given repository-relative paths, sorted by path.</summary>
    IReadOnlyList<SpecFile> Files();

    /// <summary>Whether a repository-relative file exists in this source (for dataset paths and templates).</summary>
    bool Exists(string relativePath);

    /// <summary>A repository-relative file's bytes (an ONNX model lint opens), or null when it does not exist.</summary>
    byte[]? ReadBytes(string relativePath);
}

public static class SpecPaths
{
    /// <summary>
    /// The repository-relative form of <paramref name="path"/> with forward slashes, or null when it
    /// leaves the repository (an absolute path elsewhere, or '..' past the root).
    /// </summary>
    public static string? RelativeInside(string repositoryRoot, string path)
    {
        var root = Path.GetFullPath(repositoryRoot);
        var full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(root, path));
        var relative = Path.GetRelativePath(root, full);
        if (relative == ".")
        {
            return "";
        }
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }
        return relative.Replace('\\', '/');
    }

    public static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Specs in the working tree; symbolic links are listed (and reported by the loader), never followed.</summary>
public sealed class DirectorySpecSource : ISpecSource
{
    private readonly IReadOnlyList<string> _paths;

    public DirectorySpecSource(string repositoryRoot, IReadOnlyList<string> paths)
    {
        RepositoryRoot = Path.GetFullPath(repositoryRoot);
        _paths = paths;
    }

    public string Description => "working tree";

    public string RepositoryRoot { get; }

    public IReadOnlyList<SpecFile> Files()
    {
        var files = new SortedDictionary<string, SpecFile>(StringComparer.Ordinal);
        foreach (var path in _paths)
        {
            var full = Path.GetFullPath(Path.Combine(RepositoryRoot, path));
            if (File.Exists(full))
            {
                Add(full, files);
            }
            else if (Directory.Exists(full))
            {
                Walk(new DirectoryInfo(full), files);
            }
            else
            {
                throw new SpecSourceException($"{path}: no such file or folder");
            }
        }
        return [.. files.Values];
    }

    public bool Exists(string relativePath) => File.Exists(Path.Combine(RepositoryRoot, relativePath));

    /// <summary>YAML files under a folder, not following links (a linked file or folder is listed as a link, never read).</summary>
    private void Walk(DirectoryInfo folder, SortedDictionary<string, SpecFile> files)
    {
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        foreach (var entry in folder.EnumerateFileSystemInfos("*", options))
        {
            if (entry.Name.StartsWith('.'))
            {
                continue;
            }
            var isLink = entry.LinkTarget is not null;
            if (entry is DirectoryInfo directory)
            {
                if (isLink)
                {
                    AddLink(entry, files);
                }
                else
                {
                    Walk(directory, files);
                }
            }
            else if (SpecPaths.IsYaml(entry.Name))
            {
                if (isLink)
                {
                    AddLink(entry, files);
                }
                else
                {
                    Add(entry.FullName, files);
                }
            }
        }
    }

    private void AddLink(FileSystemInfo entry, SortedDictionary<string, SpecFile> files)
    {
        var relative = SpecPaths.RelativeInside(RepositoryRoot, entry.FullName) ?? entry.FullName;
        files[relative] = new SpecFile(relative, 0, () => [], entry.LinkTarget);
    }

    public byte[]? ReadBytes(string relativePath)
    {
        var path = Path.Combine(RepositoryRoot, relativePath);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    private void Add(string full, SortedDictionary<string, SpecFile> files)
    {
        var relative = SpecPaths.RelativeInside(RepositoryRoot, full)
            ?? throw new SpecSourceException($"{full}: outside the repository {RepositoryRoot}; lint only reads files inside it");
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            AddLink(info, files);
            return;
        }
        files[relative] = new SpecFile(relative, info.Length, () => File.ReadAllBytes(full));
    }
}

/// <summary>Specs as they are in a commit, read from the Git object database without a checkout.</summary>
public sealed class GitRevisionSpecSource : ISpecSource, IDisposable
{
    private readonly Repository _repository;
    private readonly Commit _commit;
    private readonly IReadOnlyList<string> _paths;

    public GitRevisionSpecSource(string repositoryRoot, string revision, IReadOnlyList<string> paths)
    {
        RepositoryRoot = Path.GetFullPath(repositoryRoot);
        _paths = paths;
        try
        {
            _repository = new Repository(RepositoryRoot);
        }
        catch (RepositoryNotFoundException)
        {
            throw new SpecSourceException($"{RepositoryRoot} is not a Git repository; --rev needs one");
        }
        _commit = _repository.Lookup<Commit>(revision)
            ?? throw new SpecSourceException($"--rev {revision}: no such commit in {RepositoryRoot} (try a branch, tag or SHA that 'git log' shows)");
        Description = $"commit {_commit.Sha[..7]}";
    }

    public string Description { get; }

    public string RepositoryRoot { get; }

    public IReadOnlyList<SpecFile> Files()
    {
        var files = new SortedDictionary<string, SpecFile>(StringComparer.Ordinal);
        foreach (var path in _paths)
        {
            var relative = SpecPaths.RelativeInside(RepositoryRoot, path)
                ?? throw new SpecSourceException($"{path}: outside the repository");
            if (relative.Length == 0)
            {
                Walk(_commit.Tree, "", files);
                continue;
            }
            var entry = _commit[relative]
                ?? throw new SpecSourceException($"{relative}: not in {Description}");
            switch (entry.Target)
            {
                case Tree tree:
                    Walk(tree, relative + "/", files);
                    break;
                case Blob blob:
                    files[relative] = Read(relative, blob);
                    break;
            }
        }
        return [.. files.Values];
    }

    public bool Exists(string relativePath) => _commit[relativePath] is not null;

    public byte[]? ReadBytes(string relativePath)
    {
        if (_commit[relativePath]?.Target is not Blob blob)
        {
            return null;
        }
        using var stream = blob.GetContentStream();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public void Dispose() => _repository.Dispose();

    private static void Walk(Tree tree, string prefix, SortedDictionary<string, SpecFile> files)
    {
        foreach (var entry in tree)
        {
            var path = prefix + entry.Name;
            if (entry.TargetType == TreeEntryTargetType.Tree)
            {
                if (!entry.Name.StartsWith('.'))
                {
                    Walk((Tree)entry.Target, path + "/", files);
                }
            }
            else if (entry.TargetType == TreeEntryTargetType.Blob && entry.Mode == Mode.SymbolicLink && SpecPaths.IsYaml(path))
            {
                files[path] = new SpecFile(path, 0, () => [], ((Blob)entry.Target).GetContentText());
            }
            else if (entry.TargetType == TreeEntryTargetType.Blob && SpecPaths.IsYaml(path))
            {
                files[path] = Read(path, (Blob)entry.Target);
            }
        }
    }

    private static SpecFile Read(string path, Blob blob) => new(path, blob.Size, () =>
    {
        using var stream = blob.GetContentStream();
        using var buffer = new MemoryStream((int)Math.Min(blob.Size, int.MaxValue));
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });
}

/// <summary>The specs could not be read at all (a usage problem, exit code 2), as opposed to findings in them.</summary>
public sealed class SpecSourceException(string message) : Exception(message);
