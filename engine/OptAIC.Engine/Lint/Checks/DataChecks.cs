using OptAIC.Engine.Data;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Lint.Checks;

/// <summary>
/// The checks that read data (plan runs them after lint, on the working tree): each dataset's files
/// against its declaration, and its declared frequency against the times it has. Facts are cached by
/// content version, so an unchanged dataset is read once.
/// </summary>
public static class DataChecks
{
    /// <param name="bind">The dataset's descriptor (paths under the project's dataRoot).</param>
    /// <param name="versionOf">The dataset's content version.</param>
    public static List<Finding> Run(SpecSet specs, string repositoryRoot, Func<string, DatasetDescriptor> bind, Func<DatasetDescriptor, string> versionOf, DatasetFactsCache cache)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var findings = new List<Finding>();
        foreach (var dataset in specs.Datasets.Values)
        {
            var descriptor = bind(dataset.Name);
            DatasetFacts facts;
            try
            {
                facts = cache.Get(descriptor, versionOf(descriptor), repositoryRoot);
            }
            catch (DatasetException e)
            {
                facts = new DatasetFacts(0, null, e.Message);
            }
            var document = dataset.Document;
            if (facts.Problem is { } problem)
            {
                findings.Add(Finding.Error("dataset-data", document.File, document.PositionOf(["spec", "path"]), problem));
                continue;
            }
            var declared = dataset.Value.Frequency;
            if (declared is not null && facts.Frequency is { } actual && !Compatible(declared, actual))
            {
                findings.Add(Finding.Error("dataset-frequency", document.File, document.PositionOf(["spec", "frequency"]),
                    $"declared {declared}, but the data's times are {actual} ({facts.Rows:N0} rows); horizons and embargoes in rows are turned into time with it, so declare frequency: {actual}"));
            }
            var frequency = declared ?? facts.Frequency;
            if (Frequencies.IsPeriodEnd(frequency) && declared is null)
            {
                PublicationLag(specs, dataset, frequency!, findings);
            }
        }
        return findings;
    }

    // Irregular data has no frequency to contradict; business days are days too when a calendar has no weekend rows at all.
    private static bool Compatible(string declared, string actual) => declared == actual;

    /// <summary>A joined table of period-end figures (monthly, quarterly) with no lag and no publication column reads each figure on the day its period ends, before it is published.</summary>
    internal static void PublicationLag(SpecSet specs, Spec<DatasetSpec> dataset, string frequency, List<Finding> findings)
    {
        var spec = dataset.Value;
        if (spec.PublicationColumn is not null || !Durations.TryParse(spec.KnowledgeLag, out var lag) || lag > TimeSpan.Zero)
        {
            return;
        }
        var joinedBy = specs.FeatureSets.Values.FirstOrDefault(f => f.Value.Join.Any(j => j.Dataset == dataset.Name));
        if (joinedBy is null)
        {
            return;
        }
        var document = dataset.Document;
        findings.Add(Finding.Warning("pit-publication-lag", document.File, document.PositionOf(["spec", "knowledgeLag"]),
            $"{frequency} figures dated at their period's end are joined by {joinedBy.Name} with knowledgeLag 0 and no publicationColumn: each value would be used on the day its period ends, before it is published; give the publication delay (knowledgeLag: 30d) or a publicationColumn"));
    }
}
