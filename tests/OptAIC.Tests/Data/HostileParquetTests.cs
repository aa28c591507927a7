using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

/// <summary>
/// Damaged and hostile Parquet files: each is a <see cref="DatasetException"/> naming the file, never a
/// hang, a huge allocation or an internal error. The frame (magic numbers, footer length, footer Thrift,
/// page offsets) is checked before Parquet.Net reads anything.
/// </summary>
public sealed class HostileParquetTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private (DatasetDescriptor Dataset, byte[] Bytes) Valid()
    {
        var time = Enumerable.Range(0, 500).Select(i => new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i)).ToArray();
        var frame = new Frame(time).AddNumeric("x", [.. Enumerable.Range(0, 500).Select(i => i * 0.5)]);
        var path = _repo.Prepare("data/t.parquet");
        ParquetFrameWriter.Write(path, frame);
        return (ParquetFrameWriter.DescriptorFor("t", "data/t.parquet", frame), File.ReadAllBytes(path));
    }

    private DatasetException ReadFails(DatasetDescriptor dataset, byte[] bytes)
    {
        File.WriteAllBytes(_repo.PathOf("data/t.parquet"), bytes);
        // A guard against a hang, not a timing assertion: the read either ends or the test fails.
        var read = Task.Run(() => DatasetReader.Read(dataset, _repo.Root));
        Should.Throw<AggregateException>(() => read.Wait(TimeSpan.FromSeconds(30)).ShouldBeTrue("the read hung"));
        var e = read.Exception!.InnerException.ShouldBeOfType<DatasetException>();
        e.Message.ShouldContain("data/t.parquet");
        return e;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_bytes_between_the_magic_numbers_are_refused(int seed)
    {
        var (dataset, valid) = Valid();
        var bytes = new byte[valid.Length];
        new Random(seed).NextBytes(bytes);
        "PAR1"u8.CopyTo(bytes);
        "PAR1"u8.CopyTo(bytes.AsSpan(bytes.Length - 4));

        ReadFails(dataset, bytes).Message.ShouldContain("cannot be read");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_random_footer_of_a_plausible_length_is_refused(int seed)
    {
        var (dataset, valid) = Valid();
        var bytes = (byte[])valid.Clone();
        var footerLength = BitConverter.ToInt32(bytes, bytes.Length - 8);
        new Random(seed).NextBytes(bytes.AsSpan(bytes.Length - 8 - footerLength, footerLength));

        ReadFails(dataset, bytes);
    }

    [Fact]
    public void A_footer_length_past_the_file_is_refused()
    {
        var (dataset, valid) = Valid();
        var bytes = (byte[])valid.Clone();
        BitConverter.GetBytes(int.MaxValue).CopyTo(bytes, bytes.Length - 8);

        ReadFails(dataset, bytes).Message.ShouldContain("footer length");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Random_pages_under_a_valid_footer_fail_cleanly(int seed)
    {
        var (dataset, valid) = Valid();
        var bytes = (byte[])valid.Clone();
        var footerLength = BitConverter.ToInt32(bytes, bytes.Length - 8);
        new Random(seed).NextBytes(bytes.AsSpan(4, bytes.Length - 12 - footerLength));

        ReadFails(dataset, bytes);
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        var (dataset, valid) = Valid();
        ReadFails(dataset, valid[..(valid.Length / 2)]);
    }

    [Fact]
    public void The_valid_file_still_reads()
    {
        var (dataset, valid) = Valid();
        File.WriteAllBytes(_repo.PathOf("data/t.parquet"), valid);
        DatasetReader.Read(dataset, _repo.Root).RowCount.ShouldBe(500);
    }
}
