using System.Text.Json;

namespace OptAIC.Engine.Registry;

/// <summary>A commit under way: the branch was at <see cref="Parent"/> and is to move to <see cref="Commit"/>, for these paths.</summary>
public sealed record CommitIntent(string? Parent, string Commit, IReadOnlyList<string> Paths);

/// <summary>
/// Where a crash-safe commit records its intent (<c>.optaic/commit-intent.json</c>), written atomically before
/// the branch moves and deleted once the commit and the clean-up after it are complete.
/// </summary>
public sealed class CommitIntentFile(string path)
{
    public const string FileName = "commit-intent.json";

    public string Path { get; } = path;

    public static CommitIntentFile In(string workFolder) => new(System.IO.Path.Combine(workFolder, FileName));

    public void Write(CommitIntent intent) => AtomicFile.Write(Path, JsonSerializer.SerializeToUtf8Bytes(intent));

    public CommitIntent? Read()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CommitIntent>(File.ReadAllBytes(Path));
        }
        catch (JsonException)
        {
            // Written atomically, so unreadable means someone else's file: nothing to complete.
            return null;
        }
    }

    public void Delete() => File.Delete(Path);
}
