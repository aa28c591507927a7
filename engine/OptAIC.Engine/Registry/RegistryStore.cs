using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OptAIC.Engine.Registry;

/// <summary>
/// The model registry kept as records in Git (the actual state). Layout under the registry root (default
/// <c>models/</c>):
/// <code>
/// &lt;instance&gt;/versions/&lt;NNNN&gt;.yaml     one record per registered version (immutable)
/// &lt;instance&gt;/stages.yaml              current stage of each version + append-only history
/// &lt;instance&gt;/runs/&lt;runId&gt;.yaml        run summaries
/// &lt;instance&gt;/monitoring/&lt;runId&gt;.yaml  monitoring reports
/// &lt;instance&gt;/cards/&lt;NNNN&gt;.md          model card per version
/// &lt;instance&gt;/instance.yaml            archived or not, last applied fingerprints, health
/// artifacts/sha256/&lt;aa&gt;/&lt;hash&gt;.&lt;ext&gt;  artifacts kept in the repository
/// datasets/&lt;dataset&gt;/&lt;contentVersion&gt;.yaml  dataset profiles, one per content version (immutable)
/// </code>
/// Every file is written atomically (<see cref="AtomicFile"/>). Write order, enforced here: an artifact is
/// stored and verified by its hash before any record that points at it is written; a version's model card is
/// created before its record, and both with no-overwrite semantics, so the card reserves the version number
/// and the record commits it. A kill at any point leaves no record pointing at a missing artifact or card;
/// it may leave a card without a record, which <see cref="NextVersionNumber"/> skips and
/// <see cref="Verify"/> reports.
/// Mutable files (stages, instance status, runs) are read-modify-written: callers that may run concurrently
/// (two applies) must hold the <see cref="RepositoryLock"/>. Version numbers stay unique even without it.
/// </summary>
public sealed partial class RegistryStore
{
    public const string DefaultPath = "models";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly TimeProvider _time;

    /// <param name="registryRoot">The registry folder, e.g. <c>&lt;repo&gt;/models</c>.</param>
    /// <param name="artifacts">Where new artifacts go; default a <see cref="RepositoryArtifactStore"/> in the registry.</param>
    /// <param name="time">Clock for stage changes and archive times (kept to whole seconds); default the system clock.</param>
    public RegistryStore(string registryRoot, IArtifactStore? artifacts = null, TimeProvider? time = null)
    {
        Root = Path.GetFullPath(registryRoot);
        Artifacts = artifacts ?? new RepositoryArtifactStore(Root);
        _time = time ?? TimeProvider.System;
    }

    public string Root { get; }
    public IArtifactStore Artifacts { get; }

    // ---- Layout -------------------------------------------------------------------------------------------

    public string InstanceDirectory(string instance) => Path.Combine(Root, CheckName(instance, "instance"));

    public string VersionPath(string instance, int version) => Path.Combine(InstanceDirectory(instance), "versions", VersionFileStem(version) + ".yaml");

    public string ModelCardPath(string instance, int version) => Path.Combine(InstanceDirectory(instance), "cards", VersionFileStem(version) + ".md");

    public string StagesPath(string instance) => Path.Combine(InstanceDirectory(instance), "stages.yaml");

    public string StatusPath(string instance) => Path.Combine(InstanceDirectory(instance), "instance.yaml");

    public string RunPath(string instance, string runId) => Path.Combine(InstanceDirectory(instance), "runs", CheckName(runId, "run id") + ".yaml");

    public string MonitoringPath(string instance, string runId) => Path.Combine(InstanceDirectory(instance), "monitoring", CheckName(runId, "run id") + ".yaml");

    /// <summary>The folder of dataset profiles (a reserved name: no instance can be called so).</summary>
    public const string DatasetsFolderName = "datasets";

    public string DatasetProfilePath(string dataset, string contentVersion) =>
        Path.Combine(Root, DatasetsFolderName, CheckName(dataset, "dataset"), CheckName(contentVersion, "content version") + ".yaml");

