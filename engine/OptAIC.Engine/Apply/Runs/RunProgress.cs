namespace OptAIC.Engine.Apply.Runs;

/// <summary>Where a run is, for live displays: a stage, and a counter when it has one ("fold" 3 of 5, "scoring chunk" 4 of 11).</summary>
public sealed record RunProgress(string RunId, string Stage, int? Done = null, int? Total = null)
{
    public override string ToString() => Done is { } done && Total is { } total ? $"{Stage} {done}/{total}" : Stage;
}
