using System.Globalization;
using OptAIC.Cli.Init;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Data.Profiles;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Data.Profiles;

public class DatasetProfileTests
{
    [Fact]
    public void A_numeric_column_profile_has_exact_moments_quantiles_and_a_histogram_of_every_present_value()
    {
        var values = Enumerable.Range(1, 1001).Select(i => (double)i).Concat([double.NaN, double.NaN]).ToArray();

        var profile = NumericProfiler.Profile("x", "double", values);

        profile.Count.ShouldBe(1001);
        profile.Missing.ShouldBe(2);
        profile.Min.ShouldBe(1);
        profile.Max.ShouldBe(1001);
        profile.Mean.ShouldBe(501);
        profile.Std!.Value.ShouldBe(Math.Sqrt(Enumerable.Range(1, 1001).Sum(i => (i - 501.0) * (i - 501.0)) / 1000), 1e-9);
        profile.Quantiles!["p50"].ShouldBe(501);
        profile.Quantiles["p25"].ShouldBe(251);
        profile.Quantiles["p99"].ShouldBe(991);
        profile.Histogram!.Counts.Count.ShouldBe(NumericProfiler.Bins);
        profile.Histogram.Edges.Count.ShouldBe(NumericProfiler.Bins + 1);
        profile.Histogram.Counts.Sum().ShouldBe(1001);
        ((double)profile.Distinct!.Value).ShouldBe(1001, 15);
    }

    [Fact]
    public void HyperLogLog_estimates_a_large_distinct_count_within_two_percent_and_merges()
    {
        var a = new HyperLogLog();
        var b = new HyperLogLog();
        for (var i = 0; i < 200_000; i++)
        {
            (i % 2 == 0 ? a : b).Add(i * 0.5);
            a.Add(i % 100); // repeats count once
        }

        a.Merge(b);

        ((double)a.Estimate()).ShouldBe(200_000, 200_000 * 0.02);
    }

    [Fact]
    public void A_text_column_gets_counts_per_category_and_identifiers_get_none()
    {
        var values = new[] { "tech", "tech", "energy", null, "tech", "energy", "banks" };

        var profile = CategoryProfiler.Profile("sector", "category", values);

        profile.Count.ShouldBe(6);
        profile.Missing.ShouldBe(1);
        profile.Distinct.ShouldBe(3);
        profile.Top!.Select(t => (t.Value, t.Count)).ShouldBe([("tech", 3L), ("energy", 2L), ("banks", 1L)]);
        profile.Other.ShouldBe(0);
        profile.Mean.ShouldBeNull();

        var ids = CategoryProfiler.Profile("id", "string", Enumerable.Range(0, 100).Select(i => (string?)$"row-{i}").ToList());
        ids.Top.ShouldBeNull("mostly unique values are identifiers: no value is recorded");
        ids.Distinct.ShouldBe(100);
    }

