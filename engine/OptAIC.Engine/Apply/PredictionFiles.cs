using OptAIC.Engine.Data;
using Parquet;

namespace OptAIC.Engine.Apply;

/// <summary>
/// Prediction outputs as Parquet: time, known_at (the as-of time of the features a row used), entity,
/// score, model_version, and a regime model's class and class probabilities. Stored content-addressed
/// in the artifact store; the lineage of a run names the file by its sha256.
/// </summary>
public static class PredictionFiles
{
    public const string MediaType = "application/vnd.apache.parquet";

    public static byte[] Write(Frame output, string scratchFolder, IReadOnlyDictionary<string, string> metadata)
    {
        Directory.CreateDirectory(scratchFolder);
        var path = Path.Combine(scratchFolder, $"predictions-{Guid.NewGuid():N}.parquet");
        try
        {
            ParquetFrameWriter.Write(path, output, metadata);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static Frame Read(byte[] bytes, string scratchFolder)
    {
        Directory.CreateDirectory(scratchFolder);
        var name = $"predictions-{Guid.NewGuid():N}.parquet";
        var path = Path.Combine(scratchFolder, name);
        File.WriteAllBytes(path, bytes);
        try
        {
            var schema = ReadFields(path);
            var fields = schema.Select(f => f.Name).ToList();
            var descriptor = new DatasetDescriptor
            {
                Name = "predictions",
                Format = DatasetFormat.Parquet,
                Path = name,
                TimeColumn = ParquetFrameWriter.TimeColumn,
                KnownAtColumn = fields.Contains(ParquetFrameWriter.KnownAtColumn) ? ParquetFrameWriter.KnownAtColumn : null,
                EntityColumn = fields.Contains(ParquetFrameWriter.EntityColumn) ? ParquetFrameWriter.EntityColumn : null,
                // Text columns (a regime's class_name) stay text; every other output is a number.
                Columns = [.. schema.Select(f => new DatasetColumn(f.Name, f.Name switch
                {
                    ParquetFrameWriter.TimeColumn or ParquetFrameWriter.KnownAtColumn => ColumnType.DateTime,
                    ParquetFrameWriter.EntityColumn => ColumnType.String,
                    _ when f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>) => ColumnType.String,
                    _ => ColumnType.Double,
                }))],
            };
            return DatasetReader.Read(descriptor, scratchFolder);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static List<Parquet.Schema.DataField> ReadFields(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        try
        {
            return [.. reader.Schema.GetDataFields()];
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
