using Npgsql;
using OptAIC.Engine.Apply.Runs;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>
/// Carries the artifacts of runs whose store is the repository's own (<c>repository:models</c>) between the
/// coordinator's checkout and the workers' checkouts, through the table <c>optaic.artifacts</c> (sha256,
/// the store-relative URI, media type, the bytes): the coordinator offers the model and upstream outputs a
/// request reads, a worker fetches the ones its checkout lacks before it runs and offers what its run put,
/// and the coordinator fetches those before it registers the result. Every copy is put through the store,
/// which checks the sha256. Runs on an external store (<c>file:///</c>, a folder every machine mounts)
/// need none of this and are left alone.
/// </summary>
public sealed class ArtifactTransport(PostgresEndpoint endpoint)
{
    public static bool Carries(RunRequest request) => request.ArtifactStore.StartsWith(ArtifactStoreAddress.RepositoryScheme, StringComparison.Ordinal);

    /// <summary>The artifacts a request reads (its model version, the upstream outputs).</summary>
    public static IReadOnlyList<ArtifactRef> ReadBy(RunRequest request) =>
    [
        .. request.Model is { } model ? [new ArtifactRef { Uri = model.Uri, Sha256 = model.Sha256 }] : Array.Empty<ArtifactRef>(),
        .. request.Upstream.Values.Select(u => new ArtifactRef { Uri = u.Uri, Sha256 = u.Sha256 }),
    ];

    /// <summary>Puts into the table those of <paramref name="artifacts"/> it lacks, read from <paramref name="store"/> (absent ones are skipped).</summary>
    public async Task<int> OfferAsync(IArtifactStore store, IEnumerable<ArtifactRef> artifacts, CancellationToken ct)
    {
        var offered = 0;
        await using var connection = await endpoint.OpenAsync(ct);
        foreach (var artifact in artifacts.DistinctBy(a => a.Sha256))
        {
            if (await HasAsync(connection, artifact.Sha256, ct) || store.Check(artifact, verifyHash: false) != ArtifactState.Present)
            {
                continue;
            }
            var content = store.Get(artifact);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO optaic.artifacts (sha256, uri, media_type, bytes, content) VALUES (@sha, @uri, @media, @bytes, @content)
                ON CONFLICT (sha256) DO NOTHING
                """, connection);
            insert.Parameters.AddWithValue("sha", artifact.Sha256);
            insert.Parameters.AddWithValue("uri", artifact.Uri);
            insert.Parameters.AddWithValue("media", artifact.MediaType ?? "");
            insert.Parameters.AddWithValue("bytes", content.LongLength);
            insert.Parameters.AddWithValue("content", content);
            offered += await insert.ExecuteNonQueryAsync(ct);
        }
        return offered;
    }

    /// <summary>Copies into <paramref name="store"/> those of <paramref name="artifacts"/> it lacks and the table has; returns how many it copied.</summary>
    public async Task<int> FetchAsync(IArtifactStore store, IEnumerable<ArtifactRef> artifacts, CancellationToken ct)
    {
        var fetched = 0;
        var missing = artifacts.DistinctBy(a => a.Sha256).Where(a => store.Check(a, verifyHash: false) != ArtifactState.Present).ToList();
        if (missing.Count == 0)
        {
            return 0;
        }
        await using var connection = await endpoint.OpenAsync(ct);
        foreach (var artifact in missing)
        {
            await using var select = new NpgsqlCommand("SELECT uri, media_type, content FROM optaic.artifacts WHERE sha256 = @sha", connection);
            select.Parameters.AddWithValue("sha", artifact.Sha256);
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                continue;
            }
            var uri = reader.GetString(0);
            var media = reader.GetString(1);
            var content = (byte[])reader.GetValue(2);
            var stored = store.Put(content, Path.GetExtension(uri).TrimStart('.'), media);
            if (stored.Sha256 != artifact.Sha256)
            {
                throw new QueueException($"artifact {artifact.Uri}: the queue's copy has sha256 {stored.Sha256}, not {artifact.Sha256}");
            }
            fetched++;
        }
        return fetched;
    }

    private static async Task<bool> HasAsync(NpgsqlConnection connection, string sha256, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT 1 FROM optaic.artifacts WHERE sha256 = @sha", connection);
        command.Parameters.AddWithValue("sha", sha256);
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}
