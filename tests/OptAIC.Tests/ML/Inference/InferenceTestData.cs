using OptAIC.Engine.ML.Inference;
using Parquet;
using Parquet.Schema;
using ParquetSharp;

namespace OptAIC.Tests.ML.Inference;

/// <summary>A temporary folder removed with everything in it when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "optaic-inference-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>An input table: a panel (entity set) or a single series, with double feature columns (NaN = missing).</summary>
internal sealed record InputTable(DateTime[] Time, string[]? Entity, string[] FeatureNames, double[][] Features)
{
    public int Rows => Time.Length;

    public float[] RowMajor(int row) => [.. Features.Select(c => (float)c[row])];

    public bool Complete(int row) => Features.All(c => !double.IsNaN(c[row]));

    /// <summary>A panel of <paramref name="entities"/> assets over <paramref name="dates"/> business days, sorted by time then entity.</summary>
    public static InputTable Panel(int dates, int entities, int features, int seed, double missingShare = 0)
    {
        var random = new Random(seed);
        var n = dates * entities;
        var time = new DateTime[n];
        var entity = new string[n];
        var columns = Enumerable.Range(0, features).Select(_ => new double[n]).ToArray();
        var day = new DateTime(2021, 1, 4);
        for (var d = 0; d < dates; d++)
        {
            for (var e = 0; e < entities; e++)
            {
                var i = (d * entities) + e;
                time[i] = day;
                entity[i] = $"A{e:D3}";
                foreach (var c in columns)
                {
                    c[i] = random.NextDouble() < missingShare ? double.NaN : Math.Round((random.NextDouble() * 2) - 1, 4);
                }
            }
            day = day.AddDays(day.DayOfWeek == DayOfWeek.Friday ? 3 : 1);
        }
        return new InputTable(time, entity, [.. Enumerable.Range(0, features).Select(f => $"f{f}")], columns);
    }

    /// <summary>Writes the table as Parquet (via Parquet.Net) in row groups of <paramref name="rowGroupRows"/>; NaN is written as null when <paramref name="nullForNaN"/>.</summary>
    public async Task WriteAsync(string path, int rowGroupRows, bool nullForNaN = false)
    {
        var timeField = new DateTimeDataField("time", DateTimeFormat.Timestamp, isAdjustedToUTC: false, unit: DateTimeTimeUnit.Micros);
        var entityField = new DataField<string>("entity");
        var featureFields = FeatureNames.Select(n => nullForNaN ? (DataField)new DataField<double?>(n) : new DataField<double>(n)).ToArray();
        var fields = new List<Field> { timeField };
        if (Entity is not null)
        {
            fields.Add(entityField);
        }
        fields.AddRange(featureFields);
        await using var stream = System.IO.File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
        for (var start = 0; start < Rows; start += rowGroupRows)
        {
            var n = Math.Min(rowGroupRows, Rows - start);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(timeField, new ReadOnlyMemory<DateTime>(Time, start, n));
            if (Entity is not null)
            {
                await group.WriteAsync(entityField, new ArraySegment<string>(Entity, start, n));
            }
            for (var c = 0; c < featureFields.Length; c++)
            {
                if (nullForNaN)
                {
                    var values = Features[c].Skip(start).Take(n).Select(v => double.IsNaN(v) ? (double?)null : v).ToArray();
                    await group.WriteAsync<double>(featureFields[c], values.AsMemory());
                }
                else
                {
                    await group.WriteAsync(featureFields[c], new ReadOnlyMemory<double>(Features[c], start, n));
                }
            }
        }
    }
}

/// <summary>A batch inference output file, read back with ParquetSharp (an independent Parquet implementation).</summary>
internal sealed record OutputTable(
    IReadOnlyList<string> Columns,
    DateTime[] Time,
    string[]? Entity,
    double[]? Score,
    double[]? Class,
    Dictionary<string, double[]> Probabilities,
    double[] ModelVersion,
    DateTime[] AsOf,
    int RowGroups)
{
    public static OutputTable Read(string path)
    {
        using var file = new ParquetFileReader(path);
        var schema = file.FileMetaData.Schema;
        var names = Enumerable.Range(0, schema.NumColumns).Select(i => schema.Column(i).Name).ToList();
        var groups = file.FileMetaData.NumRowGroups;
        var columns = names.ToDictionary(n => n, _ => new List<object?>());
        for (var g = 0; g < groups; g++)
        {
            using var group = file.RowGroup(g);
            var rows = checked((int)group.MetaData.NumRows);
            for (var c = 0; c < names.Count; c++)
            {
                using var reader = group.Column(c);
                var name = names[c];
                var target = columns[name];
                if (name is "time" or "known_at")
                {
                    target.AddRange(reader.LogicalReader<DateTime>().ReadAll(rows).Cast<object?>());
                }
                else if (name is "entity")
                {
                    target.AddRange(reader.LogicalReader<string>().ReadAll(rows));
                }
                else
                {
                    target.AddRange(reader.LogicalReader<double>().ReadAll(rows).Cast<object?>());
                }
            }
        }
        T[] Get<T>(string name) => [.. columns[name].Cast<T>()];
        return new OutputTable(
            names,
            Get<DateTime>("time"),
            names.Contains("entity") ? Get<string>("entity") : null,
            names.Contains("score") ? Get<double>("score") : null,
            names.Contains("class") ? Get<double>("class") : null,
            names.Where(n => n.StartsWith("p_", StringComparison.Ordinal)).ToDictionary(n => n, Get<double>),
            Get<double>("model_version"),
            Get<DateTime>("known_at"),
            groups);
    }
}

internal static class LinearModel
{
    /// <summary>A linear ONNX model with fixed, irregular weights, and the same computation in double for known answers.</summary>
    public static (byte[] Model, Func<float[], double[]> Expected) Build(int features, int outputs, int seed = 7)
    {
        var random = new Random(seed);
        var w = Enumerable.Range(0, features * outputs).Select(_ => (float)Math.Round((random.NextDouble() * 2) - 1, 3)).ToArray();
        var b = Enumerable.Range(0, outputs).Select(_ => (float)Math.Round((random.NextDouble() * 0.2) - 0.1, 3)).ToArray();
        var model = OnnxGraphBuilder.Linear("x", "y", features, outputs, w, b);
        double[] Expected(float[] x)
        {
            var y = new double[outputs];
            for (var k = 0; k < outputs; k++)
            {
                y[k] = b[k];
                for (var i = 0; i < features; i++)
                {
                    y[k] += (double)x[i] * w[(i * outputs) + k];
                }
            }
            return y;
        }
        return (model, Expected);
    }

    public static OnnxScorer Scorer(byte[] model, IReadOnlyList<string> features, int outputs = 1, int maxBatchRows = 65_536) =>
        new(model, OnnxModelSignature.ForTable("x", "y", features, outputs), new OnnxScorerOptions { MaxBatchRows = maxBatchRows });
}
