using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

/// <summary>Datasets whose time is not unique per entity: a flight-log shape (several events per origin and minute).</summary>
public sealed class EventPolicyTests : IDisposable
{
    private static readonly DateTime T0 = new(2024, 3, 1, 8, 0, 0, DateTimeKind.Utc);
    private readonly TempRepo _repo = new();

    public EventPolicyTests() =>
        _repo.Write("flights.csv", string.Join('\n',
            "ts,origin,delay,carrier",
            "2024-03-01T08:00:00Z,ATL,5,DL",
            "2024-03-01T08:00:00Z,ATL,7,AA",
            "2024-03-01T08:00:00Z,JFK,1,B6",
            "2024-03-01T08:20:00Z,ATL,-2,DL",
            "2024-03-01T09:10:00Z,ATL,30,UA",
            "2024-03-01T08:40:00Z,JFK,3,B6") + "\n");

    public void Dispose() => _repo.Dispose();

    private Frame Read(EventPolicy policy, EventAggregation? aggregation = null) => DatasetReader.Read(new DatasetDescriptor
    {
        Name = "flights",
        Format = DatasetFormat.Csv,
        Path = "flights.csv",
        TimeColumn = "ts",
        EntityColumn = "origin",
        Events = policy,
        Aggregation = aggregation,
        Columns = [new("delay", ColumnType.Double), new("carrier", ColumnType.Category)],
    }, _repo.Root);

    [Fact]
    public void A_series_refuses_a_repeated_time_naming_the_file_rows_and_the_fix()
    {
        var e = Should.Throw<DatasetException>(() => Read(EventPolicy.Error));

        e.File.ShouldBe("flights.csv");
        e.Row.ShouldBe(2);
        e.Message.ShouldContain("rows 1 and 2 of entity 'ATL'");
        e.Message.ShouldContain("events: keep-all");
    }

    [Fact]
    public void Keep_all_keeps_every_event_in_file_order_within_a_time()
    {
        var frame = Read(EventPolicy.KeepAll);

        frame.RowCount.ShouldBe(6);
        frame.IsEventLog.ShouldBeTrue();
        frame.Numeric("delay")[..3].ShouldBe([5, 7, 1]);
    }

    [Fact]
    public void Keep_last_keeps_the_later_row_of_a_repeated_time()
    {
        var frame = Read(EventPolicy.KeepLast);

        frame.RowCount.ShouldBe(5);
        frame.Numeric("delay")[0].ShouldBe(7);
        frame.Text("carrier")[0].ShouldBe("AA");
    }

    [Fact]
    public void Aggregate_buckets_by_entity_labelled_by_the_bucket_end_with_named_functions()
    {
        var frame = Read(EventPolicy.Aggregate, new EventAggregation(TimeSpan.FromHours(1), new Dictionary<string, string> { ["delay"] = "mean", ["carrier"] = "count" }));

        // ATL 08:00-09:00 {5, 7, -2}, JFK {1, 3}, ATL 09:00-10:00 {30}.
        frame.Time.ShouldBe([T0.AddHours(1), T0.AddHours(1), T0.AddHours(2)]);
        frame.Entity.ShouldBe(["ATL", "JFK", "ATL"]);
        frame.Numeric("delay").ShouldBe([10.0 / 3, 2, 30], tolerance: 1e-12);
        frame.Numeric("carrier").ShouldBe([3, 2, 1]);
        // A bucket is known when it closes, never at its first event.
        frame.KnownAt.ShouldBe(frame.Time);
    }
}
