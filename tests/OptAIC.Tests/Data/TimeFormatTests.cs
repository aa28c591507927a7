using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

/// <summary>Declared time formats and zones, on files the tests write in each shape.</summary>
public sealed class TimeFormatTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private static DateTime Utc(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, DateTimeKind.Utc);

    private Frame Read(string csv, ColumnType type, string? format, string? zone = null)
    {
        _repo.Write("t.csv", csv);
        var dataset = new DatasetDescriptor
        {
            Name = "t",
            Format = DatasetFormat.Csv,
            Path = "t.csv",
            TimeColumn = "when",
            Columns = [new DatasetColumn("when", type) { Format = format, TimeZone = zone }, new DatasetColumn("x", ColumnType.Double)],
        };
        return DatasetReader.Read(dataset, _repo.Root);
    }

    [Fact]
    public void A_strftime_date_like_Jan_1_2000_reads_as_that_date() =>
        Read("when,x\nJan 1 2000,1\nFeb 29 2000,2\nDec 31 2000,3\n", ColumnType.Date, "%b %d %Y").Time
            .ShouldBe([Utc(2000, 1, 1), Utc(2000, 2, 29), Utc(2000, 12, 31)]);

    [Fact]
    public void A_dotnet_custom_format_reads_too() =>
        Read("when,x\n31/01/2020 14:30,1\n01/02/2020 09:05,2\n", ColumnType.DateTime, "dd/MM/yyyy HH:mm").Time
            .ShouldBe([Utc(2020, 1, 31, 14, 30), Utc(2020, 2, 1, 9, 5)]);

    [Theory]
    [InlineData("epoch-s", "1577836800", "1577923200")]
    [InlineData("epoch-ms", "1577836800000", "1577923200000")]
    [InlineData("epoch-us", "1577836800000000", "1577923200000000")]
    public void Epoch_seconds_millis_and_micros_read_as_utc(string format, string first, string second) =>
        Read($"when,x\n{first},1\n{second},2\n", ColumnType.DateTime, format).Time.ShouldBe([Utc(2020, 1, 1), Utc(2020, 1, 2)]);

    [Fact]
    public void Times_without_an_offset_are_in_the_declared_zone_and_become_utc()
    {
        // New York is UTC-5 in January and UTC-4 in July.
        var frame = Read("when,x\n2020-01-15 09:30:00,1\n2020-07-15 09:30:00,2\n2020-07-15T09:30:00Z,3\n", ColumnType.DateTime, null, "America/New_York");

        frame.Time.ShouldBe([Utc(2020, 1, 15, 14, 30), Utc(2020, 7, 15, 9, 30), Utc(2020, 7, 15, 13, 30)]);
    }

    [Fact]
    public void A_value_in_another_format_names_file_row_column_and_the_declared_format()
    {
        var e = Should.Throw<DatasetException>(() => Read("when,x\nJan 1 2000,1\n2000-01-02,2\n", ColumnType.Date, "%b %d %Y"));

        e.File.ShouldBe("t.csv");
        e.Row.ShouldBe(2);
        e.Column.ShouldBe("when");
        e.Message.ShouldContain("'%b %d %Y'");
    }

    [Fact]
    public void Without_a_format_the_error_says_how_to_declare_one()
    {
        var e = Should.Throw<DatasetException>(() => Read("when,x\nJan 1 2000,1\n", ColumnType.Date, null));

        e.Row.ShouldBe(1);
        e.Message.ShouldContain("columns[].format");
    }

    [Fact]
    public void A_date_only_column_refuses_a_time_of_day_even_with_a_format() =>
        Should.Throw<DatasetException>(() => Read("when,x\n2020-01-01 10:00,1\n", ColumnType.Date, "yyyy-MM-dd HH:mm"));

    [Theory]
    [InlineData("%Q", null, "not a supported strftime directive")]
    [InlineData("%Y-%m-%", null, "lone '%'")]
    [InlineData(null, "Mars/Olympus", "not a time zone")]
    public void Bad_formats_and_zones_are_refused_with_a_reason(string? format, string? zone, string reason)
    {
        TimeFormat.TryCreate(format, zone, dateOnly: false, out _, out var problem).ShouldBeFalse();
        problem.ShouldNotBeNull().ShouldContain(reason);
    }
}
