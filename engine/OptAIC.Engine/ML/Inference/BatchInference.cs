using System.Diagnostics;
using OptAIC.Engine.Data;
using Parquet;
using Parquet.Schema;

namespace OptAIC.Engine.ML.Inference;

/// <summary>How a batch inference run reads its input and what it publishes.</summary>
public sealed record BatchInferenceOptions
{
    /// <summary>The input's timestamp column; written out as <c>time</c>.</summary>
    public string TimeColumn { get; init; } = "time";

    /// <summary>The input's entity column for a panel (written out as <c>entity</c>); null for a single series.</summary>
    public string? EntityColumn { get; init; }

    /// <summary>
    /// A column holding when each row's features became known; null to use time + <see cref="KnowledgeLag"/>.
    /// Written out as <c>as_of</c>: the knowledge time of the features each score used.
    /// </summary>
    public string? KnownAtColumn { get; init; }

    public TimeSpan KnowledgeLag { get; init; }

    /// <summary>Written to every row's <c>model_version</c>.</summary>
    public string ModelVersion { get; init; } = "";

    public OutputTransform Transform { get; init; } = OutputTransform.None;

    /// <summary>Training-prediction statistics for <c>tanh-zscore</c> and single-series <c>rank</c>.</summary>
    public TransformState? TransformState { get; init; }

    public Guardrails Guardrails { get; init; } = Guardrails.None;

    /// <summary>Rows handed to the scorer per call. Memory is bounded by three input row groups (one read, one scored, one written).</summary>
    public int BatchRows { get; init; } = 65_536;

    /// <summary>Names of the classes for multiclass output (columns <c>prob_&lt;name&gt;</c>); default 0..K-1.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}

/// <summary>What a batch inference run did. Scores are the published (transformed) ones.</summary>
public sealed record BatchInferenceSummary
{
    public required string OutputPath { get; init; }

    public long RowsIn { get; init; }

    public long RowsScored { get; init; }

    /// <summary>Rows not scored (and not written) because a feature was missing (null or NaN).</summary>
    public long RowsSkippedMissingFeatures { get; init; }

    /// <summary>Over finite scores; for multiclass, over the predicted class's probability. NaN when none.</summary>
    public double MinScore { get; init; }

    public double MaxScore { get; init; }

    public double MeanScore { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>Input row groups read (each one is one chunk in memory).</summary>
    public int Chunks { get; init; }

    /// <summary>
    /// The most rows held in memory at once: the row group being read, the one being scored and the chunk
    /// being written (and, for a panel rank, the rows of the latest date, held back until the date is complete).
    /// </summary>
    public int PeakBufferedRows { get; init; }
}

/// <summary>The input of a batch inference run is missing, unreadable, or lacks a column the model needs.</summary>
public sealed class InferenceInputException : Exception
{
    public InferenceInputException(string message)
        : base(message)
    {
    }

