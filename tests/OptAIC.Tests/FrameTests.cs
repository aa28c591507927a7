using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests;

public class FrameTests
{
    [Fact]
    public void KnownBy_keeps_only_rows_known_at_the_decision_time()
    {
        var time = new[] { new DateTime(2020, 1, 1), new DateTime(2020, 1, 2), new DateTime(2020, 1, 3) };
        var known = time.Select(t => t.AddDays(1)).ToArray();
        var frame = new Frame(time, knownAt: known).AddNumeric("x", [1, 2, 3]);

        var visible = frame.KnownBy(new DateTime(2020, 1, 3));

        visible.Numeric("x").ShouldBe([1.0, 2.0]);
    }
}
