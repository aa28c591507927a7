namespace OptAIC.Tests.Support;

/// <summary>Locations the tests read: the repository's own example and the shared real data.</summary>
public static class TestPaths
{
    /// <summary>The OptAIC repository root (the folder with OptAIC.sln), found from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindUp(AppContext.BaseDirectory, "OptAIC.sln")
        ?? throw new InvalidOperationException("tests must run inside the OptAIC repository");

    public static string ExampleSpecs => Path.Combine(RepositoryRoot, "specs");

    /// <summary>The real S&amp;P 500 daily file, as copied into the example repository.</summary>
    public static string Sp500Csv => Path.Combine(RepositoryRoot, "specs", "data", "sp500-2000.csv");

    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private static string? FindUp(string start, string marker)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, marker)))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}

/// <summary>A temporary folder removed when the test ends.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "optaic-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public string Write(string relative, string content)
    {
        var full = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return full;
    }

    /// <summary>Copies a folder into this one (for a working copy of the example specs).</summary>
    public void CopyFrom(string source, string relativeTarget)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = File(System.IO.Path.Combine(relativeTarget, System.IO.Path.GetRelativePath(source, file)));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            System.IO.File.Copy(file, target);
        }
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
                {
                    System.IO.File.SetAttributes(file, FileAttributes.Normal); // Git marks objects read-only
                }
                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }
}