    public InferenceInputException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public InferenceInputException()
    {
    }
}

/// <summary>
/// Batch inference: features in, published scores out, with the output transform and guardrails of the
/// model definition applied. The Parquet path streams row group by row group and publishes atomically.
/// </summary>
public static class BatchInference
{
    /// <summary>
    /// Scores a Parquet file and writes the scores to <paramref name="outputPath"/>: columns <c>time</c>,
    /// <c>entity</c> (panels), <c>score</c> (or <c>class</c> and <c>prob_&lt;class&gt;</c> for multiclass),
    /// <c>model_version</c>, <c>as_of</c>; one row per input row whose features were all present, in input order.
    /// The input is read one row group at a time, never whole (reading, scoring and writing overlap, so at
    /// most three row groups are in memory); output goes to a temporary file in the same
    /// folder that is renamed over <paramref name="outputPath"/> only once every chunk passed the guardrails,
    /// so a failed run publishes nothing and leaves no partial file. A panel <c>rank</c> needs the input
    /// sorted by time (a date may span row groups; its rows are held back until the date is complete).
    /// </summary>
    /// <exception cref="GuardrailException">The scores broke a guardrail (counts over the whole run).</exception>
    /// <exception cref="InferenceInputException">The input file or a column is missing or unusable.</exception>
    public static async Task<BatchInferenceSummary> RunAsync(
        string inputPath,
        string outputPath,
        IBatchScorer scorer,
        BatchInferenceOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        options ??= new BatchInferenceOptions();
        var clock = Stopwatch.StartNew();
        var panel = options.EntityColumn is not null;
        CheckOptions(scorer, options, panel);
        if (!File.Exists(inputPath))
        {
            throw new InferenceInputException($"input file '{inputPath}' does not exist");
        }
        var fullOutput = Path.GetFullPath(outputPath);
        if (string.Equals(Path.GetFullPath(inputPath), fullOutput, StringComparison.Ordinal))
        {
            throw new InferenceInputException($"output '{outputPath}' is the input file; write scores elsewhere");
        }
        var folder = Path.GetDirectoryName(fullOutput)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullOutput)}.{Guid.NewGuid():N}.tmp");

