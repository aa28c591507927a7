using System.IO.Enumeration;

namespace OptAIC.Engine.Data;

/// <summary>A file of a dataset: its real full path and its path relative to the repository root.</summary>
internal readonly record struct DatasetFile(string FullPath, string RelativePath);

/// <summary>
/// Resolves a dataset's path or glob to files inside the repository root. Nothing outside the root
/// is ever returned: '..' escapes, absolute paths elsewhere and symlinks that lead out are refused.
/// </summary>
internal static class DatasetFiles
{
    private const int MaxLinkHops = 40;

    public static IReadOnlyList<DatasetFile> Resolve(DatasetDescriptor dataset, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrEmpty(repositoryRoot);
        var location = new DatasetLocation(dataset.Name);
        if (string.IsNullOrWhiteSpace(dataset.Path))
        {
            throw DatasetException.At(location, "the dataset has no path", "Set spec.path to a file or glob relative to the repository root");
        }
        if (!Directory.Exists(repositoryRoot))
        {
            throw DatasetException.At(location, $"the repository root '{repositoryRoot}' does not exist", "Run the command from inside the repository or pass its root");
        }

        var lexicalRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(repositoryRoot));
        var realRoot = RealPath(lexicalRoot);
        var pattern = dataset.Path.Replace('\\', '/');
        var full = Path.GetFullPath(Path.Combine(lexicalRoot, pattern));
        if (!IsUnder(full, lexicalRoot))
        {
            throw DatasetException.At(
                location with { Value = DatasetException.Truncate(dataset.Path) },
                "the path leaves the repository root",
                "Use a path relative to the repository root without '..' escapes; datasets must live inside the repository");
        }

        var relative = Path.GetRelativePath(lexicalRoot, full).Replace('\\', '/');
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var files = new List<DatasetFile>();
        if (!segments.Any(HasWildcard))
        {
            if (!File.Exists(full))
            {
                var problem = Directory.Exists(full) ? $"'{relative}' is a folder, not a file" : $"file '{relative}' not found";
                throw DatasetException.At(location, problem, "Check spec.path (relative to the repository root), or use a glob such as 'data/part-*.parquet'");
            }
            files.Add(Checked(location, realRoot, full, relative));
            return files;
        }

        var literal = segments.TakeWhile(s => !HasWildcard(s)).ToArray();
        var baseDir = literal.Length == 0 ? lexicalRoot : Path.Combine([lexicalRoot, .. literal]);
        if (Directory.Exists(baseDir))
        {
            var visited = new HashSet<string>(StringComparer.Ordinal);
            Walk(baseDir, string.Join('/', literal), segments, literal.Length, files, visited, location, realRoot);
        }
        if (files.Count == 0)
        {
            throw DatasetException.At(
                location with { Value = DatasetException.Truncate(dataset.Path) },
                "no file matches the path",
                "Check spec.path (relative to the repository root) and that the data files are present");
        }
        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

    private static void Walk(
        string dir,
        string relDir,
        string[] segments,
        int index,
        List<DatasetFile> files,
        HashSet<string> visited,
        DatasetLocation location,
        string realRoot)
    {
        var segment = segments[index];
        var last = index == segments.Length - 1;
        if (segment == "**")
        {
            // '**' matches zero or more folders; a symlinked folder is entered once (loops end there).
            if (!visited.Add(RealPath(dir) + "|" + index))
            {
                return;
            }
            if (last)
            {
                AddFiles(dir, relDir, "*", files, location, realRoot);
            }
            else
            {
                Walk(dir, relDir, segments, index + 1, files, visited, location, realRoot);
            }
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(sub);
                if (!name.StartsWith('.'))
                {
                    Walk(sub, Join(relDir, name), segments, index, files, visited, location, realRoot);
                }
            }
            return;
        }
        if (last)
        {
            AddFiles(dir, relDir, segment, files, location, realRoot);
            return;
        }
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(sub);
            if (Matches(segment, name))
            {
                Walk(sub, Join(relDir, name), segments, index + 1, files, visited, location, realRoot);
            }
        }
    }

    private static void AddFiles(string dir, string relDir, string segment, List<DatasetFile> files, DatasetLocation location, string realRoot)
    {
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(file);
            if (Matches(segment, name))
            {
                files.Add(Checked(location, realRoot, file, Join(relDir, name)));
            }
        }
    }

    // Like a shell, '*' does not match names starting with '.' unless the pattern does.
    private static bool Matches(string segment, string name) =>
        (!name.StartsWith('.') || segment.StartsWith('.'))
        && FileSystemName.MatchesSimpleExpression(segment, name, ignoreCase: false);

    private static DatasetFile Checked(DatasetLocation location, string realRoot, string full, string relative)
    {
        var real = RealPath(full);
        if (!IsUnder(real, realRoot))
        {
            throw DatasetException.At(
                location with { File = relative },
                "the file is a symbolic link (or lies under one) that leads outside the repository root",
                "Copy the data into the repository, or point spec.path at files inside it");
        }
        return new DatasetFile(real, relative);
    }

    private static string Join(string relDir, string name) => relDir.Length == 0 ? name : relDir + "/" + name;

    private static bool HasWildcard(string segment) => segment.AsSpan().IndexOfAny('*', '?') >= 0;

    private static bool IsUnder(string path, string root)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (string.Equals(path, root, comparison))
        {
            return true;
        }
        var withSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(withSeparator, comparison);
    }

    /// <summary>The path with every symbolic link along it resolved, as realpath(3) does.</summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "/";
        var pending = new Stack<string>(Components(full[root.Length..]).Reverse());
        var current = root;
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++hops > MaxLinkHops)
            {
                throw new IOException($"too many levels of symbolic links at '{next}'");
            }
            if (Path.IsPathRooted(target))
            {
                var targetRoot = Path.GetPathRoot(target) ?? root;
                current = targetRoot;
                target = target[targetRoot.Length..];
            }
            foreach (var c in Components(target).Reverse())
            {
                pending.Push(c);
            }
        }
        return current;
    }

    private static string[] Components(string path) =>
        path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries);
}
