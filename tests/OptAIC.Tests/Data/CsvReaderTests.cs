using System.Globalization;
using System.Text;
using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

public sealed class CsvReaderTests : IDisposable
{
    private static readonly DateTime Jan1 = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private static DatasetColumn Col(string name, ColumnType type) => new(name, type);

    private static DatasetDescriptor Csv(string path, params DatasetColumn[] columns) => new()
    {
        Name = "test",
        Format = DatasetFormat.Csv,
        Path = path,
        TimeColumn = "date",
        Columns = columns,
    };

    [Fact]
    public void Reads_quoted_fields_with_delimiters_quotes_and_line_breaks_crlf_and_no_final_newline()
    {
        _repo.Write("data/q.csv",
            "date,name,x\r\n" +
            "2020-01-02,\"Smith, J\",1.5\r\n" +
            "2020-01-01,\"say \"\"hi\"\"\r\nthere\",2\r\n" +
            "2020-01-03,plain,NA");
        var d = Csv("data/q.csv", Col("name", ColumnType.String), Col("x", ColumnType.Double));

        var frame = DatasetReader.Read(d, _repo.Root);

        frame.Time.ShouldBe([Jan1, Jan1.AddDays(1), Jan1.AddDays(2)]);
        frame.Text("name").ShouldBe(["say \"hi\"\r\nthere", "Smith, J", "plain"]);
        frame.Numeric("x")[0].ShouldBe(2.0);
        frame.Numeric("x")[1].ShouldBe(1.5);
        double.IsNaN(frame.Numeric("x")[2]).ShouldBeTrue();
        frame.Time.ShouldAllBe(t => t.Kind == DateTimeKind.Utc);
    }

    [Fact]
    public void A_trailing_delimiter_on_the_last_line_without_newline_is_an_empty_last_field()
    {
        _repo.Write("a.csv", "date,x,note\n2020-01-01,1,");
        var frame = DatasetReader.Read(Csv("a.csv", Col("x", ColumnType.Double), Col("note", ColumnType.String)), _repo.Root);

        frame.Text("note").ShouldBe([null]);
        frame.Numeric("x").ShouldBe([1.0]);
    }

    [Fact]
    public void Blank_lines_and_a_byte_order_mark_are_ignored()
    {
        _repo.Write("a.csv", "date,x\n2020-01-01,1\n\n2020-01-02,2\n\n", bom: true);
        var frame = DatasetReader.Read(Csv("a.csv", Col("x", ColumnType.Int)), _repo.Root);

        frame.Numeric("x").ShouldBe([1.0, 2.0]);
    }

    [Fact]
    public void Without_a_header_the_declared_columns_are_the_file_columns_in_order()
    {
        _repo.Write("a.csv", "2020-01-02;3.5;x\n2020-01-01;\"4.0\";\"y;z\"\n");
        var d = Csv("a.csv", Col("date", ColumnType.Date), Col("v", ColumnType.Double), Col("tag", ColumnType.Category)) with
        {
            Csv = new CsvOptions { Delimiter = ';', Header = false },
        };

        var frame = DatasetReader.Read(d, _repo.Root);

        frame.Numeric("v").ShouldBe([4.0, 3.5]);
        frame.Text("tag").ShouldBe(["y;z", "x"]);
    }

    [Fact]
    public void A_panel_is_sorted_by_time_then_entity_and_known_at_adds_the_lag()
    {
        _repo.Write("p.csv",
            "date,ticker,px\n" +
            "2020-01-02,MSFT,20\n" +
            "2020-01-01,MSFT,10\n" +
            "2020-01-02,AAPL,2\n" +
            "2020-01-01,AAPL,1\n");
        var d = Csv("p.csv", Col("px", ColumnType.Double)) with { EntityColumn = "ticker", KnowledgeLag = TimeSpan.FromHours(17) };

        var frame = DatasetReader.Read(d, _repo.Root);

        frame.Entity.ShouldBe(["AAPL", "MSFT", "AAPL", "MSFT"]);
        frame.Numeric("px").ShouldBe([1.0, 10, 2, 20]);
        frame.KnownAt.ShouldBe(frame.Time.Select(t => t.AddHours(17)).ToArray());
    }

