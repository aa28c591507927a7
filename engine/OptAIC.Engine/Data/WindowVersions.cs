using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OptAIC.Engine.Data;

/// <summary>
/// The content of a dataset's rows dated up to a day: what a training window with a fixed end reads
/// (features from the past, labels purged at the end). Rows appended after the end leave it unchanged, so
/// they re-score a model but never register a byte-identical new version. Kept under .optaic/cache by the
/// dataset's content version: a dataset is read once per change.
/// </summary>
public sealed class WindowVersionCache(string cacheFilePath)
{
    private Dictionary<string, string>? _entries;

    /// <summary>sha256 of the rows with time at or before <paramref name="end"/> (the whole day), or null when the data cannot be read (plan reports why).</summary>
    public string? Get(DatasetDescriptor dataset, string contentVersion, DateTime end, string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        _entries ??= Load();
        var key = $"{dataset.Name}|{contentVersion}|{end:yyyy-MM-dd}|{JsonSerializer.Serialize(dataset.Columns.Select(c => $"{c.Name}:{c.Type}:{c.Format}:{c.TimeZone}"))}";
        if (_entries.TryGetValue(key, out var known))
        {
            return known;
        }
        string version;
        try
        {
            version = Of(DatasetReader.Read(dataset, repositoryRoot), end.Date.AddDays(1));
        }
        catch (DatasetException)
        {
            return null;
        }
        // One entry per dataset and end: older content versions are never asked for again.
        foreach (var stale in _entries.Keys.Where(k => k.StartsWith(dataset.Name + "|", StringComparison.Ordinal) && k.Contains($"|{end:yyyy-MM-dd}|", StringComparison.Ordinal)).ToList())
        {
            _entries.Remove(stale);
        }
        _entries[key] = version;
        Save();
        return version;
    }

    /// <summary>sha256 over the rows dated before <paramref name="until"/>: time, known-at, entity and every column, in file order.</summary>
    public static string Of(Frame frame, DateTime until)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[8];
        var rows = Enumerable.Range(0, frame.RowCount).Where(i => frame.Time[i] < until).ToArray();
        void Long(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
            hash.AppendData(buffer);
        }
        void Text(string? value)
        {
            Long(value?.Length ?? -1);
            if (value is not null)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(value));
            }
        }
        Long(rows.Length);
        foreach (var r in rows)
        {
            Long(frame.Time[r].Ticks);
            Long(frame.KnownAt[r].Ticks);
            Text(frame.Entity?[r]);
        }
        foreach (var name in frame.ColumnNames)
        {
            Text(name);
            if (frame.IsNumeric(name))
            {
                var column = frame.Numeric(name);
                foreach (var r in rows)
                {
                    Long(BitConverter.DoubleToInt64Bits(column[r]));
                }
            }
            else
            {
                var column = frame.Text(name);
                foreach (var r in rows)
                {
                    Text(column[r]);
                }
            }
        }
        return "rows:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private Dictionary<string, string> Load() => CacheFile.Load<string>(cacheFilePath);

    private void Save() => CacheFile.Save(cacheFilePath, _entries!);
}
