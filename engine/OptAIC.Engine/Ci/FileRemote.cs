using LibGit2Sharp;

namespace OptAIC.Engine.Ci;

/// <summary>
/// Ref updates on a remote that is a folder on this machine (a bare repository on disk or a shared
/// drive), done the way a Git server does them: under Git's lock file for the ref (refs/NAME.lock,
/// created exclusively, which git and libgit2 also honour), compare the ref with what is expected and
/// only then write it. libgit2's file transport does not: it checks whether a ref exists before it
/// takes the lock and overwrites existing refs unconditionally, so two pushes racing can both
/// "succeed" and one commit is lost. The objects still travel by a normal push to a scratch ref.
/// </summary>
internal static class FileRemote
{
    /// <summary>The Git folder of <paramref name="url"/> when it names a repository on this machine, else null (a network remote).</summary>
    public static string? GitFolder(string url)
    {
        string path;
        if (url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.LocalPath : url["file://".Length..];
        }
        else if (url.Contains("://", StringComparison.Ordinal) || IsScpLike(url))
        {
            return null;
        }
        else
        {
            path = url;
        }
        if (!Directory.Exists(path))
        {
            return null;
        }
        if (File.Exists(Path.Combine(path, "HEAD")) && Directory.Exists(Path.Combine(path, "refs")))
        {
            return Path.GetFullPath(path);
        }
        var dotGit = Path.Combine(path, ".git");
        return Directory.Exists(dotGit) ? Path.GetFullPath(dotGit) : null;
    }

    /// <summary>
    /// Sets <paramref name="refName"/> to <paramref name="newSha"/> (null: deletes it). Without force the
    /// update must be a fast-forward (or a creation); with <paramref name="expectedOld"/> the ref must
    /// hold exactly that. Null when done, else why not.
    /// </summary>
    public static string? Update(string gitFolder, string refName, string? newSha, bool force, string? expectedOld = null, bool checkExpected = false)
    {
        var refPath = Path.Combine(gitFolder, refName.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        var lockPath = refPath + ".lock";
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (IOException e) when (IsAlreadyExists(e, lockPath))
        {
            return $"{refName} is being updated by someone else ({Path.GetFileName(lockPath)} exists)";
        }
        var renamed = false;
        try
        {
            var current = Read(gitFolder, refPath, refName);
            if (checkExpected && current != expectedOld)
            {
                return $"{refName} changed: it is at {Short(current)}, expected {Short(expectedOld)}";
            }
            if (!force && current is not null && newSha is not null && current != newSha && !IsAncestor(gitFolder, current, newSha))
            {
                return $"non-fast-forward: {refName} is at {Short(current)}, which {Short(newSha)} does not contain; fetch first";
            }
            if (newSha is null)
            {
                if (current is null)
                {
                    return null;
                }
                File.Delete(refPath);
                RemovePacked(gitFolder, refName);
                return null;
            }
            lockFile.Write(System.Text.Encoding.ASCII.GetBytes(newSha + "\n"));
            lockFile.Flush(flushToDisk: true);
            lockFile.Dispose();
            File.Move(lockPath, refPath, overwrite: true);
            renamed = true;
            return null;
        }
        finally
        {
            lockFile.Dispose();
            if (!renamed)
            {
                File.Delete(lockPath);
            }
        }
    }

    // EEXIST on Unix, ERROR_FILE_EXISTS on Windows; the lock may be gone again by the time we look.
    private static bool IsAlreadyExists(IOException e, string path) =>
        e.HResult == 17 || (e.HResult & 0xFFFF) == 80 || File.Exists(path);

    private static string? Read(string gitFolder, string refPath, string refName)
    {
        if (File.Exists(refPath))
        {
            var text = File.ReadAllText(refPath).Trim();
            return text.Length >= 40 ? text[..40] : null;
        }
        var packed = Path.Combine(gitFolder, "packed-refs");
        if (!File.Exists(packed))
        {
            return null;
        }
        foreach (var line in File.ReadLines(packed))
        {
            if (line.Length > 41 && line[40] == ' ' && line.AsSpan(41).SequenceEqual(refName))
            {
                return line[..40];
            }
        }
        return null;
    }

    /// <summary>Drops a deleted ref's line from packed-refs, under packed-refs.lock as Git does.</summary>
    private static void RemovePacked(string gitFolder, string refName)
    {
        var packed = Path.Combine(gitFolder, "packed-refs");
        if (!File.Exists(packed) || !File.ReadLines(packed).Any(l => l.EndsWith(" " + refName, StringComparison.Ordinal)))
        {
            return;
        }
        var lockPath = packed + ".lock";
        using (var lockFile = new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(lockFile))
        {
            var skipPeeled = false;
            foreach (var line in File.ReadAllLines(packed))
            {
                if (skipPeeled && line.StartsWith('^'))
                {
                    continue;
                }
                skipPeeled = line.EndsWith(" " + refName, StringComparison.Ordinal);
                if (!skipPeeled)
                {
                    writer.Write(line + "\n");
                }
            }
        }
        File.Move(lockPath, packed, overwrite: true);
    }

    private static bool IsAncestor(string gitFolder, string ancestor, string descendant)
    {
        using var repository = new Repository(gitFolder);
        var a = repository.Lookup<Commit>(ancestor);
        var d = repository.Lookup<Commit>(descendant);
        return a is not null && d is not null && repository.ObjectDatabase.FindMergeBase(a, d)?.Sha == a.Sha;
    }

    private static bool IsScpLike(string url)
    {
        // user@host:path (ssh); a Windows drive letter "C:\" is not.
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        return colon > 1 && url.IndexOf('/', StringComparison.Ordinal) is var slash && (slash < 0 || colon < slash);
    }

    private static string Short(string? sha) => sha is null ? "nothing" : sha[..Math.Min(7, sha.Length)];
}
