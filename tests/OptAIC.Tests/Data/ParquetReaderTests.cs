using OptAIC.Engine.Data;
using ParquetSharp;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

/// <summary>Files written by ParquetSharp (Arrow C++): Snappy, dictionary encoding, logical types.</summary>
public sealed class ParquetReaderTests : IDisposable
{
    private static readonly DateTime Jan1 = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private static DatasetColumn Col(string name, Engine.Data.ColumnType type) => new(name, type);

    private static WriterProperties Snappy() =>
        new WriterPropertiesBuilder().Compression(Compression.Snappy).EnableDictionary().Build();

    /// <summary>A panel of two tickers over <paramref name="days"/> days, in two row groups, rows in reverse order.</summary>
    private string WritePanel(string relative, int days, int firstDay = 0)
    {
        var path = _repo.Prepare(relative);
        var columns = new Column[]
        {
            new Column<Date>("date"),
            new Column<DateTime>("ts", LogicalType.Timestamp(true, TimeUnit.Micros)),
            new Column<string>("ticker", LogicalType.String()),
            new Column<double?>("close"),
            new Column<int>("volume"),
            new Column<long?>("shares"),
            new Column<float>("beta"),
            new Column<bool>("halted"),
            new Column<string>("sector", LogicalType.String()),
            new Column<double[]>("history"),
        };
        using var file = new ParquetFileWriter(path, columns, Snappy());
        var rows = Enumerable.Range(0, days * 2).Reverse().ToArray();
        foreach (var chunk in rows.Chunk((rows.Length + 1) / 2))
        {
            using var group = file.AppendRowGroup();
            using (var w = group.NextColumn().LogicalWriter<Date>())
            {
                w.WriteBatch(chunk.Select(r => new Date(Jan1.AddDays(firstDay + (r / 2)))).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<DateTime>())
            {
                w.WriteBatch(chunk.Select(r => Jan1.AddDays(firstDay + (r / 2)).AddHours(16)).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<string>())
            {
                w.WriteBatch(chunk.Select(r => r % 2 == 0 ? "AAPL" : "MSFT").ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<double?>())
            {
                w.WriteBatch(chunk.Select(r => r % 5 == 3 ? (double?)null : Close(firstDay, r)).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<int>())
            {
                w.WriteBatch(chunk.Select(r => r * 10).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(chunk.Select(r => r % 4 == 1 ? (long?)null : 1L << 40).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<float>())
            {
                w.WriteBatch(chunk.Select(r => r * 0.5f).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<bool>())
            {
                w.WriteBatch(chunk.Select(r => r % 3 == 0).ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<string>())
            {
                w.WriteBatch(chunk.Select(r => r % 2 == 0 ? "Tech" : "Software").ToArray());
            }
            using (var w = group.NextColumn().LogicalWriter<double[]>())
            {
                w.WriteBatch(chunk.Select(r => new[] { r, r + 1.0 }).ToArray());
            }
        }
        file.Close();
        return path;
    }

    private static double Close(int firstDay, int r) => (100 * (firstDay + (r / 2))) + (r % 2);

    private static DatasetDescriptor Panel(string path) => new()
    {
        Name = "panel",
        Format = DatasetFormat.Parquet,
        Path = path,
        TimeColumn = "date",
        EntityColumn = "ticker",
        KnowledgeLag = TimeSpan.FromDays(1),
        Columns =
        [
            Col("date", Engine.Data.ColumnType.Date),
            Col("ts", Engine.Data.ColumnType.DateTime),
            Col("close", Engine.Data.ColumnType.Double),
            Col("volume", Engine.Data.ColumnType.Int),
            Col("shares", Engine.Data.ColumnType.Long),
            Col("beta", Engine.Data.ColumnType.Float),
            Col("halted", Engine.Data.ColumnType.Bool),
            Col("sector", Engine.Data.ColumnType.Category),
        ],
    };

    [Fact]
    public void Reads_a_compressed_dictionary_encoded_file_from_arrow_cpp_sorted_with_nulls_as_nan()
    {
        WritePanel("data/panel.parquet", days: 50);

        var frame = DatasetReader.Read(Panel("data/panel.parquet"), _repo.Root);

        frame.RowCount.ShouldBe(100);
        for (var i = 0; i < 100; i++)
        {
            // Row i after sorting is r = i: day i/2, AAPL (even) before MSFT (odd).
            frame.Time[i].ShouldBe(Jan1.AddDays(i / 2));
            frame.KnownAt[i].ShouldBe(Jan1.AddDays((i / 2) + 1));
            frame.Entity![i].ShouldBe(i % 2 == 0 ? "AAPL" : "MSFT");
            if (i % 5 == 3)
            {
                double.IsNaN(frame.Numeric("close")[i]).ShouldBeTrue();
            }
            else
            {
                frame.Numeric("close")[i].ShouldBe(Close(0, i));
            }
            frame.Numeric("volume")[i].ShouldBe(i * 10);
            frame.Numeric("shares")[i].ShouldBe(i % 4 == 1 ? double.NaN : 1L << 40);
            frame.Numeric("beta")[i].ShouldBe(i * 0.5);
            frame.Numeric("halted")[i].ShouldBe(i % 3 == 0 ? 1 : 0);
            frame.Text("sector")[i].ShouldBe(i % 2 == 0 ? "Tech" : "Software");
            frame.Text("ts")[i].ShouldBe(Jan1.AddDays(i / 2).AddHours(16).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        }
        frame.Time.ShouldAllBe(t => t.Kind == DateTimeKind.Utc);
    }

    [Fact]
    public void Only_requested_columns_are_read_and_undeclared_columns_are_never_touched()
    {
        // 'history' is a list column the reader cannot load; it is not declared, so it is skipped.
        WritePanel("p.parquet", days: 3);

        var frame = DatasetReader.Read(Panel("p.parquet"), _repo.Root, ["close", "sector"]);

        frame.ColumnNames.ShouldBe(["close", "sector"]);
        frame.RowCount.ShouldBe(6);
    }

    [Fact]
    public void A_nested_column_that_is_declared_is_refused_with_a_clear_message()
    {
        WritePanel("p.parquet", days: 2);
        var d = Panel("p.parquet") with { Columns = [.. Panel("p.parquet").Columns, Col("history", Engine.Data.ColumnType.Double)] };

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(d, _repo.Root));

        e.Column.ShouldBe("history");
        e.Message.ShouldContain("nested");
    }

    [Fact]
    public void A_glob_of_partitions_is_read_in_path_order_and_concatenated()
    {
        WritePanel("data/spx/year=2021/part-0.parquet", days: 3, firstDay: 10);
        WritePanel("data/spx/year=2020/part-1.parquet", days: 3, firstDay: 3);
        WritePanel("data/spx/year=2020/part-0.parquet", days: 3, firstDay: 0);
        _repo.Write("data/spx/year=2020/_SUCCESS", "");

        var frame = DatasetReader.Read(Panel("data/spx/**/part-*.parquet"), _repo.Root);

        frame.RowCount.ShouldBe(18);
        frame.Time.Distinct().ShouldBe([.. new[] { 0, 1, 2, 3, 4, 5, 10, 11, 12 }.Select(d => Jan1.AddDays(d))]);
        frame.Numeric("volume").Take(6).ShouldBe([0.0, 10, 20, 30, 40, 50]);
    }

    [Fact]
    public void A_partition_whose_schema_differs_is_named_in_the_error()
    {
        WritePanel("data/part-0.parquet", days: 2);
        var odd = _repo.Prepare("data/part-1.parquet");
        using (var file = new ParquetFileWriter(odd, [new Column<Date>("date"), new Column<string>("ticker", LogicalType.String()), new Column<double>("close")]))
        {
            using var group = file.AppendRowGroup();
            using (var w = group.NextColumn().LogicalWriter<Date>())
            {
                w.WriteBatch([new Date(2020, 1, 1)]);
            }
            using (var w = group.NextColumn().LogicalWriter<string>())
            {
                w.WriteBatch(["X"]);
            }
            using (var w = group.NextColumn().LogicalWriter<double>())
            {
                w.WriteBatch([1.0]);
            }
            file.Close();
        }

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(Panel("data/part-*.parquet"), _repo.Root, ["close"]));

        e.File.ShouldBe("data/part-1.parquet");
        e.Column.ShouldBe("ts"); // the first declared column it lacks
        e.Message.ShouldContain("missing from the file");
    }

    [Fact]
    public void A_declared_type_the_file_does_not_store_is_refused_with_the_stored_type_and_a_fix()
    {
        WritePanel("p.parquet", days: 2);
        var d = Panel("p.parquet") with { Columns = [Col("close", Engine.Data.ColumnType.Int)] };

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(d, _repo.Root));

        e.File.ShouldBe("p.parquet");
        e.Column.ShouldBe("close");
        e.Message.ShouldContain("stores DOUBLE");
        e.Message.ShouldContain("declared Int");
        e.Message.ShouldContain("Declare the column as Double");
    }

    [Fact]
    public void Integer_dates_as_yyyymmdd_and_integer_entities_are_understood()
    {
        var path = _repo.Prepare("i.parquet");
        using (var file = new ParquetFileWriter(path, [new Column<int>("day"), new Column<long>("permno"), new Column<double>("ret")]))
        {
            using var group = file.AppendRowGroup();
            using (var w = group.NextColumn().LogicalWriter<int>())
            {
                w.WriteBatch([20200103, 20200102, 20200102]);
            }
            using (var w = group.NextColumn().LogicalWriter<long>())
            {
                w.WriteBatch([10107, 14593, 10107]);
            }
            using (var w = group.NextColumn().LogicalWriter<double>())
            {
                w.WriteBatch([0.3, 0.2, 0.1]);
            }
            file.Close();
        }
        var d = new DatasetDescriptor
        {
            Name = "crsp",
            Format = DatasetFormat.Parquet,
            Path = "i.parquet",
            TimeColumn = "day",
            EntityColumn = "permno",
            Columns = [Col("day", Engine.Data.ColumnType.Date), Col("permno", Engine.Data.ColumnType.Long), Col("ret", Engine.Data.ColumnType.Double)],
        };

        var frame = DatasetReader.Read(d, _repo.Root);

        frame.Time.ShouldBe([Jan1.AddDays(1), Jan1.AddDays(1), Jan1.AddDays(2)]);
        frame.Entity.ShouldBe(["10107", "14593", "10107"]);
        frame.Numeric("ret").ShouldBe([0.1, 0.2, 0.3]);
    }

    [Fact]
    public void A_null_time_is_reported_with_its_row_counted_across_row_groups()
    {
        var path = _repo.Prepare("n.parquet");
        using (var file = new ParquetFileWriter(path, [new Column<DateTime?>("ts", LogicalType.Timestamp(true, TimeUnit.Millis)), new Column<double>("x")]))
        {
            foreach (var times in new[] { new DateTime?[] { Jan1, Jan1 }, [Jan1, null] })
            {
                using var group = file.AppendRowGroup();
                using (var w = group.NextColumn().LogicalWriter<DateTime?>())
                {
                    w.WriteBatch(times);
                }
                using (var w = group.NextColumn().LogicalWriter<double>())
                {
                    w.WriteBatch([1.0, 2.0]);
                }
            }
            file.Close();
        }
        var d = new DatasetDescriptor { Name = "n", Format = DatasetFormat.Parquet, Path = "n.parquet", TimeColumn = "ts", Columns = [Col("x", Engine.Data.ColumnType.Double)] };

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(d, _repo.Root));

        e.Row.ShouldBe(4);
        e.Column.ShouldBe("ts");
        e.Message.ShouldContain("n.parquet, row 4, column 'ts': the time is missing");
    }

    [Fact]
    public void A_truncated_file_is_reported_as_unreadable_with_its_path()
    {
        var path = WritePanel("data/cut.parquet", days: 5);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(Panel("data/cut.parquet"), _repo.Root));

        e.File.ShouldBe("data/cut.parquet");
        e.Message.ShouldContain("cannot be read");
    }
}
