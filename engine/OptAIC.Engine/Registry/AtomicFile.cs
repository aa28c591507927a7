using System.Runtime.InteropServices;

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
        catch (Exception e) when (RegistryWriteException.IsEnvironmental(e))
        {
            TryDelete(temp);
            throw RegistryWriteException.For(path, e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates the file atomically only if nothing exists under that name, so of two processes racing for one
    /// name exactly one wins; returns false when the name was taken. The complete content appears at once: on
    /// Unix the temporary file is hard-linked to the final name (link(2) fails if the name exists; .NET's
    /// File.Move without overwrite checks and then renames, which two processes can both pass); on Windows
    /// MoveFileEx without replace does the same. Where hard links are not supported the file is created
    /// exclusively (O_EXCL) and then filled: still exclusive, but a kill could leave it partly written.
    /// </summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content)
    {
        if (File.Exists(path))
        {
            return false;
        }

        if (!OperatingSystem.IsWindows())
        {
            return TryCreateByLink(path, content);
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

    private static bool TryCreateByLink(string path, ReadOnlySpan<byte> content)
    {
        var temp = WriteTemp(path, content);
        try
        {
            switch (UnixLink.TryLink(temp, path))
            {
                case UnixLink.Result.Linked:
                    return true;
                case UnixLink.Result.Exists:
                    return false;
            }
        }
        finally
        {
            TryDelete(temp);
        }

        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    private static string WriteTemp(string path, ReadOnlySpan<byte> content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            Directory.CreateDirectory(directory);
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (RegistryWriteException.IsEnvironmental(e))
        {
            TryDelete(temp);
            throw RegistryWriteException.For(path, e);
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

/// <summary>link(2) from the C library, for a rename that never replaces an existing file.</summary>
internal static class UnixLink
{
    private const int EEXIST = 17; // Linux, macOS and the BSDs agree.

    public enum Result
    {
        Linked,
        Exists,
        Unsupported,
    }

    public static Result TryLink(string existing, string newPath)
    {
        try
        {
            if (Link(existing, newPath) == 0)
            {
                return Result.Linked;
            }

            return Marshal.GetLastPInvokeError() == EEXIST ? Result.Exists : Result.Unsupported;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return Result.Unsupported;
        }
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}
