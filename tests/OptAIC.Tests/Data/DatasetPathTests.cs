using OptAIC.Engine.Data;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data;

public sealed class DatasetPathTests : IDisposable
{
    private readonly TempRepo _repo = new();
    private readonly TempRepo _outside = new();

    public DatasetPathTests()
    {
        _repo.Write("data/a.csv", "date,x\n2020-01-01,1\n");
        _outside.Write("secret.csv", "date,x\n2020-01-01,42\n");
    }

    public void Dispose()
    {
        _repo.Dispose();
        _outside.Dispose();
    }

    private static DatasetDescriptor At(string path) => new()
    {
        Name = "d",
        Path = path,
        TimeColumn = "date",
        Columns = [new DatasetColumn("x", ColumnType.Double)],
    };

    [Fact]
    public void A_dot_dot_escape_is_refused()
    {
        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(At("data/../../" + Path.GetFileName(_outside.Root) + "/secret.csv"), _repo.Root));

        e.Message.ShouldContain("leaves the repository root");
    }

    [Fact]
    public void A_dot_dot_that_stays_inside_is_fine()
    {
        DatasetReader.Read(At("data/../data/a.csv"), _repo.Root).RowCount.ShouldBe(1);
    }

    [Fact]
    public void An_absolute_path_outside_is_refused_and_one_inside_is_accepted()
    {
        Should.Throw<DatasetException>(() => DatasetReader.Read(At(_outside.PathOf("secret.csv")), _repo.Root))
            .Message.ShouldContain("leaves the repository root");

        DatasetReader.Read(At(_repo.PathOf("data/a.csv")), _repo.Root).RowCount.ShouldBe(1);
    }

    [Fact]
    public void A_symlinked_file_leading_outside_is_refused()
    {
        File.CreateSymbolicLink(_repo.PathOf("data/link.csv"), _outside.PathOf("secret.csv"));

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(At("data/link.csv"), _repo.Root));

        e.File.ShouldBe("data/link.csv");
        e.Message.ShouldContain("symbolic link");
    }

    [Fact]
    public void A_symlinked_folder_leading_outside_is_refused_inside_a_glob()
    {
        Directory.CreateSymbolicLink(_repo.PathOf("data/ext"), _outside.Root);

        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(At("data/**/*.csv"), _repo.Root));

        e.File.ShouldBe("data/ext/secret.csv");
    }

    [Fact]
    public void A_symlink_that_stays_inside_the_root_is_followed()
    {
        File.CreateSymbolicLink(_repo.PathOf("latest.csv"), _repo.PathOf("data/a.csv"));

        DatasetReader.Read(At("latest.csv"), _repo.Root).Numeric("x").ShouldBe([1.0]);
    }

    [Fact]
    public void A_symlink_loop_under_a_double_star_glob_terminates()
    {
        Directory.CreateSymbolicLink(_repo.PathOf("data/loop"), _repo.PathOf("data"));

        var frame = DatasetReader.Read(At("data/**/a.csv"), _repo.Root);

        frame.RowCount.ShouldBe(1); // the looped folder is the same real folder: entered once
    }

    [Theory]
    [InlineData("data/missing.csv", "file 'data/missing.csv' not found")]
    [InlineData("data/*.parquet", "no file matches the path")]
    [InlineData("data", "is a folder, not a file")]
    public void Paths_matching_nothing_say_so(string path, string problem)
    {
        var e = Should.Throw<DatasetException>(() => DatasetReader.Read(At(path), _repo.Root));

        e.Message.ShouldContain(problem);
        e.Message.ShouldContain("dataset 'd'");
    }

    [Fact]
    public void Glob_stars_match_within_a_folder_and_double_stars_across_folders_sorted_by_path()
    {
        _repo.Write("data/b.csv", "date,x\n2020-01-02,2\n");
        _repo.Write("data/sub/deep/c.csv", "date,x\n2020-01-03,3\n");
        _repo.Write("data/.hidden.csv", "date,x\nbroken\n");

        DatasetReader.Read(At("data/*.csv"), _repo.Root).Numeric("x").ShouldBe([1.0, 2.0]);
        DatasetReader.Read(At("data/**/*.csv"), _repo.Root).Numeric("x").ShouldBe([1.0, 2.0, 3.0]);
        DatasetReader.Read(At("**/c.csv"), _repo.Root).Numeric("x").ShouldBe([3.0]);
        DatasetReader.Read(At("data/?.csv"), _repo.Root).Numeric("x").ShouldBe([1.0, 2.0]);
    }
}
