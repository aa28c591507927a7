using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

public sealed class ContentVersionCacheTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public ContentVersionCacheTests()
    {
        _repo.Write("data/part-1.csv", "date,x\n2020-01-02,2\n");
        _repo.Write("data/part-0.csv", "date,x\n2020-01-01,1\n");
    }

    public void Dispose() => _repo.Dispose();

    private string CacheFile => _repo.PathOf(".optaic/cache/content-versions.json");

    private static readonly DatasetDescriptor Parts = new() { Name = "parts", Path = "data/part-*.csv", TimeColumn = "date" };

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The documented formula, computed here independently of the engine.</summary>
    private string ExpectedVersion(params string[] relativePaths)
    {
        var text = new StringBuilder();
        foreach (var rel in relativePaths.Order(StringComparer.Ordinal))
        {
            text.Append(rel).Append('\0').Append(Sha(File.ReadAllBytes(_repo.PathOf(rel)))).Append('\n');
        }
        return Sha(Encoding.UTF8.GetBytes(text.ToString()));
    }

    [Fact]
    public void The_version_is_sha256_over_sorted_paths_and_file_hashes()
    {
        var cache = new ContentVersionCache(CacheFile);

        var version = cache.VersionOf(Parts, _repo.Root);
        var files = cache.FilesOf(Parts, _repo.Root);

        version.ShouldBe(ExpectedVersion("data/part-0.csv", "data/part-1.csv"));
        files.Select(f => f.Path).ShouldBe(["data/part-0.csv", "data/part-1.csv"]);
        files[1].Sha256.ShouldBe(Sha(File.ReadAllBytes(_repo.PathOf("data/part-1.csv"))));
        files[1].Size.ShouldBe(new FileInfo(_repo.PathOf("data/part-1.csv")).Length);
        ContentVersionCache.Combine(files).ShouldBe(version);
    }

    [Fact]
    public void Changing_adding_or_renaming_a_file_changes_the_version()
    {
        var cache = new ContentVersionCache(CacheFile);
        var v0 = cache.VersionOf(Parts, _repo.Root);

        _repo.Write("data/part-1.csv", "date,x\n2020-01-02,3\n");
        var v1 = cache.VersionOf(Parts, _repo.Root);
        _repo.Write("data/part-2.csv", "date,x\n2020-01-03,4\n");
        var v2 = cache.VersionOf(Parts, _repo.Root);
        File.Move(_repo.PathOf("data/part-2.csv"), _repo.PathOf("data/part-3.csv"));
        var v3 = cache.VersionOf(Parts, _repo.Root);

        new[] { v0, v1, v2, v3 }.Distinct().Count().ShouldBe(4);
        v3.ShouldBe(ExpectedVersion("data/part-0.csv", "data/part-1.csv", "data/part-3.csv"));
    }

    [Fact]
    public void An_unchanged_file_is_not_read_again_even_by_a_new_instance()
    {
        new ContentVersionCache(CacheFile).VersionOf(Parts, _repo.Root);
        var path = _repo.PathOf("data/part-0.csv");
        var stamp = File.GetLastWriteTimeUtc(path);
        var original = ExpectedVersion("data/part-0.csv", "data/part-1.csv");

        // Same size, same mtime, different bytes: only a re-read could notice, so a cache hit keeps the old hash.
        File.WriteAllText(path, "date,x\n2020-01-01,9\n");
        File.SetLastWriteTimeUtc(path, stamp);
        new ContentVersionCache(CacheFile).VersionOf(Parts, _repo.Root).ShouldBe(original);

        // A new mtime is a changed key: the file is hashed again.
        File.SetLastWriteTimeUtc(path, stamp.AddSeconds(1));
        new ContentVersionCache(CacheFile).VersionOf(Parts, _repo.Root).ShouldBe(ExpectedVersion("data/part-0.csv", "data/part-1.csv"));
    }

    [Fact]
    public void A_corrupt_cache_file_is_ignored_and_rewritten_as_valid_json()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, "{ \"version\": 1, \"files\": { \"x\": [ not json");

        var version = new ContentVersionCache(CacheFile).VersionOf(Parts, _repo.Root);

        version.ShouldBe(ExpectedVersion("data/part-0.csv", "data/part-1.csv"));
        using var json = JsonDocument.Parse(File.ReadAllText(CacheFile));
        json.RootElement.GetProperty("files").EnumerateObject().Count().ShouldBe(2);
        Directory.GetFiles(Path.GetDirectoryName(CacheFile)!).ShouldBe([CacheFile]); // no temp files left
    }

    [Fact]
    public void A_cache_entry_with_a_wrong_shape_is_not_trusted()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        var real = DatasetFilesReal("data/part-0.csv");
        var info = new FileInfo(real);
        File.WriteAllText(CacheFile, $$"""{ "version": 1, "files": { "{{real}}": { "size": {{info.Length}}, "ticks": {{info.LastWriteTimeUtc.Ticks}}, "sha256": "abc" } } }""");

        new ContentVersionCache(CacheFile).VersionOf(Parts, _repo.Root).ShouldBe(ExpectedVersion("data/part-0.csv", "data/part-1.csv"));
    }

    [Fact]
    public void Concurrent_callers_get_the_same_version_and_leave_a_valid_cache()
    {
        for (var i = 2; i < 40; i++)
        {
            _repo.Write($"data/part-{i}.csv", $"date,x\n2020-02-{(i % 28) + 1:00},{i}\n");
        }
        var cache = new ContentVersionCache(CacheFile);
        var versions = new string[16];

        Parallel.For(0, versions.Length, i => versions[i] = cache.VersionOf(Parts, _repo.Root));

        versions.Distinct().ShouldHaveSingleItem().ShouldBe(ExpectedVersion([.. Enumerable.Range(0, 40).Select(i => $"data/part-{i}.csv")]));
        using var json = JsonDocument.Parse(File.ReadAllText(CacheFile));
        json.RootElement.GetProperty("files").EnumerateObject().Count().ShouldBe(40);
    }

    [Fact]
    public void A_dataset_without_files_is_a_dataset_error()
    {
        var e = Should.Throw<DatasetException>(() => new ContentVersionCache(CacheFile).VersionOf(Parts with { Path = "nothing/*.csv" }, _repo.Root));

        e.Message.ShouldContain("no file matches");
    }

    private string DatasetFilesReal(string relative) => new FileInfo(_repo.PathOf(relative)).FullName;
}
