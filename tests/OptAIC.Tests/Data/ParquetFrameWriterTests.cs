using OptAIC.Engine.Data;
using ParquetSharp;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

public sealed class ParquetFrameWriterTests : IDisposable
{
    private static readonly DateTime Jan1 = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private static Frame Panel(int rows, int firstDay = 0)
    {
        var time = Enumerable.Range(0, rows).Select(i => Jan1.AddDays(firstDay + (i / 2))).ToArray();
        var frame = new Frame(time, [.. Enumerable.Range(0, rows).Select(i => i % 2 == 0 ? "AAPL" : "MSFT")], [.. time.Select(t => t.AddHours(20))]);
        frame.AddNumeric("signal", [.. Enumerable.Range(0, rows).Select(i => i % 4 == 3 ? double.NaN : (i / 10.0) - 0.5)]);
        frame.AddText("regime", [.. Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? null : "bull")]);
        return frame;
    }

    private string[] FilesIn(string relativeDir) => [.. Directory.GetFiles(_repo.PathOf(relativeDir)).Select(Path.GetFileName).Order()!];

    [Fact]
    public void Writes_time_known_at_entity_and_columns_that_arrow_cpp_reads_with_nulls_and_metadata()
    {
        var path = _repo.PathOf("out/pred.parquet");
        var frame = Panel(10);

        ParquetFrameWriter.Write(path, frame, new Dictionary<string, string> { ["optaic.model"] = "spx-alpha@3" }, new ParquetWriteOptions { RowGroupSize = 3 });

        using var file = new ParquetFileReader(path);
        var meta = file.FileMetaData;
        meta.NumRows.ShouldBe(10);
        meta.NumRowGroups.ShouldBe(4); // 3 + 3 + 3 + 1
        meta.KeyValueMetadata["optaic.model"].ShouldBe("spx-alpha@3");
        var names = Enumerable.Range(0, meta.NumColumns).Select(i => meta.Schema.Column(i).Name).ToArray();
        names.ShouldBe(["time", "known_at", "entity", "signal", "regime"]);
        meta.Schema.Column(0).LogicalType.ShouldBeOfType<TimestampLogicalType>().IsAdjustedToUtc.ShouldBeTrue();
        meta.Schema.Column(3).PhysicalType.ShouldBe(PhysicalType.Double);

        var time = new List<DateTime>();
        var known = new List<DateTime>();
        var entity = new List<string>();
        var signal = new List<double?>();
        var regime = new List<string?>();
        for (var g = 0; g < meta.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            n.ShouldBeLessThanOrEqualTo(3);
            time.AddRange(group.Column(0).LogicalReader<DateTime>().ReadAll(n));
            known.AddRange(group.Column(1).LogicalReader<DateTime>().ReadAll(n));
            entity.AddRange(group.Column(2).LogicalReader<string>().ReadAll(n));
            signal.AddRange(group.Column(3).LogicalReader<double?>().ReadAll(n));
            regime.AddRange(group.Column(4).LogicalReader<string?>().ReadAll(n));
        }
        time.ShouldBe(frame.Time);
        known.ShouldBe(frame.KnownAt);
        entity.ShouldBe(frame.Entity!);
        signal.ShouldBe(frame.Numeric("signal").Select(v => double.IsNaN(v) ? (double?)null : v));
        regime.ShouldBe(frame.Text("regime"));
    }

    [Fact]
    public void A_written_file_reads_back_through_the_dataset_reader()
    {
        var frame = Panel(40);
        ParquetFrameWriter.Write(_repo.PathOf("out/p.parquet"), frame);

        var back = DatasetReader.Read(ParquetFrameWriter.DescriptorFor("p", "out/p.parquet", frame), _repo.Root, ["signal", "regime"]);

        back.Time.ShouldBe(frame.Time);
        back.KnownAt.ShouldBe(frame.KnownAt);
        back.Entity.ShouldBe(frame.Entity);
        back.Numeric("signal").ShouldBe(frame.Numeric("signal"));
        back.Text("regime").ShouldBe(frame.Text("regime"));
    }

    [Fact]
    public void Declared_types_are_written_as_those_parquet_types()
    {
        var time = new[] { Jan1, Jan1.AddDays(1) };
        var frame = new Frame(time)
            .AddNumeric("n", [3, double.NaN])
            .AddNumeric("big", [1L << 40, 2])
            .AddNumeric("flag", [1, 0])
            .AddNumeric("f", [0.5, 0.25])
            .AddText("sector", ["Tech", "Tech"])
            .AddText("asof", ["2019-12-31", null]);
        var types = new Dictionary<string, Engine.Data.ColumnType>
        {
            ["n"] = Engine.Data.ColumnType.Int,
            ["big"] = Engine.Data.ColumnType.Long,
            ["flag"] = Engine.Data.ColumnType.Bool,
            ["f"] = Engine.Data.ColumnType.Float,
            ["sector"] = Engine.Data.ColumnType.Category,
            ["asof"] = Engine.Data.ColumnType.Date,
        };
        var path = _repo.PathOf("typed.parquet");

        ParquetFrameWriter.Write(path, frame, options: new ParquetWriteOptions { ColumnTypes = types });

        using var file = new ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        schema.Column(2).PhysicalType.ShouldBe(PhysicalType.Int32);
        schema.Column(3).PhysicalType.ShouldBe(PhysicalType.Int64);
        schema.Column(4).PhysicalType.ShouldBe(PhysicalType.Boolean);
        schema.Column(5).PhysicalType.ShouldBe(PhysicalType.Float);
        schema.Column(7).LogicalType.ShouldBeOfType<DateLogicalType>();
        using var group = file.RowGroup(0);
        group.Column(2).LogicalReader<int?>().ReadAll(2).ShouldBe([3, null]);
        group.Column(3).LogicalReader<long?>().ReadAll(2).ShouldBe([1L << 40, 2]);
        group.Column(7).LogicalReader<Date?>().ReadAll(2).ShouldBe([new Date(2019, 12, 31), null]);
    }

    [Fact]
    public void Writing_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        var path = _repo.Write("out/p.parquet", "old contents");

        ParquetFrameWriter.Write(path, Panel(4));

        FilesIn("out").ShouldBe(["p.parquet"]);
        using var file = new ParquetFileReader(path);
        file.FileMetaData.NumRows.ShouldBe(4);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_untouched_and_no_temporary_file()
    {
        var path = _repo.Write("out/p.parquet", "previous");
        var frame = new Frame([Jan1]).AddNumeric("n", [1.5]);

        var e = Should.Throw<ArgumentException>(() =>
            ParquetFrameWriter.Write(path, frame, options: new ParquetWriteOptions { ColumnTypes = new Dictionary<string, Engine.Data.ColumnType> { ["n"] = Engine.Data.ColumnType.Int } }));

        e.Message.ShouldContain("column 'n' row 1: 1.5 is not a whole number");
        File.ReadAllText(path).ShouldBe("previous");
        FilesIn("out").ShouldBe(["p.parquet"]);
    }

    [Fact]
    public void An_appender_streams_chunks_into_one_file_that_appears_only_on_commit()
    {
        var path = _repo.PathOf("out/stream.parquet");
        using (var appender = new ParquetFrameAppender(path, options: new ParquetWriteOptions { RowGroupSize = 5 }))
        {
            appender.AppendRowGroup(Panel(6, firstDay: 0));
            appender.AppendRowGroup(Panel(0));
            appender.AppendRowGroup(Panel(4, firstDay: 3));
            File.Exists(path).ShouldBeFalse();
            appender.Commit();
            appender.RowCount.ShouldBe(10);
        }

        FilesIn("out").ShouldBe(["stream.parquet"]);
        using var file = new ParquetFileReader(path);
        file.FileMetaData.NumRowGroups.ShouldBe(3); // 5 + 1, then 4
        var back = DatasetReader.Read(ParquetFrameWriter.DescriptorFor("s", "out/stream.parquet", Panel(1)), _repo.Root);
        back.Time.Distinct().Count().ShouldBe(5);
    }

    [Fact]
    public void Disposing_an_appender_without_commit_deletes_its_temporary_file()
    {
        var path = _repo.PathOf("out/abandoned.parquet");
        using (var appender = new ParquetFrameAppender(path))
        {
            appender.AppendRowGroup(Panel(6));
            Directory.GetFiles(_repo.PathOf("out")).ShouldHaveSingleItem().ShouldContain(".tmp-");
        }

        Directory.GetFiles(_repo.PathOf("out")).ShouldBeEmpty();
    }

    [Fact]
    public void An_appender_refuses_a_chunk_with_other_columns_and_a_commit_with_nothing_appended()
    {
        using var appender = new ParquetFrameAppender(_repo.PathOf("x.parquet"));
        Should.Throw<InvalidOperationException>(appender.Commit).Message.ShouldContain("nothing was appended");

        appender.AppendRowGroup(Panel(2));
        var other = new Frame([Jan1]).AddNumeric("signal", [1]);

        Should.Throw<ArgumentException>(() => appender.AppendRowGroup(other)).Message.ShouldContain("differ from the first chunk");
    }

    [Fact]
    public void A_column_named_like_a_writer_column_is_refused()
    {
        var frame = new Frame([Jan1]).AddNumeric("time", [1]);

        Should.Throw<ArgumentException>(() => ParquetFrameWriter.Write(_repo.PathOf("x.parquet"), frame)).Message.ShouldContain("rename it");
    }
}
