using System.Collections.Concurrent;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Web.Serving;

/// <summary>
/// One served instance: the version it serves by default (<see cref="Serving"/>, null when none loaded), and when its
/// production version failed to load, which one (<see cref="WantedVersion"/>) and why (<see cref="Error"/>).
/// </summary>
public sealed record ModelSlot(string Name, ServedModel? Serving, int? WantedVersion, string? Error);

/// <summary>
/// What serving serves, as of one registry commit. Immutable: a request takes the current one once and scores with
/// it to the end, so a reload never changes a model under a request in flight.
/// </summary>
public sealed class CatalogSnapshot
{
    internal CatalogSnapshot(string? commit, IReadOnlyDictionary<string, ModelSlot> models, SpecSet? specs, RegistryStore? store, string? error, DateTimeOffset loadedAt)
    {
        Commit = commit;
        Models = models;
        Specs = specs;
        Store = store;
        Error = error;
        LoadedAt = loadedAt;
    }

    /// <summary>The repository's HEAD when this was read.</summary>
    public string? Commit { get; }

    public IReadOnlyDictionary<string, ModelSlot> Models { get; }

    internal SpecSet? Specs { get; }

    internal RegistryStore? Store { get; }

    /// <summary>Why the last reload read nothing (no specs, an unreadable registry); the models before it keep serving.</summary>
    public string? Error { get; }

    public DateTimeOffset LoadedAt { get; }

    /// <summary>Versions asked for by number (<c>/versions/{v}/infer</c>), loaded on first use against this commit.</summary>
    internal ConcurrentDictionary<(string Name, int Version), Lazy<ServedModel>> Versions { get; } = new();

    /// <summary>Ready: the registry was read and every served instance has a version loaded.</summary>
    public bool Ready => Error is null && Models.Values.All(m => m.Serving is not null);
}

/// <summary>What a reload did.</summary>
public sealed record ReloadResult(string Result, IReadOnlyList<string> Loaded, IReadOnlyList<string> Failed, IReadOnlyList<string> Removed);

/// <summary>
/// The served models, reloaded from the repository (specs and registry, as apply reads them) each time the registry's
/// commit moves. A reload loads new production versions beside the old ones and swaps the whole set in one write:
/// requests already holding the old set finish on it. A version that fails to load leaves the one before it serving
/// and is reported (ready, metrics). Reloads run one at a time.
/// </summary>
public sealed class ModelCatalog
{
    private readonly string _repositoryRoot;
    private readonly ServingMetrics _metrics;
    private readonly Lock _reloading = new();
    private CatalogSnapshot _current;

    public ModelCatalog(string repositoryRoot, ServingMetrics metrics)
    {
        _repositoryRoot = Path.GetFullPath(repositoryRoot);
        _metrics = metrics;
        _current = new CatalogSnapshot(null, new Dictionary<string, ModelSlot>(), null, null, "not loaded yet", DateTimeOffset.UtcNow);
    }

