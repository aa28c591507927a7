using OptAIC.Engine.Registry;

namespace OptAIC.Engine.Data.Profiles;

/// <summary>Profiles a loaded dataset: every declared column but the time column (whose range the profile keeps), columns in parallel.</summary>
public static class DatasetProfiler
{
    public static DatasetProfile Profile(DatasetDescriptor dataset, Frame frame, string contentVersion, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(frame);
        var columns = dataset.Columns.Where(c => c.Name != dataset.TimeColumn && (frame.HasColumn(c.Name) || c.Name == dataset.EntityColumn)).ToList();
        var profiles = new ColumnProfile[columns.Count];
        Parallel.For(0, columns.Count, i => profiles[i] = ProfileColumn(dataset, frame, columns[i]));
        return new DatasetProfile
        {
            Dataset = dataset.Name,
            ContentVersion = contentVersion,
            CreatedAt = new DateTimeOffset(createdAt.UtcTicks - (createdAt.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero),
            Rows = frame.RowCount,
            From = frame.RowCount == 0 ? null : frame.Time[0],
            To = frame.RowCount == 0 ? null : frame.Time[^1],
            Columns = [.. profiles],
        };
    }

    private static ColumnProfile ProfileColumn(DatasetDescriptor dataset, Frame frame, DatasetColumn column)
    {
        var type = column.Type.ToString().ToLowerInvariant();
        if (column.Name == dataset.EntityColumn && frame.Entity is { } entity)
        {
            return CategoryProfiler.Profile(column.Name, type, entity);
        }
        if (frame.IsCategorical(column.Name))
        {
            return CategoryProfiler.Profile(column.Name, type, frame.Decode(column.Name));
        }
        return frame.IsNumeric(column.Name)
            ? NumericProfiler.Profile(column.Name, type, frame.Numeric(column.Name))
            : CategoryProfiler.Profile(column.Name, type, frame.Text(column.Name));
    }
}