        try
        {
            var run = new StreamingRun(inputPath, scorer, options, panel);
            await using (var reader = await OpenAsync(inputPath, cancellationToken))
            {
                run.Resolve(reader.Schema);
                await using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                await using var writer = await ParquetWriter.CreateAsync(run.OutputSchema, stream, null, false, cancellationToken);
                writer.CustomMetadata = new Dictionary<string, string>
                {
                    ["optaic.model_version"] = options.ModelVersion,
                    ["optaic.output_transform"] = options.Transform.ToString(),
                };
                await run.ExecuteAsync(reader, writer, cancellationToken);
            }
            run.Tally.ThrowIfBroken();
            File.Move(temp, fullOutput, overwrite: true);
            return run.Summary(fullOutput, clock.Elapsed);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Scores a frame in memory (the engine's daily path): one score per frame row, NaN where a feature is
    /// missing; transform and guardrails as for files (a panel <c>rank</c> ranks within each date of the frame).
    /// For multiclass output the score is the predicted class index.
    /// </summary>
    /// <exception cref="GuardrailException">The scores broke a guardrail.</exception>
    public static double[] Score(Frame frame, IBatchScorer scorer, BatchInferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(scorer);
        options ??= new BatchInferenceOptions();
        var panel = frame.Entity is not null;
        CheckOptions(scorer, options, panel);

        var f = scorer.FeatureNames.Count;
        var columns = new double[f][];
        for (var c = 0; c < f; c++)
        {
            var name = scorer.FeatureNames[c];
            if (!frame.IsNumeric(name))
            {
                throw new InferenceInputException(
                    $"the frame has no numeric feature column '{name}' (columns: {string.Join(", ", frame.ColumnNames)})");
            }
            columns[c] = frame.Numeric(name);
        }

        var width = scorer.OutputWidth;
        var result = new double[frame.RowCount];
        Array.Fill(result, double.NaN);
        var scoredRows = new List<int>(frame.RowCount);
        var values = new List<double>(frame.RowCount * width);
        var batch = Math.Min(options.BatchRows, Math.Max(frame.RowCount, 1));
        var features = new float[batch * f];
        var raw = new float[batch * width];
        var rowsInBatch = new int[batch];
        var row = 0;
        while (row < frame.RowCount)
        {
            var k = 0;
            for (; row < frame.RowCount && k < batch; row++)
            {
                var complete = true;
                for (var c = 0; c < f && complete; c++)
                {
                    var v = columns[c][row];
                    complete = !double.IsNaN(v);
                    features[(k * f) + c] = (float)v;
                }
                if (complete)
                {
                    rowsInBatch[k++] = row;
                }
            }
            scorer.Score(features.AsSpan(0, k * f), k, raw.AsSpan(0, k * width));
            for (var i = 0; i < k; i++)
            {
                scoredRows.Add(rowsInBatch[i]);
            }
            foreach (var v in raw.AsSpan(0, k * width))
            {
                values.Add(v);
            }
        }

        var n = scoredRows.Count;
        var rowNumbers = scoredRows.Select(r => (long)r).ToArray();
        var tally = new GuardrailTally(options.Guardrails);
        if (options.Transform.IsMulticlass)
        {
            var logits = values.Select(v => (float)v).ToArray();
            var probabilities = new double[n * width];
            var classes = new int[n];
            OutputTransform.ApplyMulticlass(logits, n, width, probabilities, classes);
            tally.Add(probabilities, width, rowNumbers);
            for (var i = 0; i < n; i++)
            {
                result[scoredRows[i]] = classes[i] < 0 ? double.NaN : classes[i];
            }
        }
        else
        {
            var scores = values.ToArray();
            var times = scoredRows.Select(r => frame.Time[r]).ToArray();
            options.Transform.Apply(scores, times, panel, options.TransformState);
            tally.Add(scores, 1, rowNumbers);
            for (var i = 0; i < n; i++)
            {
                result[scoredRows[i]] = scores[i];
            }
        }
        tally.ThrowIfBroken();
        return result;
    }

    private static void CheckOptions(IBatchScorer scorer, BatchInferenceOptions options, bool panel)
    {
        if (options.BatchRows < 1)
        {
            throw new ArgumentException("BatchRows must be at least 1", nameof(options));
        }
        options.Guardrails.Validate();
        var width = scorer.OutputWidth;
        if (options.Transform.IsMulticlass)
        {
            if (width < 2)
            {
                throw new OutputTransformException("output transform 'softmax-argmax' needs a model with one output per class (2 or more); this model outputs 1 value per row");
            }
            if (options.ClassNames is { } names && names.Count != width)
            {
                throw new OutputTransformException($"{names.Count} class names were given for a model with {width} outputs per row");
            }
        }
        else if (width != 1)
        {
            throw new OutputTransformException(
                $"the model outputs {width} values per row; use output transform 'softmax-argmax' for a multiclass model");
        }
        options.Transform.CheckState(options.TransformState, panel);
    }

    private static async Task<ParquetReader> OpenAsync(string path, CancellationToken ct)
    {
        try
        {
            return await ParquetReader.CreateAsync(path, null, ct);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new InferenceInputException($"'{path}' is not a readable Parquet file: {ex.Message}", ex);
        }
    }

    /// <summary>The state of one streaming run: input fields, reusable buffers, held-back rows, counters.</summary>
    private sealed class StreamingRun(string path, IBatchScorer scorer, BatchInferenceOptions options, bool panel)
    {
        private readonly InputBuffers[] _inputBuffers = [new(path), new(path)];
        private readonly ParquetColumns _scoreBuffers = new(path);
        private readonly ParquetColumns _writeBuffers = new(path);
        private readonly int _width = scorer.OutputWidth;
        private readonly bool _multiclass = options.Transform.IsMulticlass;
        private readonly bool _holdDates = panel && options.Transform.Kind == OutputTransformKind.Rank;
        private DataField _time = null!;
        private DataField? _entity;
        private DataField? _knownAt;
        private DataField[] _features = [];
        private DataField _outTime = null!;
        private DataField? _outEntity;
        private DataField? _outScore;
        private DataField? _outClass;
        private DataField[] _outProbabilities = [];
        private DataField _outVersion = null!;
        private DataField _outAsOf = null!;
        private ScoredBlock _pending = new(0, false, false);
        private ScoredBlock[] _chunkBlocks = [];
        private Task _writing = Task.CompletedTask;
        private Task<InputChunk> _reading = Task.FromResult<InputChunk>(null!);
        private int _writingRows;
        private DateTime _emittedBefore = DateTime.MinValue;
        private long _rowsIn;
        private long _rowsScored;
        private int _chunks;
        private int _peakRows;
        private double _min = double.PositiveInfinity;
        private double _max = double.NegativeInfinity;
        private double _sum;
        private long _finite;

        public GuardrailTally Tally { get; } = new(options.Guardrails);

        public ParquetSchema OutputSchema { get; private set; } = null!;

        public void Resolve(ParquetSchema schema)
        {
            DataField Find(string name, string role) =>
                schema.DataFields.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
                ?? throw new InferenceInputException(
                    $"'{path}' has no {role} column '{name}' (columns: {string.Join(", ", schema.DataFields.Select(d => d.Name))})");

            void CheckTime(DataField field)
            {
                if (field.ClrType != typeof(DateTime))
                {
                    throw new InferenceInputException($"'{path}': column '{field.Name}' has type {field.ClrType.Name}; expected a timestamp");
                }
            }

            _time = Find(options.TimeColumn, "time");
            CheckTime(_time);
            if (options.EntityColumn is { } entity)
            {
                _entity = Find(entity, "entity");
                if (!ParquetColumns.IsText(_entity))
                {
                    throw new InferenceInputException($"'{path}': entity column '{entity}' has type {_entity.ClrType.Name}; expected text");
                }
            }
            if (options.KnownAtColumn is { } knownAt)
            {
                _knownAt = Find(knownAt, "known-at");
                CheckTime(_knownAt);
            }
            _features = [.. scorer.FeatureNames.Select(n => Find(n, "feature"))];
            foreach (var buffers in _inputBuffers)
            {
                buffers.Features = new float[_features.Length][];
            }
            foreach (var feature in _features)
            {
                if (!ParquetColumns.IsNumeric(feature))
                {
                    throw new InferenceInputException(
                        $"'{path}': feature column '{feature.Name}' has type {feature.ClrType.Name}; features must be numeric");
                }
            }

            var fields = new List<Field> { (_outTime = Timestamp("time")) };
            if (panel)
            {
                fields.Add(_outEntity = new DataField<string>("entity"));
            }
            if (_multiclass)
            {
                fields.Add(_outClass = new DataField<int>("class"));
                _outProbabilities = [.. Enumerable.Range(0, _width)
                    .Select(k => new DataField<double>("prob_" + (options.ClassNames?[k] ?? k.ToString(System.Globalization.CultureInfo.InvariantCulture))))];
                fields.AddRange(_outProbabilities);
            }
            else
            {
                fields.Add(_outScore = new DataField<double>("score"));
            }
            fields.Add(_outVersion = new DataField<string>("model_version"));
            fields.Add(_outAsOf = Timestamp("as_of"));
            OutputSchema = new ParquetSchema(fields);
            _pending = new ScoredBlock(_width, panel, _multiclass);
            _chunkBlocks = [new ScoredBlock(_width, panel, _multiclass), new ScoredBlock(_width, panel, _multiclass)];
        }

        // INT64 microsecond timestamps (TIMESTAMP_MICROS), not the library's INT96 default: readable by every
        // Parquet reader, and written about twice as fast by Parquet.Net as its logical-type timestamp.
        private static DateTimeDataField Timestamp(string name) => new(name, DateTimeFormat.DateAndTimeMicros);

        /// <summary>
        /// Three stages overlap on the thread pool: row group g+1 is read while g is scored and g-1 is
        /// transformed, checked and written. At most three chunks are in memory.
        /// </summary>
        public async Task ExecuteAsync(ParquetReader reader, ParquetWriter writer, CancellationToken ct)
        {
            try
            {
                await ReadAndScoreAsync(reader, writer, ct);
                await _writing;
            }
            catch
            {
                // Let in-flight reads and writes finish before the reader and writer are disposed; the first
                // error is the one to report.
                foreach (var stage in new Task[] { _reading, _writing })
                {
                    try
                    {
                        await stage;
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                    }
                }
                throw;
            }
        }

        private async Task ReadAndScoreAsync(ParquetReader reader, ParquetWriter writer, CancellationToken ct)
        {
            var f = _features.Length;
            var groups = reader.RowGroupCount;
            if (groups > 0)
            {
                _reading = Task.Run(() => ReadChunkAsync(reader, 0, 0, ct), ct);
            }
            for (var g = 0; g < groups; g++)
            {
                var input = await _reading;
                var nextGroup = g + 1;
                var nextFirst = input.First + input.Rows;
                var nextRows = 0;
                if (nextGroup < groups)
                {
                    // The next row group is read into the other set of buffers while this one is scored.
                    nextRows = checked((int)reader.Metadata!.RowGroups[nextGroup].NumRows);
                    _reading = Task.Run(() => ReadChunkAsync(reader, nextGroup, nextFirst, ct), ct);
                }
                var n = input.Rows;
                var k = input.Complete;
                var kept = input.Kept;
                var time = input.Time;

                var raw = _scoreBuffers.Buffer<float>("raw", k * _width);
                for (var start = 0; start < k; start += options.BatchRows)
                {
                    var m = Math.Min(options.BatchRows, k - start);
                    scorer.Score(input.Matrix.AsSpan(start * f, m * f), m, raw.AsSpan(start * _width, m * _width));
                }

                // The chunk written two row groups ago is done: its write was awaited before the last one started.
                var block = _holdDates ? _pending : _chunkBlocks[g % 2];
                if (!_holdDates)
                {
                    block.Count = 0;
                }
                var offset = block.Count;
                block.Grow(offset + k);
                for (var i = 0; i < k; i++)
                {
                    var r = kept[i];
                    if (_holdDates && time[r] < _emittedBefore)
                    {
                        throw new InferenceInputException(
                            $"'{path}': row {input.First + r} is dated {time[r]:yyyy-MM-dd HH:mm:ss} after rows dated {_emittedBefore:yyyy-MM-dd HH:mm:ss}; " +
                            "the panel rank transform needs the input sorted by time");
                    }
                    block.Time[offset + i] = time[r];
                    block.AsOf[offset + i] = input.KnownAt[r];
                    block.Row[offset + i] = input.First + r;
                    if (input.Entity is not null)
                    {
                        block.Entity![offset + i] = input.Entity[r];
                    }
                }
                block.SetRaw(offset, raw.AsSpan(0, k * _width), k);
                block.Count = offset + k;

                _chunks++;
                _rowsIn += n;
                _rowsScored += k;
                _peakRows = Math.Max(_peakRows, Math.Max(n, block.Count) + _writingRows + nextRows);

                await _writing;
                var ready = _holdDates ? TakeCompleteDates(final: false) : block;
                _writingRows = ready.Count;
                _writing = Task.Run(() => EmitAsync(writer, ready), ct);
            }
            if (_holdDates)
            {
                await _writing;
                var rest = TakeCompleteDates(final: true);
                _writing = EmitAsync(writer, rest);
            }
        }

        /// <summary>Reads row group <paramref name="g"/> into the buffer set of its parity and keeps its complete rows.</summary>
        private async Task<InputChunk> ReadChunkAsync(ParquetReader reader, int g, long first, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            var buffers = _inputBuffers[g % 2];
            var columns = buffers.Columns;
            var f = _features.Length;
            using var group = reader.OpenRowGroupReader(g);
            var n = checked((int)group.RowCount);

            var time = columns.Buffer<DateTime>("time", n);
            await columns.ReadTimesAsync(group, _time, time, n, first, ct);
            var entity = panel ? columns.Buffer<string>("entity", n) : null;
            if (entity is not null)
            {
                await columns.ReadTextAsync(group, _entity!, entity, n, first, ct);
            }
            var knownAt = columns.Buffer<DateTime>("knownAt", n);
            if (_knownAt is not null)
            {
                await columns.ReadTimesAsync(group, _knownAt, knownAt, n, first, ct);
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    knownAt[i] = time[i] + options.KnowledgeLag;
                }
            }
            for (var c = 0; c < f; c++)
            {
                buffers.Features[c] = columns.Buffer<float>("feature:" + _features[c].Name, n);
                await columns.ReadFeatureAsync(group, _features[c], buffers.Features[c], n, ct);
            }
            var matrix = columns.Buffer<float>("features", n * f);
            ParquetColumns.ToRowMajor(buffers.Features, n, matrix);

            // Keep rows whose features are all present, compacting the matrix in place.
            var kept = columns.Buffer<int>("kept", n);
            var k = 0;
            for (var r = 0; r < n; r++)
            {
                var row = matrix.AsSpan(r * f, f);
                if (!HasNaN(row))
                {
                    if (k != r)
                    {
                        row.CopyTo(matrix.AsSpan(k * f, f));
                    }
                    kept[k++] = r;
                }
            }
            return new InputChunk(n, first, time, entity, knownAt, matrix, kept, k);
        }

        public BatchInferenceSummary Summary(string output, TimeSpan duration) => new()
        {
            OutputPath = output,
            RowsIn = _rowsIn,
            RowsScored = _rowsScored,
            RowsSkippedMissingFeatures = _rowsIn - _rowsScored,
            MinScore = _finite == 0 ? double.NaN : _min,
            MaxScore = _finite == 0 ? double.NaN : _max,
            MeanScore = _finite == 0 ? double.NaN : _sum / _finite,
            Duration = duration,
            Chunks = _chunks,
            PeakBufferedRows = _peakRows,
        };

        private static bool HasNaN(ReadOnlySpan<float> row)
        {
            foreach (var v in row)
            {
                if (float.IsNaN(v))
                {
                    return true;
                }
            }
            return false;
        }

        // Takes the held-back rows of every date before the latest one seen (all of them when final).
        private ScoredBlock TakeCompleteDates(bool final)
        {
            var cutoff = DateTime.MaxValue;
            if (!final && _pending.Count > 0)
            {
                cutoff = _pending.Time[0];
                for (var i = 1; i < _pending.Count; i++)
                {
                    cutoff = _pending.Time[i] > cutoff ? _pending.Time[i] : cutoff;
                }
            }
            var (ready, held) = _pending.Split(cutoff);
            _pending = held;
            if (_pending.Count > 0)
            {
                _emittedBefore = cutoff;
            }
            return ready;
        }

        private async Task EmitAsync(ParquetWriter writer, ScoredBlock block)
        {
            var n = block.Count;
            if (n == 0)
            {
                return;
            }
            var values = block.Values;
            if (_multiclass)
            {
                var logits = _writeBuffers.Buffer<float>("logits", n * _width);
                for (var i = 0; i < n * _width; i++)
                {
                    logits[i] = (float)values[i];
                }
                OutputTransform.ApplyMulticlass(logits.AsSpan(0, n * _width), n, _width, values, block.Class!);
            }
            else
            {
                options.Transform.Apply(values.AsSpan(0, n), block.Time.AsSpan(0, n), panel, options.TransformState);
            }
            Tally.Add(values.AsSpan(0, n * _width), _width, block.Row.AsSpan(0, n));
            for (var i = 0; i < n; i++)
            {
                var s = _multiclass ? (block.Class![i] < 0 ? double.NaN : values[(i * _width) + block.Class[i]]) : values[i];
                if (double.IsFinite(s))
                {
                    _min = Math.Min(_min, s);
                    _max = Math.Max(_max, s);
                    _sum += s;
                    _finite++;
                }
            }

            using var group = writer.CreateRowGroup();
            await group.WriteAsync(_outTime, new ReadOnlyMemory<DateTime>(block.Time, 0, n));
            if (_outEntity is not null)
            {
                await group.WriteAsync(_outEntity, new ArraySegment<string>(block.Entity!, 0, n));
            }
            if (_multiclass)
            {
                await group.WriteAsync(_outClass!, new ReadOnlyMemory<int>(block.Class!, 0, n));
                var column = _writeBuffers.Buffer<double>("probability", n);
                for (var k = 0; k < _width; k++)
                {
                    for (var i = 0; i < n; i++)
                    {
                        column[i] = values[(i * _width) + k];
                    }
                    await group.WriteAsync(_outProbabilities[k], new ReadOnlyMemory<double>(column, 0, n));
                }
            }
            else
            {
                await group.WriteAsync(_outScore!, new ReadOnlyMemory<double>(values, 0, n));
            }
            var version = _writeBuffers.Buffer<string>("version", n);
            if (version[n - 1] is null)
            {
                Array.Fill(version, options.ModelVersion);
            }
            await group.WriteAsync(_outVersion, new ArraySegment<string>(version, 0, n));
            await group.WriteAsync(_outAsOf, new ReadOnlyMemory<DateTime>(block.AsOf, 0, n));
        }
    }

    /// <summary>A row group as read: its columns, the features row-major with complete rows first (<c>Kept</c> maps them back).</summary>
    private sealed record InputChunk(int Rows, long First, DateTime[] Time, string[]? Entity, DateTime[] KnownAt, float[] Matrix, int[] Kept, int Complete);

    /// <summary>One of the two sets of read buffers, used by alternate row groups.</summary>
    private sealed class InputBuffers(string path)
    {
        public ParquetColumns Columns { get; } = new(path);

        public float[][] Features { get; set; } = [];
    }

    /// <summary>Scored rows (column-wise) between scoring and writing.</summary>
    private sealed class ScoredBlock(int width, bool panel, bool multiclass)
    {
        public int Count { get; set; }

        public DateTime[] Time { get; private set; } = [];

        public DateTime[] AsOf { get; private set; } = [];

        public long[] Row { get; private set; } = [];

        public string[]? Entity { get; private set; } = panel ? [] : null;

        /// <summary>Row-major, <c>width</c> values per row: raw outputs, then published values.</summary>
        public double[] Values { get; private set; } = [];

        public int[]? Class { get; private set; } = multiclass ? [] : null;

        public void Grow(int rows)
        {
            if (Time.Length >= rows)
            {
                return;
            }
            var size = Math.Max(rows, Time.Length * 2);
            Time = Resize(Time, size);
            AsOf = Resize(AsOf, size);
            Row = Resize(Row, size);
            Values = Resize(Values, size * width);
            if (Entity is not null)
            {
                Entity = Resize(Entity, size);
            }
            if (Class is not null)
            {
                Class = Resize(Class, size);
            }
        }

        public void SetRaw(int offset, ReadOnlySpan<float> raw, int rows)
        {
            var target = Values.AsSpan(offset * width, rows * width);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = raw[i];
            }
        }

        /// <summary>Rows dated before <paramref name="cutoff"/>, and the rest, each in their original order.</summary>
        public (ScoredBlock Ready, ScoredBlock Held) Split(DateTime cutoff)
        {
            var ready = new ScoredBlock(width, panel, multiclass);
            var held = new ScoredBlock(width, panel, multiclass);
            ready.Grow(Count);
            held.Grow(Count);
            for (var i = 0; i < Count; i++)
            {
                var target = Time[i] < cutoff ? ready : held;
                var j = target.Count++;
                target.Time[j] = Time[i];
                target.AsOf[j] = AsOf[i];
                target.Row[j] = Row[i];
                Values.AsSpan(i * width, width).CopyTo(target.Values.AsSpan(j * width, width));
                if (Entity is not null)
                {
                    target.Entity![j] = Entity[i];
                }
            }
            return (ready, held);
        }

        private static T[] Resize<T>(T[] array, int size)
        {
            var copy = new T[size];
            array.CopyTo(copy, 0);
            return copy;
        }
    }
}
