using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Data.Profiles;

/// <summary>
/// Records the profile of each dataset's current content version in the registry, once per content version
/// (<c>models/datasets/&lt;dataset&gt;/&lt;contentVersion&gt;.yaml</c>). Apply calls <see cref="RecordMissing"/>
/// before its commit, so the profiles go into the same commit as the runs that read the data.
/// </summary>
public static class DatasetProfiles
{
    /// <summary>
    /// Profiles each dataset of the plan's context whose content version has no profile yet. A dataset that
    /// cannot be read (or that changed since planning) is left for the next apply; profiling never fails an apply.
    /// Returns the profiles written.
    /// </summary>
    public static IReadOnlyList<DatasetProfile> RecordMissing(ReconcileSession session, PlanningContext context)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(context);
        var written = new List<DatasetProfile>();
        foreach (var (name, version) in context.DatasetVersions.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            try
            {
                if (session.Registry.HasDatasetProfile(name, version))
                {
                    continue;
                }
                var dataset = SpecBindings.Dataset(session.Specs, name);
                if (!string.Equals(session.VersionCache.VersionOf(dataset, session.RepositoryRoot), version, StringComparison.Ordinal))
                {
                    continue; // the files changed while apply ran: the next apply profiles what is there then
                }
                var frame = DatasetReader.Read(dataset, session.RepositoryRoot);
                var profile = DatasetProfiler.Profile(dataset, frame, version, context.Now);
                if (session.Registry.WriteDatasetProfile(profile))
                {
                    written.Add(profile);
                }
            }
            catch (Exception e) when (e is DatasetException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Unreadable data fails the runs that read it, with their own errors; its profile waits.
            }
        }
        return written;
    }
}
