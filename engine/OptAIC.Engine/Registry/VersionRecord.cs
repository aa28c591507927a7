using System.Security.Cryptography;
using System.Text;

namespace OptAIC.Engine.Registry;

/// <summary>
/// One registered version of a model instance: <c>models/&lt;instance&gt;/versions/&lt;NNNN&gt;.yaml</c>.
/// Immutable once written. Properties are serialised in declaration order; maps sorted by key.
/// </summary>
public sealed class VersionRecord
{
    public string Instance { get; set; } = "";
    public int Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? Definition { get; set; }
    public string? Category { get; set; }
    public string? Algorithm { get; set; }
    public Fingerprint Fingerprint { get; set; } = new();
    public List<string> Features { get; set; } = [];
    public string? Target { get; set; }
    public TrainingWindow? TrainingWindow { get; set; }

    /// <summary>Values are scalars (string, bool, long, double) or nested lists/maps of them.</summary>
    public SortedDictionary<string, object?> Hyperparameters { get; set; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, double> Metrics { get; set; } = new(StringComparer.Ordinal);
    public List<GateResult> Gates { get; set; } = [];
    public ArtifactRef Artifact { get; set; } = new();
    public Lineage Lineage { get; set; } = new();
    public string EngineVersion { get; set; } = "";
    public string TrainerVersion { get; set; } = "";
    public string? TrainingRun { get; set; }
}

/// <summary>
/// The fingerprint of everything that went into a version (spec hashes, definition hash, feature expression
/// hashes, dataset content versions, seed, engine and trainer versions). The reconciler compares the
/// fingerprint the specs would produce now with this one; <see cref="Parts"/> lets it say which part changed.
/// </summary>
public sealed class Fingerprint
{
    /// <summary>sha256 (lowercase hex) over <see cref="Parts"/>, computed by <see cref="Compute"/>.</summary>
    public string Value { get; set; } = "";

    public SortedDictionary<string, string> Parts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Builds a fingerprint from named parts. The hash covers the parts in ordinal key order, each name and
    /// value length-prefixed, so no two different part sets share a hash by concatenation accident.
    /// </summary>
    public static Fingerprint Compute(IEnumerable<KeyValuePair<string, string>> parts)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in parts)
        {
            if (!sorted.TryAdd(name, value))
            {
                throw new ArgumentException($"Fingerprint part '{name}' is given twice.", nameof(parts));
            }
        }

        return new Fingerprint { Value = HashParts(sorted), Parts = sorted };
    }

    /// <summary>The parts whose values differ between two fingerprints (added, removed or changed), sorted.</summary>
    public static IReadOnlyList<FingerprintChange> Diff(Fingerprint? before, Fingerprint after)
    {
        var changes = new List<FingerprintChange>();
        var old = before?.Parts ?? new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in old.Keys.Union(after.Parts.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            old.TryGetValue(name, out var was);
            after.Parts.TryGetValue(name, out var now);
            if (!string.Equals(was, now, StringComparison.Ordinal))
            {
                changes.Add(new FingerprintChange(name, was, now));
            }
        }

        return changes;
    }

    /// <summary>True when <see cref="Value"/> is the hash of <see cref="Parts"/> (the record was not hand-edited).</summary>
    public bool IsConsistent() => string.Equals(Value, HashParts(Parts), StringComparison.Ordinal);

    private static string HashParts(SortedDictionary<string, string> parts)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in parts)
        {
            text.Append(name.Length).Append(':').Append(name).Append('=')
                .Append(value.Length).Append(':').Append(value).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}

public sealed record FingerprintChange(string Part, string? Before, string? After);

/// <summary>The dates of the training data (inclusive) and the number of rows trained on.</summary>
public sealed class TrainingWindow
{
    public DateOnly? From { get; set; }
    public DateOnly? To { get; set; }
    public long? Rows { get; set; }
}

/// <summary>One gate of the definition's <c>tests</c>, evaluated on the trained version.</summary>
public sealed class GateResult
{
    public string Metric { get; set; } = "";

    /// <summary>Comparison as written in the spec: <c>&gt;=</c>, <c>&gt;</c>, <c>&lt;=</c>, <c>&lt;</c>, <c>==</c>.</summary>
    public string Op { get; set; } = "";

    public double Threshold { get; set; }
    public double Value { get; set; }
    public bool Passed { get; set; }
}

/// <summary>Where a version's artifact is and what it must hash to.</summary>
public sealed class ArtifactRef
{
    /// <summary>
    /// <c>artifacts/sha256/ab/abcd….zip</c> relative to the registry root (artifact kept in the repository),
    /// or an absolute <c>file:///…</c> URI (external store).
    /// </summary>
    public string Uri { get; set; } = "";

    public string Sha256 { get; set; } = "";
    public long Bytes { get; set; }
    public string MediaType { get; set; } = "";
}

/// <summary>From dataset versions to this model version to the datasets it produced.</summary>
public sealed class Lineage
{
    /// <summary>Dataset name to the content version that was read.</summary>
    public SortedDictionary<string, string> Datasets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The version this one was retrained from, if any.</summary>
    public int? Parent { get; set; }

    /// <summary>
    /// Datasets produced when the version was trained (e.g. out-of-sample predictions). Records are immutable,
    /// so later inference outputs are listed in the inference <see cref="RunRecord.Outputs"/> instead.
    /// </summary>
    public List<string> Outputs { get; set; } = [];
}
