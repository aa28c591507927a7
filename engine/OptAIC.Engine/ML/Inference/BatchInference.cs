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

    /// <summary>The registered version number, written to every row's <c>model_version</c>.</summary>
    public int ModelVersion { get; init; }

    public OutputTransform Transform { get; init; } = OutputTransform.None;

    /// <summary>Training-prediction statistics for <c>tanh-zscore</c> and single-series <c>rank</c>.</summary>
    public TransformState? TransformState { get; init; }

    public Guardrails Guardrails { get; init; } = Guardrails.None;

    /// <summary>Rows handed to the scorer per call. Memory is bounded by three input row groups (one read, one scored, one written).</summary>
    public int BatchRows { get; init; } = 65_536;

    /// <summary>Names of the classes for multiclass output (columns <c>p_&lt;name&gt;</c>); default 0..K-1.</summary>
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
    /// Scores a Parquet file and writes the predictions to <paramref name="outputPath"/> in the engine's
    /// prediction format: <c>time</c>, <c>known_at</c> (when the features a score used were known),
    /// <c>entity</c> (panels), <c>score</c> (for multiclass the predicted class, with <c>class</c> and
    /// <c>p_&lt;class&gt;</c>), <c>model_version</c>; one row per input row whose features were all present,
    /// in input order. The input is read one row group at a time, never whole (reading, scoring and writing
    /// overlap, so at most three row groups are in memory); output goes to a temporary file in the same
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
        CheckOptions(scorer, options, options.EntityColumn is not null);
        if (!File.Exists(inputPath))
        {
            throw new InferenceInputException($"input file '{inputPath}' does not exist");
        }
        if (string.Equals(Path.GetFullPath(inputPath), Path.GetFullPath(outputPath), StringComparison.Ordinal))
        {
            throw new InferenceInputException($"output '{outputPath}' is the input file; write scores elsewhere");
        }
        await using var input = await ParquetScoringInput.OpenAsync(inputPath, scorer.FeatureNames, options, cancellationToken);
        return await RunAsync(input, outputPath, scorer, options, clock, cancellationToken);
    }

    /// <summary>
    /// Scores the rows of a frame (apply's infer step: the features computed from the datasets) into a
    /// prediction file, exactly as <see cref="RunAsync(string, string, IBatchScorer, BatchInferenceOptions?, CancellationToken)"/>
    /// scores a file: <see cref="BatchInferenceOptions.BatchRows"/> rows at a time, with the frame's own
    /// time, known-at times and entities (the time/entity/known-at column options are not read).
    /// </summary>
    public static Task<BatchInferenceSummary> RunAsync(
        Frame rows,
        string outputPath,
        IBatchScorer scorer,
        BatchInferenceOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(scorer);
        options ??= new BatchInferenceOptions();
        var clock = Stopwatch.StartNew();
        CheckOptions(scorer, options, rows.Entity is not null);
        return RunAsync(new FrameScoringInput(rows, scorer.FeatureNames, options.BatchRows), outputPath, scorer, options, clock, cancellationToken);
    }

    private static async Task<BatchInferenceSummary> RunAsync(
        IScoringInput input, string outputPath, IBatchScorer scorer, BatchInferenceOptions options, Stopwatch clock, CancellationToken cancellationToken)
    {
        var fullOutput = Path.GetFullPath(outputPath);
        var folder = Path.GetDirectoryName(fullOutput)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullOutput)}.{Guid.NewGuid():N}.tmp");

        try
        {
            var run = new StreamingRun(input, scorer, options);
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                await using var writer = await ParquetWriter.CreateAsync(run.OutputSchema, stream, null, false, cancellationToken);
                writer.CustomMetadata = new Dictionary<string, string>
                {
                    ["optaic.model_version"] = options.ModelVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["optaic.output_transform"] = options.Transform.ToString(),
                };
                await run.ExecuteAsync(writer, cancellationToken);
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
                throw new OutputTransformException($"output transform '{options.Transform}' needs a model with one output per class (2 or more); this model outputs 1 value per row");
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

    /// <summary>The state of one streaming run: reusable buffers, held-back rows, counters.</summary>
    private sealed class StreamingRun
    {
        private readonly IScoringInput _input;
        private readonly IBatchScorer _scorer;
        private readonly BatchInferenceOptions _options;
        private readonly bool _panel;
        private readonly InputBuffers[] _inputBuffers;
        private readonly ParquetColumns _scoreBuffers;
        private readonly ParquetColumns _writeBuffers;
        private readonly int _width;
        private readonly bool _multiclass;
        private readonly bool _holdDates;
        private readonly DataField _outTime;
        private readonly DataField _outKnownAt;
        private readonly DataField? _outEntity;
        private readonly DataField _outScore;
        private readonly DataField? _outClass;
        private readonly DataField[] _outProbabilities = [];
        private readonly DataField _outVersion;
        private ScoredBlock _pending;
        private readonly ScoredBlock[] _chunkBlocks;
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

        public StreamingRun(IScoringInput input, IBatchScorer scorer, BatchInferenceOptions options)
        {
            _input = input;
            _scorer = scorer;
            _options = options;
            _panel = input.IsPanel;
            _inputBuffers = [new(input.Description, scorer.FeatureNames.Count), new(input.Description, scorer.FeatureNames.Count)];
            _scoreBuffers = new(input.Description);
            _writeBuffers = new(input.Description);
            _width = scorer.OutputWidth;
            _multiclass = options.Transform.IsMulticlass;
            _holdDates = _panel && options.Transform.Kind == OutputTransformKind.Rank;
            Tally = new(options.Guardrails);

            // The engine's prediction format (what PredictionFiles reads back): numbers as doubles.
            var fields = new List<Field> { (_outTime = Timestamp(ParquetFrameWriter.TimeColumn)), (_outKnownAt = Timestamp(ParquetFrameWriter.KnownAtColumn)) };
            if (_panel)
            {
                fields.Add(_outEntity = new DataField<string>(ParquetFrameWriter.EntityColumn));
            }
            fields.Add(_outScore = new DataField<double>("score"));
            if (_multiclass)
            {
                fields.Add(_outClass = new DataField<double>("class"));
                _outProbabilities = [.. Enumerable.Range(0, _width)
                    .Select(k => new DataField<double>("p_" + (options.ClassNames?[k] ?? k.ToString(System.Globalization.CultureInfo.InvariantCulture))))];
                fields.AddRange(_outProbabilities);
            }
            fields.Add(_outVersion = new DataField<double>("model_version"));
            OutputSchema = new ParquetSchema(fields);
            _pending = new ScoredBlock(_width, _panel, _multiclass);
            _chunkBlocks = [new ScoredBlock(_width, _panel, _multiclass), new ScoredBlock(_width, _panel, _multiclass)];
        }

        public GuardrailTally Tally { get; }

        public ParquetSchema OutputSchema { get; }

        // INT64 microsecond timestamps (TIMESTAMP_MICROS), not the library's INT96 default: readable by every
        // Parquet reader, and written about twice as fast by Parquet.Net as its logical-type timestamp.
        private static DateTimeDataField Timestamp(string name) => new(name, DateTimeFormat.DateAndTimeMicros);

        /// <summary>
        /// Three stages overlap on the thread pool: row group g+1 is read while g is scored and g-1 is
        /// transformed, checked and written. At most three chunks are in memory.
        /// </summary>
        public async Task ExecuteAsync(ParquetWriter writer, CancellationToken ct)
        {
            try
            {
                await ReadAndScoreAsync(writer, ct);
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

        private async Task ReadAndScoreAsync(ParquetWriter writer, CancellationToken ct)
        {
            var f = _scorer.FeatureNames.Count;
            var groups = _input.ChunkCount;
            if (groups > 0)
            {
                _reading = Task.Run(() => _input.ReadAsync(0, 0, _inputBuffers[0], ct), ct);
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
                    nextRows = _input.RowsIn(nextGroup);
                    _reading = Task.Run(() => _input.ReadAsync(nextGroup, nextFirst, _inputBuffers[nextGroup % 2], ct), ct);
                }
                var n = input.Rows;
                var k = input.Complete;
                var kept = input.Kept;
                var time = input.Time;

                var raw = _scoreBuffers.Buffer<float>("raw", k * _width);
                for (var start = 0; start < k; start += _options.BatchRows)
                {
                    var m = Math.Min(_options.BatchRows, k - start);
                    _scorer.Score(input.Matrix.AsSpan(start * f, m * f), m, raw.AsSpan(start * _width, m * _width));
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
                            $"{_input.Description}: row {input.First + r} is dated {time[r]:yyyy-MM-dd HH:mm:ss} after rows dated {_emittedBefore:yyyy-MM-dd HH:mm:ss}; " +
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
                var raw = _writeBuffers.Buffer<float>("raw", n * _width);
                for (var i = 0; i < n * _width; i++)
                {
                    raw[i] = (float)values[i];
                }
                _options.Transform.Classify(raw.AsSpan(0, n * _width), n, _width, values, block.Class!);
            }
            else
            {
                _options.Transform.Apply(values.AsSpan(0, n), block.Time.AsSpan(0, n), _panel, _options.TransformState);
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
            await group.WriteAsync(_outKnownAt, new ReadOnlyMemory<DateTime>(block.AsOf, 0, n));
            if (_outEntity is not null)
            {
                await group.WriteAsync(_outEntity, new ArraySegment<string>(block.Entity!, 0, n));
            }
            if (_multiclass)
            {
                // score and class are the predicted class (NaN when a row has none).
                var predicted = _writeBuffers.Buffer<double>("class", n);
                for (var i = 0; i < n; i++)
                {
                    predicted[i] = block.Class![i] < 0 ? double.NaN : block.Class[i];
                }
                await group.WriteAsync(_outScore, new ReadOnlyMemory<double>(predicted, 0, n));
                await group.WriteAsync(_outClass!, new ReadOnlyMemory<double>(predicted, 0, n));
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
                await group.WriteAsync(_outScore, new ReadOnlyMemory<double>(values, 0, n));
            }
            var version = _writeBuffers.Buffer<double>("version", n);
            if (version[n - 1] != _options.ModelVersion || version[0] != _options.ModelVersion)
            {
                Array.Fill(version, _options.ModelVersion);
            }
            await group.WriteAsync(_outVersion, new ReadOnlyMemory<double>(version, 0, n));
        }
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
