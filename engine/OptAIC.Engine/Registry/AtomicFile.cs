namespace OptAIC.Engine.Registry;

/// <summary>
/// Writes files so that a kill at any moment leaves either the old file or the new one, never half of one:
/// the content goes to a temporary file in the same directory, is flushed to disk, and is then renamed over
/// the final name. A leftover temporary file (<c>.&lt;name&gt;.&lt;random&gt;.optaic-tmp</c>) means a write was
/// interrupted; <see cref="RegistryStore.Verify"/> reports them and <see cref="RegistryStore.CleanInterruptedWrites"/>
/// removes them. The directory entry itself is not fsynced (.NET has no API for it).
/// </summary>
public static class AtomicFile
{
    public const string TempSuffix = ".optaic-tmp";

    /// <summary>Writes (replacing any existing file) atomically.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = WriteTemp(path, content);
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates the file atomically only if nothing exists under that name: the rename does not replace an
    /// existing file (on Unix .NET links the temp file to the final name, which fails if it exists), so of two
    /// processes racing for one name exactly one wins. Returns false when the name was taken.
    /// </summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content)
    {
        if (File.Exists(path))
        {
            return false;
        }

        var temp = WriteTemp(path, content);
        try
        {
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            TryDelete(temp);
            return false;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static bool IsTempFile(string path) => Path.GetFileName(path).EndsWith(TempSuffix, StringComparison.Ordinal);

    private static string WriteTemp(string path, ReadOnlySpan<byte> content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        return temp;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for Verify to report.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for Verify to report.
        }
    }
}
