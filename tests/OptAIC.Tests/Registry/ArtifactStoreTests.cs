using System.Security.Cryptography;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

public sealed class ArtifactStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Repository_store_puts_content_under_its_sha256_once()
    {
        var store = new RepositoryArtifactStore(_temp.Combine("models"));
        var content = RandomBytes(10_000, seed: 1);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));

        var first = store.Put(content, "zip", "application/zip");
        var path = _temp.Combine("models", "artifacts", "sha256", sha[..2], sha + ".zip");
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));
        var second = store.Put(content, "zip", "application/zip");

        first.Uri.ShouldBe($"artifacts/sha256/{sha[..2]}/{sha}.zip");
        second.Uri.ShouldBe(first.Uri);
        File.GetLastWriteTimeUtc(path).ShouldBe(written.AddHours(-1), "an intact artifact is not rewritten");
        store.Get(first).ShouldBe(content);
        store.Check(first, verifyHash: true).ShouldBe(ArtifactState.Present);
    }

    [Fact]
    public void Put_repairs_a_corrupted_copy_and_Get_refuses_one()
    {
        var store = new RepositoryArtifactStore(_temp.Combine("models"));
        var content = RandomBytes(1000, seed: 2);
        var artifact = store.Put(content, "onnx", "application/onnx");
        var path = store.PathOf(artifact.Uri);
        File.WriteAllBytes(path, RandomBytes(1000, seed: 3));

        store.Check(artifact, verifyHash: false).ShouldBe(ArtifactState.Present);
        store.Check(artifact, verifyHash: true).ShouldBe(ArtifactState.HashMismatch);
        Should.Throw<ArtifactIntegrityException>(() => store.Get(artifact)).Message.ShouldContain(artifact.Sha256);

        store.Put(content, "onnx", "application/onnx");
        store.Get(artifact).ShouldBe(content);

        File.Delete(path);
        store.Check(artifact, verifyHash: true).ShouldBe(ArtifactState.Missing);
        Should.Throw<ArtifactIntegrityException>(() => store.Get(artifact)).Message.ShouldContain("missing");
    }

    [Fact]
    public void Repository_store_refuses_artifacts_above_its_cap_and_says_what_to_do()
    {
        var store = new RepositoryArtifactStore(_temp.Combine("models"), maxBytes: 1024 * 1024);

        var e = Should.Throw<ArtifactTooLargeException>(() => store.Put(new byte[(int)(1.5 * 1024 * 1024)], "zip", "application/zip"));

        e.Message.ShouldContain("1.5 MiB");
        e.Message.ShouldContain("1 MiB cap");
        e.Message.ShouldContain("external artifact store");
        Directory.Exists(_temp.Combine("models", "artifacts")).ShouldBeFalse();
        RepositoryArtifactStore.DefaultMaxBytes.ShouldBe(50L * 1024 * 1024);
    }

    [Fact]
    public void File_system_store_uses_the_same_layout_outside_the_repository_with_file_uris()
    {
        var shared = _temp.Combine("shared-drive", "optaic");
        var store = new FileSystemArtifactStore(shared);
        var content = RandomBytes(70 * 1024, seed: 4);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));

        var artifact = store.Put(content, "zip", "application/zip");

        artifact.Uri.ShouldStartWith("file:///");
        store.PathOf(artifact.Uri).ShouldBe(Path.Combine(shared, "sha256", sha[..2], sha + ".zip"));
        store.Get(artifact).ShouldBe(content);

        // A registry configured with the external store registers and verifies against it.
        var registry = new RegistryStore(_temp.Combine("repo", "models"), store);
        var record = registry.RegisterVersion(RegistryTestData.Version(), content, "card");
        record.Artifact.Uri.ShouldBe(artifact.Uri);
        registry.ReadArtifact(record.Artifact).ShouldBe(content);
        registry.Verify().IsClean.ShouldBeTrue();
        Directory.Exists(_temp.Combine("repo", "models", "artifacts")).ShouldBeFalse();
    }

    [Fact]
    public void Extensions_are_checked()
    {
        var store = new RepositoryArtifactStore(_temp.Combine("models"));

        Should.Throw<ArgumentException>(() => store.Put([1], "../x", "a"));
        Should.Throw<ArgumentException>(() => store.Put([1], "ZIP", "a"));
        store.Put([1], "tar.gz", "application/gzip").Uri.ShouldEndWith(".tar.gz");
        store.Put([2], "", "application/octet-stream").Uri.ShouldNotContain(".");
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
