namespace OptAIC.Engine.Data;

/// <summary>
/// A column-oriented table in memory: one time column, an optional entity column (panels), numeric
/// columns as <see cref="double"/> arrays (NaN is missing) and text columns. Row order is the
/// order of <see cref="Time"/> (and entity within a time) once a dataset is loaded.
/// </summary>
public sealed class Frame
{
    private readonly Dictionary<string, double[]> _numeric = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?[]> _text = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _categories = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public Frame(DateTime[] time, string[]? entity = null, DateTime[]? knownAt = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (entity is not null && entity.Length != time.Length)
        {
            throw new ArgumentException("entity column length differs from time column length", nameof(entity));
        }
        if (knownAt is not null && knownAt.Length != time.Length)
        {
            throw new ArgumentException("knownAt column length differs from time column length", nameof(knownAt));
        }
        Time = time;
        Entity = entity;
        KnownAt = knownAt ?? time;
    }

    /// <summary>The event time of each row (the dataset's time column).</summary>
    public DateTime[] Time { get; }

    /// <summary>When each row became known: event time plus the dataset's knowledge lag.</summary>
    public DateTime[] KnownAt { get; }

    /// <summary>The entity key of each row for a panel; null for a single series.</summary>
    public string[]? Entity { get; }

    public int RowCount => Time.Length;

    /// <summary>An event log (a dataset declared <c>events: keep-all</c>): rows of one entity may share a time.</summary>
    public bool IsEventLog { get; init; }

    public IReadOnlyList<string> ColumnNames => _order;

    public IReadOnlyDictionary<string, double[]> NumericColumns => _numeric;

    public IReadOnlyDictionary<string, string?[]> TextColumns => _text;

    /// <summary>
    /// Categorical columns (features computed from a <c>category</c> column): numeric columns whose values
    /// are codes, code c standing for <c>Categories[name][c]</c> (NaN where the text is missing).
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Categories => _categories;

    public bool IsCategorical(string name) => _categories.ContainsKey(name);

    public bool HasColumn(string name) => _numeric.ContainsKey(name) || _text.ContainsKey(name);

    public bool IsNumeric(string name) => _numeric.ContainsKey(name);

    public Frame AddNumeric(string name, double[] values)
    {
        CheckNewColumn(name, values.Length);
        _numeric[name] = values;
        _order.Add(name);
        return this;
    }

    /// <summary>Adds a categorical column: codes into <paramref name="levels"/> (NaN for missing).</summary>
    public Frame AddCategorical(string name, double[] codes, string[] levels)
    {
        AddNumeric(name, codes);
        _categories[name] = levels;
        return this;
    }

    /// <summary>A categorical column's values as text (null where missing).</summary>
    public string?[] Decode(string name)
    {
        var levels = _categories.TryGetValue(name, out var l)
            ? l
            : throw new KeyNotFoundException($"no categorical column '{name}' (columns: {string.Join(", ", _order)})");
        var codes = _numeric[name];
        var result = new string?[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            var c = codes[i];
            result[i] = double.IsNaN(c) || c < 0 || c >= levels.Length ? null : levels[(int)c];
        }
        return result;
    }

    public Frame AddText(string name, string?[] values)
    {
        CheckNewColumn(name, values.Length);
        _text[name] = values;
        _order.Add(name);
        return this;
    }

    public double[] Numeric(string name) =>
        _numeric.TryGetValue(name, out var values)
            ? values
            : throw new KeyNotFoundException($"no numeric column '{name}' (columns: {string.Join(", ", _order)})");

    public string?[] Text(string name) =>
        _text.TryGetValue(name, out var values)
            ? values
            : throw new KeyNotFoundException($"no text column '{name}' (columns: {string.Join(", ", _order)})");

    /// <summary>
    /// A new frame holding the given rows, in the given order, and only the named columns (null: all). Frames
    /// never change their column arrays, so when the rows are all rows in order the columns are shared, not copied.
    /// </summary>
    public Frame Select(IReadOnlyList<int> rows, IReadOnlyCollection<string>? columns = null)
    {
        var all = IsEveryRow(rows);
        T[] Take<T>(T[] source) => all ? source : Pick(source, rows);
        var result = new Frame(
            Take(Time),
            Entity is null ? null : Take(Entity),
            Take(KnownAt))
        { IsEventLog = IsEventLog };
        foreach (var name in _order)
        {
            if (columns is not null && !columns.Contains(name))
            {
                continue;
            }
            if (_categories.TryGetValue(name, out var levels))
            {
                result.AddCategorical(name, Take(_numeric[name]), levels);
            }
            else if (_numeric.TryGetValue(name, out var numeric))
            {
                result.AddNumeric(name, Take(numeric));
            }
            else
            {
                result.AddText(name, Take(_text[name]));
            }
        }
        return result;
    }

    /// <summary>The rows whose <see cref="KnownAt"/> is at or before <paramref name="asOf"/>.</summary>
    public Frame KnownBy(DateTime asOf)
    {
        var rows = new List<int>(RowCount);
        for (var i = 0; i < RowCount; i++)
        {
            if (KnownAt[i] <= asOf)
            {
                rows.Add(i);
            }
        }
        return Select(rows);
    }

    private void CheckNewColumn(string name, int length)
    {
        if (length != RowCount)
        {
            throw new ArgumentException($"column '{name}' has {length} values but the frame has {RowCount} rows");
        }
        if (HasColumn(name))
        {
            throw new ArgumentException($"column '{name}' already exists");
        }
    }

    private bool IsEveryRow(IReadOnlyList<int> rows)
    {
        if (rows.Count != RowCount)
        {
            return false;
        }
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] != i)
            {
                return false;
            }
        }
        return true;
    }

    private static T[] Pick<T>(T[] source, IReadOnlyList<int> rows)
    {
        var result = new T[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            result[i] = source[rows[i]];
        }
        return result;
    }
}
