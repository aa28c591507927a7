namespace OptAIC.Engine.Data;

/// <summary>
/// Loads a dataset (CSV or Parquet; one file or a glob of partitions) into a <see cref="Frame"/> sorted
/// by time then entity, with <see cref="Frame.KnownAt"/> = time + knowledge lag. Every value is checked
/// against the declared columns; a problem throws a <see cref="DatasetException"/> naming the place.
/// </summary>
public static class DatasetReader
{
    /// <summary>
    /// Reads <paramref name="columns"/> (all declared columns when null) of the dataset. The time and
    /// entity columns are always read. Numeric columns become doubles (NaN for nulls); String and
    /// Category become text; a Date/DateTime column other than the time becomes ISO 8601 text.
    /// </summary>
    public static Frame Read(DatasetDescriptor dataset, string repositoryRoot, IReadOnlyCollection<string>? columns = null) =>
        SyncOverAsync.Run(() => ReadAsync(dataset, repositoryRoot, columns));

    /// <inheritdoc cref="Read"/>
    public static async Task<Frame> ReadAsync(
        DatasetDescriptor dataset,
        string repositoryRoot,
        IReadOnlyCollection<string>? columns = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var sinks = Plan(dataset, columns);
        var files = DatasetFiles.Resolve(dataset, repositoryRoot);
        // Where each file's rows start in the sinks, to name the file and row of a repeated time.
        var starts = new List<(string File, int Start)>(files.Count);
        if (dataset.Format == DatasetFormat.Parquet)
        {
            var total = 0L;
            foreach (var file in files)
            {
                total += await ParquetDatasetReader.InspectAsync(dataset, file, sinks, cancellationToken).ConfigureAwait(false);
            }
            if (total > Array.MaxLength)
            {
                throw DatasetException.At(new DatasetLocation(dataset.Name), $"the dataset has {total} rows, more than one frame can hold", "Split the dataset, or read fewer partitions");
            }
            foreach (var sink in sinks)
            {
                sink.EnsureCapacity((int)total);
            }
            foreach (var file in files)
            {
                starts.Add((file.RelativePath, sinks[0].Count));
                await ParquetDatasetReader.ReadFileAsync(dataset, file, sinks, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            foreach (var file in files)
            {
                starts.Add((file.RelativePath, sinks[0].Count));
                CsvDatasetReader.ReadFile(dataset, file, sinks, cancellationToken);
            }
        }
        foreach (var sink in sinks)
        {
            sink.Seal();
        }
        var frame = Assemble(dataset, sinks, out var order);
        return EventPolicies.Apply(dataset, frame, row => Where(starts, order is null ? row : order[row]));
    }

    private static (string File, long Row) Where(List<(string File, int Start)> starts, int index)
    {
        for (var f = starts.Count - 1; f >= 0; f--)
        {
            if (index >= starts[f].Start)
            {
                return (starts[f].File, index - starts[f].Start + 1);
            }
        }
        return ("?", index + 1);
    }

    /// <summary>Checks the descriptor and makes one sink per column to load: time, entity, then values.</summary>
    private static List<ColumnSink> Plan(DatasetDescriptor dataset, IReadOnlyCollection<string>? columns)
    {
        var at = new DatasetLocation(dataset.Name);
        if (string.IsNullOrWhiteSpace(dataset.TimeColumn))
        {
            throw DatasetException.At(at, "the dataset has no time column", "Set spec.timeColumn to the column holding each row's date or time");
        }
        if (dataset.KnowledgeLag < TimeSpan.Zero)
        {
            throw DatasetException.At(at, $"the knowledge lag {dataset.KnowledgeLag} is negative", "A row cannot be known before its time: use a lag of zero or more");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in dataset.Columns)
        {
            if (!seen.Add(column.Name))
            {
                throw DatasetException.At(at with { Column = column.Name }, "the column is declared twice", "Remove one of the two declarations from spec.columns");
            }
        }
        if (dataset.Format == DatasetFormat.Csv && dataset.Csv.Delimiter is '"' or '\r' or '\n')
        {
            throw DatasetException.At(at, $"'{dataset.Csv.Delimiter}' cannot be a CSV delimiter", "Use ',', ';', a tab or '|'");
        }

        var timeType = dataset.TypeOf(dataset.TimeColumn) ?? ColumnType.DateTime;
        if (!timeType.IsTemporal())
        {
            throw DatasetException.At(at with { Column = dataset.TimeColumn }, $"the time column is declared {timeType}", "Declare the time column as Date or DateTime");
        }
        var sinks = new List<ColumnSink> { new(dataset.TimeColumn, timeType, ColumnRole.Time, FormatOf(dataset, dataset.TimeColumn, timeType)) };
        if (dataset.EntityColumn is { } entity)
        {
            if (entity == dataset.TimeColumn)
            {
                throw DatasetException.At(at with { Column = entity }, "the entity column is the time column", "Set spec.entityColumn to the asset key column, or remove it for a single series");
            }
            var entityType = dataset.TypeOf(entity) ?? ColumnType.String;
            if (entityType is not (ColumnType.String or ColumnType.Category or ColumnType.Int or ColumnType.Long))
            {
                throw DatasetException.At(at with { Column = entity }, $"the entity column is declared {entityType}", "Declare the entity column as String, Category, Int or Long");
            }
            sinks.Add(new ColumnSink(entity, entityType, ColumnRole.Entity));
        }
        if (dataset.KnownAtColumn is { } knownAt)
        {
            var knownType = dataset.TypeOf(knownAt) ?? ColumnType.DateTime;
            if (knownAt == dataset.TimeColumn || knownAt == dataset.EntityColumn || !knownType.IsTemporal())
            {
                throw DatasetException.At(at with { Column = knownAt }, "the known-at column must be a Date or DateTime column other than the time and entity columns", "Fix spec.knownAtColumn or its declared type");
            }
            sinks.Add(new ColumnSink(knownAt, knownType, ColumnRole.KnownAt, FormatOf(dataset, knownAt, knownType)));
        }

        IEnumerable<DatasetColumn> wanted = dataset.Columns;
        if (columns is not null)
        {
            foreach (var name in columns)
            {
                if (dataset.TypeOf(name) is null && name != dataset.TimeColumn && name != dataset.EntityColumn && name != dataset.KnownAtColumn)
                {
                    throw DatasetException.At(
                        at with { Column = name },
                        "the column is not declared in the dataset",
                        $"Declare it in spec.columns (declared: {string.Join(", ", dataset.Columns.Select(c => c.Name))})");
                }
            }
            var set = new HashSet<string>(columns, StringComparer.Ordinal);
            wanted = dataset.Columns.Where(c => set.Contains(c.Name));
        }
        foreach (var column in wanted)
        {
            if (column.Name != dataset.TimeColumn && column.Name != dataset.EntityColumn && column.Name != dataset.KnownAtColumn)
            {
                sinks.Add(new ColumnSink(column.Name, column.Type, ColumnRole.Value, column.Type.IsTemporal() ? FormatOf(dataset, column.Name, column.Type) : null));
            }
        }
        return sinks;
    }

    private static TimeFormat FormatOf(DatasetDescriptor dataset, string column, ColumnType type)
    {
        var declared = dataset.Columns.FirstOrDefault(c => c.Name == column);
        if (declared is null)
        {
            return TimeFormat.Iso(type == ColumnType.Date);
        }
        try
        {
            return declared.TimeFormat();
        }
        catch (ArgumentException e)
        {
            throw DatasetException.At(new DatasetLocation(dataset.Name, Column: column), e.Message, "Fix the column's format or timeZone in spec.columns");
        }
    }

    private static Frame Assemble(DatasetDescriptor dataset, List<ColumnSink> sinks, out int[]? order)
    {
        var time = sinks[0].Dates;
        var entity = sinks.Find(s => s.Role == ColumnRole.Entity)?.Texts!;
        var known = sinks.Find(s => s.Role == ColumnRole.KnownAt)?.Dates;
        order = SortOrder(time, entity);
        if (order is not null)
        {
            time = Permute(time, order);
            entity = entity is null ? null : Permute(entity, order);
            known = known is null ? null : Permute(known, order);
        }
        var knownAt = KnownAt(dataset, known ?? time, copy: known is null);
        var frame = new Frame(time, entity!, knownAt) { IsEventLog = dataset.Events == EventPolicy.KeepAll };
        foreach (var sink in sinks.Where(s => s.Role == ColumnRole.Value))
        {
            if (sink.HoldsNumbers)
            {
                frame.AddNumeric(sink.Name, order is null ? sink.Numbers : Permute(sink.Numbers, order));
            }
            else if (sink.HoldsDates)
            {
                var dates = order is null ? sink.Dates : Permute(sink.Dates, order);
                var text = new string?[dates.Length];
                for (var i = 0; i < dates.Length; i++)
                {
                    text[i] = dates[i] == default ? null : ValueParsers.FormatIso(dates[i], sink.Type);
                }
                frame.AddText(sink.Name, text);
            }
            else
            {
                frame.AddText(sink.Name, order is null ? sink.Texts : Permute(sink.Texts, order));
            }
        }
        return frame;
    }

    /// <summary>Base times plus the lag; null (KnownAt = Time) for a zero lag without a known-at column.</summary>
    private static DateTime[]? KnownAt(DatasetDescriptor dataset, DateTime[] time, bool copy)
    {
        var lag = dataset.KnowledgeLag;
        if (lag == TimeSpan.Zero)
        {
            return copy ? null : time;
        }
        var latest = DateTime.MaxValue - lag;
        var knownAt = copy ? new DateTime[time.Length] : time;
        for (var i = 0; i < time.Length; i++)
        {
            if (time[i] > latest)
            {
                throw DatasetException.At(
                    new DatasetLocation(dataset.Name, Column: dataset.KnownAtColumn ?? dataset.TimeColumn, Value: time[i].ToString("O")),
                    "time plus the knowledge lag is past the end of the calendar",
                    "Fix the time value or the knowledge lag");
            }
            knownAt[i] = time[i] + lag;
        }
        return knownAt;
    }

    /// <summary>The stable order by (time, entity); null when the rows are already in that order.</summary>
    internal static int[]? SortOrder(DateTime[] time, string?[]? entity)
    {
        var sorted = true;
        for (var i = 1; i < time.Length && sorted; i++)
        {
            var c = time[i - 1].Ticks.CompareTo(time[i].Ticks);
            sorted = c < 0 || (c == 0 && (entity is null || string.CompareOrdinal(entity[i - 1], entity[i]) <= 0));
        }
        if (sorted)
        {
            return null;
        }
        var ranks = new int[time.Length];
        if (entity is not null)
        {
            var distinct = entity.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var rankOf = new Dictionary<string, int>(distinct.Length, StringComparer.Ordinal);
            for (var r = 0; r < distinct.Length; r++)
            {
                rankOf[distinct[r]!] = r;
            }
            for (var i = 0; i < entity.Length; i++)
            {
                ranks[i] = rankOf[entity[i]!];
            }
        }
        var keys = new SortKey[time.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = new SortKey(time[i].Ticks, ranks[i], i);
        }
        Array.Sort(keys);
        var order = new int[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            order[i] = keys[i].Index;
        }
        return order;
    }

    internal static T[] Permute<T>(T[] source, int[] order)
    {
        var result = new T[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            result[i] = source[order[i]];
        }
        return result;
    }

    private readonly record struct SortKey(long Ticks, int Entity, int Index) : IComparable<SortKey>
    {
        public int CompareTo(SortKey other)
        {
            var c = Ticks.CompareTo(other.Ticks);
            if (c != 0)
            {
                return c;
            }
            c = Entity.CompareTo(other.Entity);
            return c != 0 ? c : Index.CompareTo(other.Index);
        }
    }
}