    /// <summary>Instances that have a folder in the registry (archived ones included), in ordinal order.</summary>
    public IReadOnlyList<string> ListInstances()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        return Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => IsInstanceName(name))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    // ---- Versions ---------------------------------------------------------------------------------------------

    /// <summary>
    /// One more than the highest version number taken, by a record or by a model card left by an interrupted
    /// registration (so a number is never reused while such a card exists).
    /// </summary>
    public int NextVersionNumber(string instance)
    {
        var directory = InstanceDirectory(instance);
        var taken = VersionNumbersIn(Path.Combine(directory, "versions"), ".yaml")
            .Concat(VersionNumbersIn(Path.Combine(directory, "cards"), ".md"));
        return taken.DefaultIfEmpty(0).Max() + 1;
    }

    /// <summary>Registered version numbers, ascending.</summary>
    public IReadOnlyList<int> GetVersionNumbers(string instance) =>
        VersionNumbersIn(Path.Combine(InstanceDirectory(instance), "versions"), ".yaml").Order().ToList();

    /// <summary>Stores the artifact, then writes the card and the record (see the class remarks for the order).</summary>
    /// <param name="record">The version; <see cref="VersionRecord.Artifact"/> is filled in from the stored artifact,
    /// keeping its <see cref="ArtifactRef.MediaType"/> if set.</param>
    /// <param name="artifact">The artifact's bytes.</param>
    /// <param name="modelCardMarkdown">The rendered model card.</param>
    /// <param name="extension">The artifact's file extension; by default derived from the media type.</param>
    /// <exception cref="VersionAlreadyExistsException">The number is taken (by a record, or a card being written).</exception>
    public VersionRecord RegisterVersion(VersionRecord record, byte[] artifact, string modelCardMarkdown, string? extension = null) =>
        RegisterVersion(record, artifact, _ => modelCardMarkdown, extension);

    /// <summary>As the other overload, rendering the card from the record once its artifact reference is known.</summary>
    public VersionRecord RegisterVersion(VersionRecord record, byte[] artifact, Func<VersionRecord, string> renderModelCard, string? extension = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(artifact);
        ValidateNewVersion(record);
        if (File.Exists(VersionPath(record.Instance, record.Version)))
        {
            throw new VersionAlreadyExistsException(record.Instance, record.Version);
        }

        var mediaType = string.IsNullOrEmpty(record.Artifact.MediaType) ? "application/octet-stream" : record.Artifact.MediaType;
        record.Artifact = Artifacts.Put(artifact, extension ?? ExtensionFor(mediaType), mediaType);
        return WriteCardAndRecord(record, renderModelCard(record));
    }

    /// <summary>
    /// Registers a version whose artifact is already stored (e.g. put earlier by the run). The artifact is
    /// checked against its sha256 first; a record never points at an artifact that is not stored intact.
    /// </summary>
    public VersionRecord RegisterVersion(VersionRecord record, string modelCardMarkdown)
    {
        ArgumentNullException.ThrowIfNull(record);
        ValidateNewVersion(record);
        var state = CheckArtifact(record.Artifact, verifyHash: true);
        if (state != ArtifactState.Present)
        {
            throw new ArtifactIntegrityException(
                $"Version {record.Version} of '{record.Instance}' points at artifact '{record.Artifact.Uri}', which is {(state == ArtifactState.Missing ? "not stored" : "stored with a different sha256")}; " +
                "store the artifact first (IArtifactStore.Put) and use the reference it returns.");
        }

        return WriteCardAndRecord(record, modelCardMarkdown);
    }

    public VersionRecord? GetVersion(string instance, int version)
    {
        var path = VersionPath(instance, version);
        return File.Exists(path) ? ReadVersion(path, instance, version) : null;
    }

    /// <summary>All registered versions of the instance, ascending.</summary>
    public IReadOnlyList<VersionRecord> GetVersions(string instance) =>
        GetVersionNumbers(instance).Select(v => ReadVersion(VersionPath(instance, v), instance, v)).ToList();

    /// <summary>The highest-numbered version, or null when none is registered.</summary>
    public VersionRecord? GetLatest(string instance)
    {
        var numbers = VersionNumbersIn(Path.Combine(InstanceDirectory(instance), "versions"), ".yaml");
        var latest = numbers.DefaultIfEmpty(0).Max();
        return latest == 0 ? null : ReadVersion(VersionPath(instance, latest), instance, latest);
    }

    public string? GetModelCard(string instance, int version)
    {
        var path = ModelCardPath(instance, version);
        return File.Exists(path) ? File.ReadAllText(path, Utf8) : null;
    }

    /// <summary>Reads a version's artifact from wherever its URI points (repository or external store), checking its hash.</summary>
    public byte[] ReadArtifact(ArtifactRef artifact)
    {
        var path = ArtifactPath(artifact.Uri);
        if (!File.Exists(path))
        {
            throw new ArtifactIntegrityException($"Artifact {artifact.Uri} is missing (looked for {path}).");
        }

        var content = File.ReadAllBytes(path);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        return string.Equals(sha, artifact.Sha256, StringComparison.OrdinalIgnoreCase)
            ? content
            : throw new ArtifactIntegrityException($"Artifact {artifact.Uri} has sha256 {sha}, but its record says {artifact.Sha256}: the file was altered or corrupted.");
    }

    // ---- Stages -------------------------------------------------------------------------------------------------

    /// <summary>The instance's stages; empty (no versions staged) when it has no stages file yet.</summary>
    public StageHistory GetStageHistory(string instance)
    {
        var path = StagesPath(instance);
        if (!File.Exists(path))
        {
            return new StageHistory { Instance = instance };
        }

        var history = RecordYaml.ReadFile<StageHistory>(path);
        return string.Equals(history.Instance, instance, StringComparison.Ordinal)
            ? history
            : throw new RegistryFormatException(path, 0, 0, $"the stages of '{instance}' name instance '{history.Instance}'");
    }

    /// <summary>
    /// Moves a version to a stage and appends the change to the history (a change to the stage it already has
    /// is a no-op). Promoting a version to production demotes the version previously in production to
    /// <paramref name="demotePreviousTo"/> (archived by default; staging keeps it ready for a rollback) with
    /// its own history entry "superseded by version N", so at most one version is in production.
    /// </summary>
    public StageHistory ChangeStage(string instance, int version, Stage toStage, string by, string reason, Stage demotePreviousTo = Stage.Archived)
    {
        if (demotePreviousTo == Stage.Production)
        {
            throw new ArgumentException("The previous production version is demoted to staging or archived, not production.", nameof(demotePreviousTo));
        }

        if (!File.Exists(VersionPath(instance, version)))
        {
            throw new RegistryException($"Version {version} of '{instance}' is not registered; only registered versions have a stage.");
        }

        if (toStage != Stage.Archived && GetInstanceStatus(instance) is { Archived: true })
        {
            throw new RegistryException($"'{instance}' is archived; it must be restored (instance status archived: false) before version {version} can move to {Name(toStage)}.");
        }

        var history = GetStageHistory(instance);
        var from = history.StageOf(version);
        if (from == toStage)
        {
            return history;
        }

        var now = Now();
        if (toStage == Stage.Production && history.Production is { } previous && previous != version)
        {
            Append(history, previous, demotePreviousTo, now, by, $"superseded by version {version}");
        }

        Append(history, version, toStage, now, by, reason);
        WriteRecord(StagesPath(instance), history);
        return history;
    }

    // ---- Runs, monitoring, status -------------------------------------------------------------------------------

    /// <summary>Writes (or rewrites, e.g. from started to finished) a run summary.</summary>
    public void WriteRun(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        WriteRecord(RunPath(run.Instance, run.RunId), run);
    }

    public RunRecord? GetRun(string instance, string runId) => ReadIfExists<RunRecord>(RunPath(instance, runId));

    /// <summary>The instance's runs by start time (then run id).</summary>
    public IReadOnlyList<RunRecord> GetRuns(string instance) =>
        ReadAll<RunRecord>(Path.Combine(InstanceDirectory(instance), "runs"))
            .OrderBy(r => r.StartedAt).ThenBy(r => r.RunId, StringComparer.Ordinal).ToList();

    public void WriteMonitoring(MonitoringRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        WriteRecord(MonitoringPath(record.Instance, record.RunId), record);
    }

    public MonitoringRecord? GetMonitoring(string instance, string runId) => ReadIfExists<MonitoringRecord>(MonitoringPath(instance, runId));

    /// <summary>The instance's monitoring reports by creation time (then run id).</summary>
    public IReadOnlyList<MonitoringRecord> GetMonitoringRecords(string instance) =>
        ReadAll<MonitoringRecord>(Path.Combine(InstanceDirectory(instance), "monitoring"))
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.RunId, StringComparer.Ordinal).ToList();

    public InstanceStatus? GetInstanceStatus(string instance) => ReadIfExists<InstanceStatus>(StatusPath(instance));

    public void SetInstanceStatus(InstanceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        WriteRecord(StatusPath(status.Instance), status);
    }

    /// <summary>
    /// Archives an instance removed from the specs. Nothing is deleted: every version not yet archived moves to
    /// archived (stages first), then the instance status is marked archived. Repeating it changes nothing.
    /// </summary>
    public void Archive(string instance, string by, string reason)
    {
        var history = GetStageHistory(instance);
        var now = Now();
        var changed = false;
        foreach (var version in GetVersionNumbers(instance))
        {
            if (history.StageOf(version) != Stage.Archived)
            {
                Append(history, version, Stage.Archived, now, by, reason);
                changed = true;
            }
        }

        if (changed)
        {
            WriteRecord(StagesPath(instance), history);
        }

        var status = GetInstanceStatus(instance) ?? new InstanceStatus { Instance = instance };
        if (!status.Archived)
        {
            status.Archived = true;
            status.ArchivedAt = now;
            status.ArchivedBy = by;
            status.ArchiveReason = reason;
            status.UpdatedAt = now;
            SetInstanceStatus(status);
        }
    }

    /// <summary>What <c>optaic status</c> needs for one instance: three small files.</summary>
    public InstanceSummary GetSummary(string instance) =>
        new(instance, GetInstanceStatus(instance), GetStageHistory(instance), GetLatest(instance));

    /// <summary>Summaries of all instances in ordinal order, read in parallel (parsing, not I/O, is the cost).</summary>
    public IReadOnlyList<InstanceSummary> GetSummaries()
    {
        try
        {
            return ListInstances().AsParallel().AsOrdered().Select(GetSummary).ToList();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Report a malformed record as itself, not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
    }

    // ---- Dataset profiles --------------------------------------------------------------------------------------

    public bool HasDatasetProfile(string dataset, string contentVersion) => File.Exists(DatasetProfilePath(dataset, contentVersion));

    /// <summary>
    /// Writes a dataset version's profile once: false (and nothing written) when that content version already
    /// has one. Atomic with no-overwrite semantics, so a kill leaves either the whole file or none.
    /// </summary>
    public bool WriteDatasetProfile(DatasetProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return AtomicFile.TryCreate(DatasetProfilePath(profile.Dataset, profile.ContentVersion), RecordYaml.SerializeToUtf8(profile));
    }

    public DatasetProfile? GetDatasetProfile(string dataset, string contentVersion)
    {
        var path = DatasetProfilePath(dataset, contentVersion);
        return File.Exists(path) ? ReadProfile(path) : null;
    }

    /// <summary>Datasets that have profiles, in ordinal order.</summary>
    public IReadOnlyList<string> ListProfiledDatasets()
    {
        var folder = Path.Combine(Root, DatasetsFolderName);
        return Directory.Exists(folder)
            ? [.. Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>().Where(n => SafeName().IsMatch(n)).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>Every profile of a dataset, oldest first (by creation time, then content version).</summary>
    public IReadOnlyList<DatasetProfile> GetDatasetProfiles(string dataset) =>
        [.. RecordFiles(Path.Combine(Root, DatasetsFolderName, CheckName(dataset, "dataset"))).Select(ReadProfile)
            .OrderBy(p => p.CreatedAt).ThenBy(p => p.ContentVersion, StringComparer.Ordinal)];

    private static DatasetProfile ReadProfile(string path)
    {
        var profile = RecordYaml.ReadFile<DatasetProfile>(path);
        var dataset = Path.GetFileName(Path.GetDirectoryName(path));
        var version = Path.GetFileNameWithoutExtension(path);
        return string.Equals(profile.Dataset, dataset, StringComparison.Ordinal) && string.Equals(profile.ContentVersion, version, StringComparison.Ordinal)
            ? profile
            : throw new RegistryFormatException(path, 0, 0, $"the file is the profile of '{dataset}' at {version}, but the record says '{profile.Dataset}' at {profile.ContentVersion}");
    }

    // ---- Verification ------------------------------------------------------------------------------------------

    /// <summary>
    /// Checks the registry: records that do not read, records whose artifact is missing or does not match its
    /// sha256 (<paramref name="verifyHashes"/> reads every artifact), versions without a card, cards without a
    /// record (interrupted registrations), stage entries for unknown versions, and leftover temporary files.
    /// </summary>
    public RegistryVerification Verify(bool verifyHashes = true) => Verify(ListInstances(), verifyHashes, includeTempFiles: true);

    /// <summary>The same checks for some instances only (those whose files changed), optionally without the scan for temporary files.</summary>
    public RegistryVerification Verify(IEnumerable<string> instances, bool verifyHashes, bool includeTempFiles)
    {
        var problems = new List<RegistryProblem>();
        foreach (var instance in instances)
        {
            VerifyInstance(instance, verifyHashes, problems);
        }

        if (includeTempFiles)
        {
            VerifyDatasetProfiles(problems);
        }

        if (includeTempFiles && Directory.Exists(Root))
        {
            foreach (var temp in Directory.EnumerateFiles(Root, "*" + AtomicFile.TempSuffix, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                problems.Add(new(temp, RegistryProblemKind.InterruptedWrite, "temporary file left by an interrupted write"));
            }
        }

        return new RegistryVerification(problems);
    }

    /// <summary>
    /// Removes what interrupted writes left: temporary files and model cards without a record. Call it only
    /// while holding the <see cref="RepositoryLock"/>, or it may remove the files of a write in progress.
    /// Returns the removed paths.
    /// </summary>
    public IReadOnlyList<string> CleanInterruptedWrites()
    {
        var removed = new List<string>();
        foreach (var problem in Verify(verifyHashes: false).Problems)
        {
            if (problem.Kind is RegistryProblemKind.InterruptedWrite or RegistryProblemKind.OrphanModelCard && File.Exists(problem.Path))
            {
                File.Delete(problem.Path);
                removed.Add(problem.Path);
            }
        }

        return removed;
    }

    // ---- Internals --------------------------------------------------------------------------------------------------

    private void VerifyInstance(string instance, bool verifyHashes, List<RegistryProblem> problems)
    {
        var numbers = GetVersionNumbers(instance).ToHashSet();
        foreach (var version in numbers.Order())
        {
            var path = VersionPath(instance, version);
            VersionRecord record;
            try
            {
                record = ReadVersion(path, instance, version);
            }
            catch (RegistryFormatException e)
            {
                problems.Add(new(path, RegistryProblemKind.MalformedRecord, e.Message));
                continue;
            }

            var state = CheckArtifact(record.Artifact, verifyHashes);
            if (state == ArtifactState.Missing)
            {
                problems.Add(new(path, RegistryProblemKind.MissingArtifact, $"artifact {record.Artifact.Uri} is not stored"));
            }
            else if (state == ArtifactState.HashMismatch)
            {
                problems.Add(new(path, RegistryProblemKind.ArtifactHashMismatch, $"artifact {record.Artifact.Uri} does not hash to {record.Artifact.Sha256}"));
            }

            if (!File.Exists(ModelCardPath(instance, version)))
            {
                problems.Add(new(path, RegistryProblemKind.MissingModelCard, $"version {version} has no model card"));
            }
        }

        foreach (var card in VersionNumbersIn(Path.Combine(InstanceDirectory(instance), "cards"), ".md").Where(v => !numbers.Contains(v)))
        {
            problems.Add(new(ModelCardPath(instance, card), RegistryProblemKind.OrphanModelCard, $"model card of version {card}, which has no record (an interrupted registration)"));
        }

        CheckReadable(StagesPath(instance), () => GetStageHistory(instance), problems, stages =>
        {
            foreach (var version in stages.Current.Keys.Concat(stages.Entries.Select(e => e.Version)).Distinct().Where(v => !numbers.Contains(v)))
            {
                problems.Add(new(StagesPath(instance), RegistryProblemKind.UnknownVersion, $"stage of version {version}, which is not registered"));
            }
        });
        CheckReadable(StatusPath(instance), () => GetInstanceStatus(instance), problems, _ => { });
        foreach (var folder in new[] { "runs", "monitoring" })
        {
            var directory = Path.Combine(InstanceDirectory(instance), folder);
            foreach (var file in RecordFiles(directory))
            {
                CheckReadable<object>(file, () => folder == "runs" ? RecordYaml.ReadFile<RunRecord>(file) : RecordYaml.ReadFile<MonitoringRecord>(file), problems, _ => { });
            }
        }
    }

    private void VerifyDatasetProfiles(List<RegistryProblem> problems)
    {
        foreach (var dataset in ListProfiledDatasets())
        {
            foreach (var file in RecordFiles(Path.Combine(Root, DatasetsFolderName, dataset)))
            {
                CheckReadable(file, () => ReadProfile(file), problems, _ => { });
            }
        }
    }

    private static void CheckReadable<T>(string path, Func<T?> read, List<RegistryProblem> problems, Action<T> then)
        where T : class
    {
        try
        {
            if (read() is { } value)
            {
                then(value);
            }
        }
        catch (RegistryFormatException e)
        {
            problems.Add(new(path, RegistryProblemKind.MalformedRecord, e.Message));
        }
    }

    /// <summary>Writes a registered version's model card again (its stage changed); atomic like every record.</summary>
    public void RewriteModelCard(string instance, int version, string modelCardMarkdown)
    {
        if (!File.Exists(VersionPath(instance, version)))
        {
            throw new RegistryException($"Version {version} of '{instance}' is not registered; it has no model card to rewrite.");
        }
        AtomicFile.Write(ModelCardPath(instance, version), Utf8.GetBytes(modelCardMarkdown));
    }

    private VersionRecord WriteCardAndRecord(VersionRecord record, string modelCardMarkdown)
    {
        if (!AtomicFile.TryCreate(ModelCardPath(record.Instance, record.Version), Utf8.GetBytes(modelCardMarkdown)))
        {
            throw new VersionAlreadyExistsException(record.Instance, record.Version);
        }

        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.BetweenRecords, VersionPath(record.Instance, record.Version));
        if (!AtomicFile.TryCreate(VersionPath(record.Instance, record.Version), RecordYaml.SerializeToUtf8(record)))
        {
            throw new VersionAlreadyExistsException(record.Instance, record.Version);
        }

        return record;
    }

    private void ValidateNewVersion(VersionRecord record)
    {
        CheckName(record.Instance, "instance");
        if (record.Version < 1)
        {
            throw new ArgumentException($"Version numbers start at 1; got {record.Version} for '{record.Instance}'. Use NextVersionNumber.", nameof(record));
        }

        if (string.IsNullOrEmpty(record.Fingerprint.Value))
        {
            throw new ArgumentException($"Version {record.Version} of '{record.Instance}' has no fingerprint; the next plan could not tell whether it is current.", nameof(record));
        }
    }

    private ArtifactState CheckArtifact(ArtifactRef artifact, bool verifyHash)
    {
        string path;
        try
        {
            path = ArtifactPath(artifact.Uri);
        }
        catch (ArgumentException)
        {
            return ArtifactState.Missing;
        }

        return ContentAddressedArtifactStore.CheckFile(path, artifact.Sha256, verifyHash);
    }

    /// <summary>Resolves an artifact URI of either store: relative to the registry root, or <c>file://</c>.</summary>
    private string ArtifactPath(string uri)
    {
        if (RepositoryArtifactStore.IsRelativeUri(uri))
        {
            return Path.Combine(Root, uri);
        }

        if (Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.IsFile)
        {
            return parsed.LocalPath;
        }

        throw new ArgumentException($"Artifact URI '{uri}' is neither relative to the registry nor file://.", nameof(uri));
    }

    // Whole seconds: records are read by people, and the history's order is its list order.
    private DateTimeOffset Now()
    {
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private static VersionRecord ReadVersion(string path, string instance, int version)
    {
        var record = RecordYaml.ReadFile<VersionRecord>(path);
        if (record.Version != version || !string.Equals(record.Instance, instance, StringComparison.Ordinal))
        {
            throw new RegistryFormatException(path, 0, 0, $"the file is version {version} of '{instance}' but the record says version {record.Version} of '{record.Instance}'");
        }

        return record;
    }

    private static T? ReadIfExists<T>(string path)
        where T : class => File.Exists(path) ? RecordYaml.ReadFile<T>(path) : null;

    private static IEnumerable<T> ReadAll<T>(string directory)
        where T : class => RecordFiles(directory).Select(RecordYaml.ReadFile<T>);

    private static IEnumerable<string> RecordFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.yaml").Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)
            : [];

    private static void WriteRecord(string path, object record)
    {
        Diagnostics.Failpoints.Hit(Diagnostics.Failpoint.BetweenRecords, path);
        AtomicFile.Write(path, RecordYaml.SerializeToUtf8(record));
    }

    private static void Append(StageHistory history, int version, Stage to, DateTimeOffset at, string by, string reason)
    {
        history.Entries.Add(new StageChange { Version = version, From = history.StageOf(version), To = to, At = at, By = by, Reason = reason });
        history.Current[version] = to;
    }

    private static IEnumerable<int> VersionNumbersIn(string directory, string extension)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(directory, "*" + extension))
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            if (stem.Length > 0 && stem.All(char.IsAsciiDigit) && int.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
            {
                yield return number;
            }
        }
    }

    private static string VersionFileStem(int version) =>
        version >= 1 ? version.ToString("D4", CultureInfo.InvariantCulture) : throw new ArgumentOutOfRangeException(nameof(version), version, "Version numbers start at 1.");

    private static string ExtensionFor(string mediaType) => mediaType switch
    {
        "application/zip" => "zip",
        "application/onnx" or "application/x-onnx" => "onnx",
        "application/json" => "json",
        "application/x-parquet" or "application/vnd.apache.parquet" => "parquet",
        _ => "bin",
    };

    private static string Name(Stage stage) => RecordShape.KeyName(stage.ToString());

    public static bool IsInstanceName(string name) =>
        SafeName().IsMatch(name) && !IsReservedFolder(name);

    /// <summary>Folders of the registry that are not instances: the artifacts and the dataset profiles.</summary>
    public static bool IsReservedFolder(string name) =>
        string.Equals(name, RepositoryArtifactStore.FolderName, StringComparison.OrdinalIgnoreCase) || string.Equals(name, DatasetsFolderName, StringComparison.OrdinalIgnoreCase);

    private static string CheckName(string name, string what)
    {
        if (string.IsNullOrEmpty(name) || !SafeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid {what}: use letters, digits, '.', '_' and '-', starting with a letter or digit.");
        }

        if (what == "instance" && IsReservedFolder(name))
        {
            throw new ArgumentException($"'{name}' cannot name an instance: the registry keeps its {name.ToLowerInvariant()} in that folder.");
        }

        return name;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}

public enum RegistryProblemKind
{
    MalformedRecord,
    MissingArtifact,
    ArtifactHashMismatch,
    MissingModelCard,
    OrphanModelCard,
    UnknownVersion,
    InterruptedWrite,

    /// <summary>A file the last commit holds is gone from the work tree.</summary>
    DeletedFile,

    /// <summary>The index lags behind the last commit, or a commit was left half-made.</summary>
    TornCommit,

    /// <summary>A stage history that lost or changed entries it had in an earlier commit.</summary>
    StageHistoryRewritten,
}

public sealed record RegistryProblem(string Path, RegistryProblemKind Kind, string Message);

public sealed record RegistryVerification(IReadOnlyList<RegistryProblem> Problems)
{
    public bool IsClean => Problems.Count == 0;
}