    [Fact]
    public void A_known_at_column_plus_the_lag_gives_known_at_and_must_be_present()
    {
        _repo.Write("k.csv", "date,published,x\n2020-01-02,2020-01-09,2\n2020-01-01,2020-01-03T12:00:00Z,1\n");
        var d = Csv("k.csv", Col("x", ColumnType.Double)) with { KnownAtColumn = "published", KnowledgeLag = TimeSpan.FromHours(1) };

        var frame = DatasetReader.Read(d, _repo.Root);

        frame.KnownAt.ShouldBe([Jan1.AddDays(2).AddHours(13), Jan1.AddDays(8).AddHours(1)]);
        frame.ColumnNames.ShouldBe(["x"]);

        _repo.Write("k.csv", "date,published,x\n2020-01-02,,2\n");
        Should.Throw<DatasetException>(() => DatasetReader.Read(d, _repo.Root)).Message.ShouldContain("known-at time is missing");
    }

    [Fact]
    public void Iso_date_times_with_offsets_become_utc_and_other_date_columns_become_iso_text()
    {
        _repo.Write("t.csv",
            "ts,report\n" +
            "2020-01-01T10:00:00+02:00,2019-12-31\n" +
            "2020-01-01 09:30:00.25Z,\n" +
            "2020-01-01T09:00,20191231\n");
        var d = new DatasetDescriptor
        {
            Name = "t",
            Path = "t.csv",
            TimeColumn = "ts",
            Columns = [Col("report", ColumnType.Date)],
        };

        var frame = DatasetReader.Read(d, _repo.Root);

        frame.Time.ShouldBe([
            new DateTime(2020, 1, 1, 8, 0, 0, DateTimeKind.Utc),
            new DateTime(2020, 1, 1, 9, 0, 0, DateTimeKind.Utc),
            new DateTime(2020, 1, 1, 9, 30, 0, 250, DateTimeKind.Utc),
        ]);
        frame.Text("report").ShouldBe(["2019-12-31", "2019-12-31", null]);
    }

    [Fact]
    public void Only_the_requested_columns_are_loaded()
    {
        _repo.Write("a.csv", "date,a,b,c\n2020-01-01,1,x,3\n");
        var d = Csv("a.csv", Col("a", ColumnType.Double), Col("b", ColumnType.String), Col("c", ColumnType.Long));

        var frame = DatasetReader.Read(d, _repo.Root, ["c"]);

        frame.ColumnNames.ShouldBe(["c"]);
        frame.Numeric("c").ShouldBe([3.0]);
    }

    [Fact]
    public void An_unparsable_number_names_file_row_line_column_value_and_fix()
    {
        _repo.Write("data/spx.csv",
            "date,note,close\n" +
            "2020-01-01,\"two\nlines\",1\n" +
            "2020-01-02,x,abc\n");

        var e = Should.Throw<DatasetException>(() =>
            DatasetReader.Read(Csv("data/spx.csv", Col("note", ColumnType.String), Col("close", ColumnType.Double)), _repo.Root));

        e.File.ShouldBe("data/spx.csv");
        e.Row.ShouldBe(2);
        e.Line.ShouldBe(4); // the header, then a row spanning lines 2-3
        e.Column.ShouldBe("close");
        e.Value.ShouldBe("abc");
        e.Message.ShouldContain("data/spx.csv, row 2 (line 4), column 'close'");
        e.Message.ShouldContain("\"abc\"");
        e.Message.ShouldContain("null values");
    }

    [Fact]
    public void A_long_bad_value_is_truncated_in_the_message()
    {
        var junk = new string('z', 500);
        _repo.Write("a.csv", $"date,x\n2020-01-01,{junk}\n");

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(Csv("a.csv", Col("x", ColumnType.Double)), _repo.Root));

