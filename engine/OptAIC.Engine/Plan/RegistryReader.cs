using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Plan;

/// <summary>Reads the registry's records into the planner's <see cref="RegistrySnapshot"/>.</summary>
public static class RegistryReader
{
    /// <summary>
    /// The snapshot, from a cache file when the registry's state hash (paths, sizes and write times of
    /// its files) is the one the cache was made for: a plan with nothing to do then parses no record.
    /// </summary>
    public static RegistrySnapshot Read(RegistryStore store, string? commit, string? cacheFile)
    {
        var state = StateHash(store.Root);
        if (cacheFile is not null && File.Exists(cacheFile))
        {
            try
            {
                var cached = JsonSerializer.Deserialize<CachedSnapshot>(File.ReadAllBytes(cacheFile));
                if (cached is not null && cached.StateHash == state && cached.Format == CachedSnapshot.CurrentFormat)
                {
                    return new RegistrySnapshot { Commit = commit, StateHash = state, Instances = cached.Instances };
                }
            }
            catch (JsonException)
            {
                // A damaged cache is rebuilt, never fatal.
            }
        }
        var snapshot = Read(store, commit);
        if (cacheFile is not null && snapshot.StateHash == state)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
            var temp = $"{cacheFile}.tmp-{Guid.NewGuid():N}";
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(new CachedSnapshot { StateHash = state, Instances = new(snapshot.Instances, StringComparer.Ordinal) }));
            File.Move(temp, cacheFile, overwrite: true);
        }
        return snapshot;
    }

    public static RegistrySnapshot Read(RegistryStore store, string? commit)
    {
        var instances = new Dictionary<string, InstanceState>(StringComparer.Ordinal);
        var names = store.ListInstances();
        var states = new InstanceState?[names.Count];
        Parallel.For(0, names.Count, i => states[i] = ReadInstance(store, names[i]));
        foreach (var state in states)
        {
            if (state is not null)
            {
                instances[state.Name] = state;
            }
        }
        return new RegistrySnapshot { Commit = commit, StateHash = StateHash(store.Root), Instances = instances };
    }

    /// <summary>Only some instances (an apply step needs its own and its inputs' state, not the whole registry's).</summary>
    public static RegistrySnapshot ReadSome(RegistryStore store, IEnumerable<string> names)
    {
        var instances = new Dictionary<string, InstanceState>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (Directory.Exists(store.InstanceDirectory(name)) && ReadInstance(store, name) is { } state)
            {
                instances[name] = state;
            }
        }
        return new RegistrySnapshot { Commit = null, StateHash = "", Instances = instances };
    }

    private static InstanceState? ReadInstance(RegistryStore store, string name)
    {
        var status = store.GetInstanceStatus(name);
        var stages = store.GetStageHistory(name);
        var versions = store.GetVersionNumbers(name)
            .Select(v => new VersionState(v, Stages.Name(stages.StageOf(v) ?? Stage.Staging)))
            .ToList();
        var applied = new Dictionary<string, AppliedState>(StringComparer.Ordinal);
        foreach (var (action, record) in status?.Applied ?? [])
        {
            applied[action] = new AppliedState(record.Fingerprint, record.Parts, record.At, record.Version, record.Output);
        }
        MonitoringState? monitoring = null;
        if (status?.Applied.GetValueOrDefault(AppliedActions.Monitor)?.RunId is { } runId && store.GetMonitoring(name, runId) is { } report)
        {
            var drift = report.Alerts.Where(a => a.Kind == AlertKind.Drift).ToList();
            var decay = report.Alerts.FirstOrDefault(a => a.Kind == AlertKind.Performance);
            monitoring = new MonitoringState(report.CreatedAt, drift.Count > 0, [.. drift.Select(d => d.Subject)], decay?.Value, decay is not null);
        }
        return new InstanceState
        {
            Name = name,
            Archived = status?.Archived ?? false,
            Applied = applied,
            Versions = versions,
            Monitoring = monitoring,
        };
    }

    /// <summary>
    /// sha256 over every registry file's path, size and last write time. Records are only ever replaced
    /// by rename (never edited in place), so any change to the registry changes this; artifacts are
    /// content-addressed and their names suffice.
    /// </summary>
    public static string StateHash(string registryRoot)
    {
        if (!Directory.Exists(registryRoot))
        {
            return "empty";
        }
        var text = new StringBuilder();
        var options = new EnumerationOptions { RecurseSubdirectories = true };
        foreach (var file in new DirectoryInfo(registryRoot).EnumerateFiles("*", options).OrderBy(f => f.FullName, StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(registryRoot, file.FullName).Replace('\\', '/');
            if (relative.Contains(".tmp", StringComparison.Ordinal))
            {
                continue;
            }
            text.Append(relative);
            if (!relative.StartsWith("artifacts/", StringComparison.Ordinal))
            {
                text.Append('\t').Append(file.Length).Append('\t').Append(file.LastWriteTimeUtc.Ticks);
            }
            text.Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}

internal sealed class CachedSnapshot
{
    public const int CurrentFormat = 2;

    public int Format { get; set; } = CurrentFormat;

    public string StateHash { get; set; } = "";

    public Dictionary<string, InstanceState> Instances { get; set; } = [];
}

internal static class Stages
{
    public static string Name(Stage stage) => stage.ToString().ToLowerInvariant();
}
