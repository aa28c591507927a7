using System.Text;

namespace OptAIC.Tests.Data;

/// <summary>A throwaway repository root in the temp folder, deleted on dispose.</summary>
internal sealed class TempRepo : IDisposable
{
    public TempRepo()
    {
        Root = Path.Combine(Path.GetTempPath(), "optaic-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Writes the text exactly as given (no newline translation, no BOM unless given).</summary>
    public string Write(string relative, string content, bool bom = false)
    {
        var path = Prepare(relative);
        File.WriteAllText(path, content, new UTF8Encoding(bom));
        return path;
    }

    public string Prepare(string relative)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere; the temp folder is cleaned by the OS.
        }
    }

    /// <summary>The S&amp;P 500 file, found by walking up from the test binaries to a folder holding shared/data.</summary>
    public static string? SharedSp500()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "sp500-2000.csv");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
