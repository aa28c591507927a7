using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OptAIC.Engine.Data;

/// <summary>One file of a dataset at a content version (for lineage records).</summary>
/// <param name="Path">Relative to the repository root, with '/' separators.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's bytes.</param>
public sealed record DatasetFileVersion(string Path, long Size, DateTime LastWriteUtc, string Sha256);

/// <summary>
/// Content versions of datasets: a SHA-256 over the dataset's files, with a per-file cache keyed on
/// (path, size, last-write ticks) so that an unchanged file is never read again. The cache is a JSON
/// file written atomically; a missing or corrupt cache file just means files are hashed again.
/// Thread-safe.
/// </summary>
public sealed class ContentVersionCache
{
    private const int HashBufferSize = 1 << 20;
    private const int FormatVersion = 1;

    private readonly string _cacheFile;
    private readonly Lock _gate = new();
    private readonly Lock _saveGate = new();
    private Dictionary<string, Entry>? _entries;
    private bool _dirty;

    public ContentVersionCache(string cacheFilePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheFilePath);
        _cacheFile = Path.GetFullPath(cacheFilePath);
    }

    /// <summary>
    /// The dataset's content version: lower-case hex SHA-256 over its files sorted by relative path,
    /// each contributing "path NUL sha256(bytes) LF". Any change of a file's bytes, a file added,
    /// removed or renamed changes the version.
    /// </summary>
    public string VersionOf(DatasetDescriptor dataset, string repositoryRoot) => Combine(FilesOf(dataset, repositoryRoot));

    /// <summary>The dataset's files (sorted by relative path) with their sizes and SHA-256 hashes.</summary>
    public IReadOnlyList<DatasetFileVersion> FilesOf(DatasetDescriptor dataset, string repositoryRoot)
    {
        var files = DatasetFiles.Resolve(dataset, repositoryRoot);
        var result = new DatasetFileVersion[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            var (size, ticks, sha) = HashOf(files[i].FullPath, new DatasetLocation(dataset.Name, files[i].RelativePath));
            result[i] = new DatasetFileVersion(files[i].RelativePath, size, new DateTime(ticks, DateTimeKind.Utc), sha);
        }
        Save();
        return result;
    }

    /// <summary>The dataset version made of file versions, as <see cref="VersionOf"/> computes it.</summary>
    public static string Combine(IEnumerable<DatasetFileVersion> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.Path + "\0" + file.Sha256 + "\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 of a file's bytes, streamed through a large buffer.</summary>
    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(HashBufferSize);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, HashBufferSize)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private (long Size, long Ticks, string Sha) HashOf(string fullPath, DatasetLocation at)
    {
        // A file written while it is hashed is hashed again: the (size, mtime) key must match the bytes.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var before = Stat(fullPath, at);
            lock (_gate)
            {
                Load();
                if (_entries!.TryGetValue(fullPath, out var hit) && hit.Size == before.Size && hit.Ticks == before.Ticks)
                {
                    return (hit.Size, hit.Ticks, hit.Sha256);
                }
            }
            string sha;
            try
            {
                sha = HashFile(fullPath);
            }
            catch (IOException e)
            {
                throw DatasetException.At(at, $"the file cannot be read: {e.Message}", "Check the file exists and is readable", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw DatasetException.At(at, "the file cannot be read: access denied", "Give the engine read access to the file", e);
            }
            var after = Stat(fullPath, at);
            if (after == before)
            {
                lock (_gate)
                {
                    _entries![fullPath] = new Entry(before.Size, before.Ticks, sha);
                    _dirty = true;
                }
                return (before.Size, before.Ticks, sha);
            }
        }
        throw DatasetException.At(at, "the file keeps changing while it is hashed", "Wait for whatever writes the file to finish, then run again");
    }

    private static (long Size, long Ticks) Stat(string fullPath, DatasetLocation at)
    {
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            throw DatasetException.At(at, "the file disappeared while the dataset was read", "Run again once the data files are in place");
        }
        return (info.Length, info.LastWriteTimeUtc.Ticks);
    }

    private void Load()
    {
        if (_entries is not null)
        {
            return;
        }
        _entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists(_cacheFile))
            {
                return;
            }
            var stored = JsonSerializer.Deserialize(File.ReadAllBytes(_cacheFile), CacheJson.Default.CacheFile);
            if (stored?.Version != FormatVersion || stored.Files is null)
            {
                return;
            }
            foreach (var (path, entry) in stored.Files)
            {
                if (entry is { Sha256.Length: 64 })
                {
                    _entries[path] = entry;
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // A corrupt or unreadable cache only costs a rehash; it is rewritten on the next save.
            _entries.Clear();
            _dirty = true;
        }
    }

    private void Save()
    {
        // Saves run one at a time so that a later snapshot is never overwritten by an earlier one.
        lock (_saveGate)
        {
            byte[] json;
            lock (_gate)
            {
                if (!_dirty || _entries is null)
                {
                    return;
                }
                // Entries of files that no longer exist are dropped so the cache does not grow forever.
                var live = _entries.Where(e => File.Exists(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
                json = JsonSerializer.SerializeToUtf8Bytes(new CacheFile(FormatVersion, live), CacheJson.Default.CacheFile);
                _dirty = false;
            }
            var temp = $"{_cacheFile}.tmp-{Guid.NewGuid():N}";
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_cacheFile)!);
                File.WriteAllBytes(temp, json);
                File.Move(temp, _cacheFile, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The cache is an optimisation: failing to write it must not fail the command.
                TryDelete(temp);
                lock (_gate)
                {
                    _dirty = true;
                }
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run to overwrite.
        }
    }

    internal sealed record Entry(long Size, long Ticks, string Sha256);

    internal sealed record CacheFile(int Version, Dictionary<string, Entry>? Files);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ContentVersionCache.CacheFile))]
internal sealed partial class CacheJson : JsonSerializerContext;