    [Fact]
    public async Task Apply_records_one_profile_per_content_version_with_the_data_s_numbers_and_verify_stays_clean()
    {
        using var folder = new TempFolder("optaic-profiles");
        var root = RepositoryScaffold.Create(folder.File("repo"), "demo", null, "0.0.0-test").Root;
        var csv = Path.Combine(root, "specs/data/prices.csv");

        (await new Applier(ReconcileSession.Open(root)).ApplyAsync()).CommitSha.ShouldNotBeNull();

        var session = ReconcileSession.Open(root);
        var version = session.PlanningContext().DatasetVersions["prices"];
        var profile = session.Registry.GetDatasetProfile("prices", version).ShouldNotBeNull();
        var profiles = Path.Combine(session.Registry.Root, "datasets", "prices");
        Directory.GetFiles(profiles).Select(Path.GetFileName).ShouldBe([version + ".yaml"]);
        ShouldDescribe(profile, csv);
        using (var git = GitRepository.Open(root))
        {
            git.ReadFileAtCommit("HEAD", $"models/datasets/prices/{version}.yaml").ShouldNotBeNull("the profile is in apply's commit");
        }
        session.Registry.ListInstances().ShouldNotContain("datasets");

        // Unchanged data: no new profile, the file untouched.
        var written = File.GetLastWriteTimeUtc(Path.Combine(profiles, version + ".yaml"));
        await new Applier(ReconcileSession.Open(root)).ApplyAsync();
        Directory.GetFiles(profiles).Length.ShouldBe(1);
        File.GetLastWriteTimeUtc(Path.Combine(profiles, version + ".yaml")).ShouldBe(written);

        // Appended rows (one with a missing sentiment): a profile for the new content version beside the old one.
        File.AppendAllText(csv, "2023-05-01,101.5000,1200000,\n2023-05-02,102.2500,1100000,0.5000\n");
        await new Applier(ReconcileSession.Open(root)).ApplyAsync();
        session = ReconcileSession.Open(root);
        var next = session.PlanningContext().DatasetVersions["prices"];
        next.ShouldNotBe(version);
        Directory.GetFiles(profiles).Length.ShouldBe(2);
        var appended = session.Registry.GetDatasetProfile("prices", next).ShouldNotBeNull();
        ShouldDescribe(appended, csv);
        appended.Columns.Single(c => c.Name == "sentiment").Missing.ShouldBe(1);
        session.Registry.GetDatasetProfiles("prices").Select(p => p.ContentVersion).ShouldBe([version, next]);

        var problems = RegistryCheck.Full(session.Registry, root).Problems;
        problems.ShouldBeEmpty(string.Join("; ", problems.Select(p => p.Message)));
    }

    [Fact]
    public void Verify_reports_a_profile_that_names_another_content_version()
    {
        using var folder = new TempFolder("optaic-profiles");
        var store = new RegistryStore(folder.File("models"));
        store.WriteDatasetProfile(new DatasetProfile { Dataset = "prices", ContentVersion = "abc", Rows = 1 }).ShouldBeTrue();
        store.WriteDatasetProfile(new DatasetProfile { Dataset = "prices", ContentVersion = "abc", Rows = 2 }).ShouldBeFalse("a profile is written once");
        File.Move(store.DatasetProfilePath("prices", "abc"), store.DatasetProfilePath("prices", "def"));

        var problem = store.Verify().Problems.ShouldHaveSingleItem();

        problem.Kind.ShouldBe(RegistryProblemKind.MalformedRecord);
        problem.Message.ShouldContain("the record says 'prices' at abc");
    }

    /// <summary>The profile's count, missing, min, max and mean of each column, against the CSV computed here.</summary>
    private static void ShouldDescribe(DatasetProfile profile, string csv)
    {
        var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        profile.Rows.ShouldBe(rows.Count);
        profile.From.ShouldBe(DateTime.Parse(rows[0][0], CultureInfo.InvariantCulture));
        profile.To.ShouldBe(DateTime.Parse(rows[^1][0], CultureInfo.InvariantCulture));
        profile.Columns.Select(c => c.Name).ShouldBe(header.Skip(1));
        for (var c = 1; c < header.Length; c++)
        {
            var present = rows.Where(r => r[c].Length > 0).Select(r => double.Parse(r[c], CultureInfo.InvariantCulture)).ToList();
            var column = profile.Columns.Single(p => p.Name == header[c]);
            column.Count.ShouldBe(present.Count, header[c]);
            column.Missing.ShouldBe(rows.Count - present.Count, header[c]);
            column.Min.ShouldBe(present.Min(), header[c]);
            column.Max.ShouldBe(present.Max(), header[c]);
            column.Mean!.Value.ShouldBe(present.Average(), 1e-9 * Math.Max(1, Math.Abs(present.Average())), header[c]);
            column.Histogram!.Counts.Sum().ShouldBe(present.Count, header[c]);
        }
    }
}
