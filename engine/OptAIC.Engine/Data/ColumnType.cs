namespace OptAIC.Engine.Data;

/// <summary>The declared type of a dataset column. Numeric kinds load as doubles (NaN for nulls).</summary>
public enum ColumnType
{
    Date,
    DateTime,
    Double,
    Float,
    Int,
    Long,
    Bool,
    String,
    Category,
}

/// <summary>The storage format of a dataset.</summary>
public enum DatasetFormat
{
    Csv,
    Parquet,
}

internal static class ColumnTypes
{
    public static bool IsNumeric(this ColumnType type) =>
        type is ColumnType.Double or ColumnType.Float or ColumnType.Int or ColumnType.Long or ColumnType.Bool;

    public static bool IsTemporal(this ColumnType type) => type is ColumnType.Date or ColumnType.DateTime;

    public static bool IsText(this ColumnType type) => type is ColumnType.String or ColumnType.Category;
}
