using OptAIC.Tests.Apply;
using OptAIC.Tests.Cli;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>The real <c>optaic serve</c> refuses a bad <c>--watch-remote</c> interval or <c>--log-requests</c> level in one line, exit 2, before it listens.</summary>
public sealed class ServeOptionTests
{
    [Theory]
    [InlineData("--watch-remote", "0.5s", "--watch-remote 0.5s: give an interval from 1s to 24h, such as 30s, 5m or 1h")]
    [InlineData("--watch-remote", "soon", "--watch-remote soon: give an interval from 1s to 24h")]
    [InlineData("--log-requests", "everything", "--log-requests everything: give summary (the default: no input data) or bodies")]
    public void A_bad_value_is_one_line_and_exit_2(string option, string value, string message)
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);

        var (exit, output, error) = OptaicProcess.Run(repo.Path, null, "serve", "--port", "0", option, value);

        exit.ShouldBe(2, output + error);
        error.ShouldContain(message);
        error.ShouldNotContain("   at ");
        output.ShouldNotContain("listening");
    }
}