        e.Value!.Length.ShouldBeLessThan(50);
        e.Message.Length.ShouldBeLessThan(300);
    }

    [Theory]
    [InlineData("date,x\n2020-13-01,1\n", "not an ISO 8601", "date")]
    [InlineData("date,x\n01/02/2020,1\n", "not an ISO 8601", "date")]
    [InlineData("date,x\n,1\n", "time is missing", "date")]
    [InlineData("date,x\n2020-01-01,1.5\n", "not a 32-bit integer", "x")]
    [InlineData("date,x\n2020-01-01,1,2\n", "the row has 3 fields but the header has 2", null)]
    [InlineData("date,x\n2020-01-01,\"1\n", "quoted field is not closed", null)]
    [InlineData("date,x\n2020-01-01,\"1\"2\n", "after a closing quote", null)]
    [InlineData("date,y\n2020-01-01,1\n", "missing from the header", "x")]
    [InlineData("", "the file is empty", null)]
    public void Bad_input_throws_a_dataset_exception_naming_the_problem(string content, string problem, string? column)
    {
        _repo.Write("a.csv", content);

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(Csv("a.csv", Col("x", ColumnType.Int)), _repo.Root));

        e.Message.ShouldContain(problem);
        e.File.ShouldBe("a.csv");
        e.Column.ShouldBe(column);
    }

    [Fact]
    public void A_date_column_refuses_times_of_day_and_says_to_declare_date_time()
    {
        _repo.Write("a.csv", "date,x\n2020-01-01T10:00:00,1\n");
        var d = Csv("a.csv", Col("date", ColumnType.Date), Col("x", ColumnType.Double));

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(d, _repo.Root));

        e.Message.ShouldContain("declare it datetime");
    }

    [Fact]
    public void Column_names_are_case_sensitive_and_the_error_points_at_the_near_miss()
    {
        _repo.Write("a.csv", "date,Close\n2020-01-01,1\n");

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(Csv("a.csv", Col("close", ColumnType.Double)), _repo.Root));

        e.Message.ShouldContain("the header has 'Close'");
    }

    [Fact]
    public void A_large_file_crossing_buffer_boundaries_reads_every_value_exactly()
    {
        // Quoted fields with quotes and line breaks fall across the 1M-char buffer edges many times.
        var random = new Random(7);
        const int Rows = 120_000;
        var expectedX = new double[Rows];
        var expectedNote = new string[Rows];
        var sb = new StringBuilder("date,note,x\n");
        for (var i = 0; i < Rows; i++)
        {
            expectedX[i] = Math.Round(random.NextDouble() * 1000, 6);
            expectedNote[i] = (i % 7) switch
            {
                0 => $"a \"q\" {i}",
                1 => $"line1\nline2 {i}",
                2 => $"comma, {i}",
                _ => $"n{i}",
            };
            var quoted = "\"" + expectedNote[i].Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            sb.Append(Jan1.AddMinutes(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture))
                .Append(',').Append(i % 3 == 0 ? quoted : expectedNote[i].Contains('"', StringComparison.Ordinal) || expectedNote[i].Contains('\n', StringComparison.Ordinal) || expectedNote[i].Contains(',', StringComparison.Ordinal) ? quoted : expectedNote[i])
                .Append(',').Append(expectedX[i].ToString("R", CultureInfo.InvariantCulture))
                .Append(i % 2 == 0 ? "\r\n" : "\n");
        }
        _repo.Write("big.csv", sb.ToString());

        var frame = DatasetReader.Read(Csv("big.csv", Col("note", ColumnType.String), Col("x", ColumnType.Double)), _repo.Root);

        frame.RowCount.ShouldBe(Rows);
        frame.Numeric("x").ShouldBe(expectedX);
        frame.Text("note").ShouldBe(expectedNote);
        frame.Time[^1].ShouldBe(Jan1.AddMinutes(Rows - 1));
    }

    [Fact]
    public void Reads_the_sp500_daily_file_without_a_final_newline()
    {
        var path = TempRepo.SharedSp500();
        string root, file;
        if (path is null)
        {
            // Outside the project machine: the same shape, written here.
            root = _repo.Root;
            file = "sp500-2000.csv";
            _repo.Write(file, "date,open,high,low,close,adjclose,volume\n2000-01-03,1469.25,1478,1438.359985,1455.219971,1455.219971,931800000\n2000-01-04,1455.219971,1455.219971,1397.430054,1399.420044,1399.420044,1009000000");
            path = _repo.PathOf(file);
        }
        else
        {
            root = Path.GetDirectoryName(path)!;
            file = Path.GetFileName(path);
        }
        var lines = File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToArray();
        var d = new DatasetDescriptor
        {
            Name = "spx",
            Path = file,
            TimeColumn = "date",
            KnowledgeLag = TimeSpan.FromDays(1),
            Columns = [Col("date", ColumnType.Date), Col("close", ColumnType.Double), Col("volume", ColumnType.Long)],
        };

        var frame = DatasetReader.Read(d, root);

        frame.RowCount.ShouldBe(lines.Length);
        frame.Numeric("close")[^1].ShouldBe(double.Parse(lines[^1][4], CultureInfo.InvariantCulture));
        frame.Numeric("volume")[0].ShouldBe(double.Parse(lines[0][6], CultureInfo.InvariantCulture));
        frame.Time[^1].ShouldBe(DateTime.SpecifyKind(DateTime.ParseExact(lines[^1][0], "yyyy-MM-dd", CultureInfo.InvariantCulture), DateTimeKind.Utc));
        frame.KnownAt[0].ShouldBe(frame.Time[0].AddDays(1));
    }
}