    public CatalogSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Reads the specs and the registry and swaps in what they say to serve; never throws.</summary>
    public ReloadResult Reload(string? commit)
    {
        lock (_reloading)
        {
            var before = Current;
            SpecSet specs;
            RegistryStore store;
            IReadOnlyList<string> instances;
            try
            {
                // As apply opens them: the specs, and the registry with the artifact store the project names.
                var session = ReconcileSession.Open(_repositoryRoot);
                specs = session.Specs;
                store = session.Registry;
                instances = Directory.Exists(store.Root) ? store.ListInstances() : [];
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var message = $"the specs or the registry could not be read: {e.Message}";
                Volatile.Write(ref _current, new CatalogSnapshot(before.Commit, before.Models, before.Specs, before.Store, message, DateTimeOffset.UtcNow));
                _metrics.Reloaded("failed");
                return new ReloadResult("failed", [], [message], []);
            }

            var models = new SortedDictionary<string, ModelSlot>(StringComparer.Ordinal);
            var loaded = new List<string>();
            var failed = new List<string>();
            foreach (var name in instances)
            {
                if (!specs.Instances.TryGetValue(name, out var instance)
                    || !specs.Definitions.TryGetValue(instance.Value.Definition, out var definition)
                    || !ServedModel.IsServedCategory(definition.Value.Category))
                {
                    continue;
                }
                before.Models.TryGetValue(name, out var old);
                int? production;
                VersionRecord? record;
                try
                {
                    production = store.GetInstanceStatus(name)?.Archived == true ? null : store.GetStageHistory(name).Production;
                    record = production is { } p ? store.GetVersion(name, p) : null;
                }
                catch (Exception e) when (e is RegistryException or IOException)
                {
                    failed.Add($"{name}: {e.Message}");
                    models[name] = new ModelSlot(name, old?.Serving, old?.WantedVersion, e.Message);
                    _metrics.LoadFailed(name);
                    continue;
                }
                if (production is null)
                {
                    continue; // Nothing in production: not served (a version can still be asked for by number... once one is).
                }
                if (record is null)
                {
                    var missing = $"{name}: production version {production} has no record";
                    failed.Add(missing);
                    models[name] = new ModelSlot(name, old?.Serving, production, missing);
                    _metrics.LoadFailed(name);
                    continue;
                }
                if (old?.Serving is { } same && same.Key == ServedModel.KeyOf(record, definition.Value))
                {
                    models[name] = new ModelSlot(name, same, null, null);
                    continue;
                }
                try
                {
                    models[name] = new ModelSlot(name, ServedModel.Load(specs, store, name, production.Value), null, null);
                    loaded.Add($"{name} v{production}");
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The version before keeps serving; ready and the metrics say which one failed and why.
                    failed.Add($"{name} v{production}: {e.Message}");
                    models[name] = new ModelSlot(name, old?.Serving, production, e.Message);
                    _metrics.LoadFailed(name);
                }
            }
            var removed = before.Models.Keys.Where(k => !models.ContainsKey(k)).ToList();
            var next = new CatalogSnapshot(commit, models, specs, store, null, DateTimeOffset.UtcNow);
            Volatile.Write(ref _current, next);
            _metrics.Models(models.Values, removed);
            var result = failed.Count == 0 ? "ok" : "partial";
            _metrics.Reloaded(result);
            return new ReloadResult(result, loaded, failed, removed);
        }
    }

    /// <summary>
    /// The model for a request: the instance's default (production) version, or version <paramref name="version"/>,
    /// loaded on first use. Null with the reason when there is none to serve.
    /// </summary>
    public static (ServedModel? Model, int Status, string? Error) Find(CatalogSnapshot snapshot, string name, int? version)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Models.TryGetValue(name, out var slot);
        if (version is null)
        {
            if (slot is null)
            {
                return (null, 404, $"model '{Clip(name)}' is not served; served models: {Names(snapshot)}");
            }
            return slot.Serving is { } serving
                ? (serving, 200, null)
                : (null, 503, $"model '{name}' has no version loaded: {slot.Error}");
        }
        if (slot?.Serving is { } current && current.Version == version)
        {
            return (current, 200, null);
        }
        if (snapshot.Specs is not { } specs || snapshot.Store is not { } store || !specs.Instances.ContainsKey(name) || !RegistryStore.IsInstanceName(name))
        {
            return (null, 404, $"model '{Clip(name)}' is not served; served models: {Names(snapshot)}");
        }
        if (!snapshot.Versions.TryGetValue((name, version.Value), out var lazy))
        {
            // Only registered versions get an entry, so made-up numbers cannot grow the cache.
            if (!store.GetVersionNumbers(name).Contains(version.Value))
            {
                return (null, 404, $"model '{name}' has no version {version}");
            }
            lazy = snapshot.Versions.GetOrAdd((name, version.Value), key => new Lazy<ServedModel>(() => ServedModel.Load(specs, store, key.Name, key.Version)));
        }
        try
        {
            return (lazy.Value, 200, null);
        }
        catch (ModelLoadException e)
        {
            return (null, 503, e.Message);
        }
    }

    private static string Names(CatalogSnapshot snapshot) => snapshot.Models.Count == 0 ? "none" : string.Join(", ", snapshot.Models.Keys);

    private static string Clip(string text) => text.Length <= 64 ? text : text[..64] + "...";
}
