using System.Runtime.InteropServices;

namespace OptAIC.Engine.Data;

internal enum ColumnRole
{
    Time,
    KnownAt,
    Entity,
    Value,
}

/// <summary>
/// One output column being filled by a reader: dates, numbers or text, in one flat array that grows
/// (CSV) or is sized up front from file metadata (Parquet).
/// </summary>
internal sealed class ColumnSink
{
    private Dictionary<string, string>? _pool;

    public ColumnSink(string name, ColumnType type, ColumnRole role, TimeFormat? format = null)
    {
        Name = name;
        Type = type;
        Role = role;
        Format = format ?? TimeFormat.Iso(type == ColumnType.Date);
    }

    /// <summary>How a Date/DateTime column's text (or epoch integers) parse.</summary>
    public TimeFormat Format { get; }

    public string Name { get; }

    public ColumnType Type { get; }

    public ColumnRole Role { get; }

    public DateTime[] Dates { get; private set; } = [];

    public double[] Numbers { get; private set; } = [];

    public string?[] Texts { get; private set; } = [];

    public int Count { get; set; }

    /// <summary>Entities and categories repeat; keeping one string per distinct value saves memory.</summary>
    public bool Pooled => Role == ColumnRole.Entity || Type == ColumnType.Category;

    public bool HoldsDates => Role != ColumnRole.Entity && Type.IsTemporal();

    public bool HoldsNumbers => Role != ColumnRole.Entity && Type.IsNumeric();

    public int Capacity => HoldsDates ? Dates.Length : HoldsNumbers ? Numbers.Length : Texts.Length;

    public void EnsureCapacity(int capacity)
    {
        if (HoldsDates)
        {
            Dates = Grow(Dates, capacity);
        }
        else if (HoldsNumbers)
        {
            Numbers = Grow(Numbers, capacity);
        }
        else
        {
            Texts = Grow(Texts, capacity);
        }
    }

    public string Intern(ReadOnlySpan<char> value)
    {
        _pool ??= new Dictionary<string, string>(StringComparer.Ordinal);
        var lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(value, out var existing))
        {
            return existing;
        }
        var created = value.ToString();
        _pool[created] = created;
        return created;
    }

    public string? Intern(string? value)
    {
        if (value is null)
        {
            return null;
        }
        _pool ??= new Dictionary<string, string>(StringComparer.Ordinal);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_pool, value, out var exists);
        if (!exists)
        {
            slot = value;
        }
        return slot;
    }

    /// <summary>Trims the arrays to <see cref="Count"/> (no copy when already exact).</summary>
    public void Seal()
    {
        if (HoldsDates)
        {
            Dates = Trim(Dates, Count);
        }
        else if (HoldsNumbers)
        {
            Numbers = Trim(Numbers, Count);
        }
        else
        {
            Texts = Trim(Texts, Count);
        }
        _pool = null;
    }

    private static T[] Grow<T>(T[] array, int capacity)
    {
        if (array.Length >= capacity)
        {
            return array;
        }
        var size = Math.Max(capacity, (int)Math.Min(Array.MaxLength, Math.Max(1024L, array.Length * 2L)));
        var grown = new T[size];
        Array.Copy(array, grown, array.Length);
        return grown;
    }

    private static T[] Trim<T>(T[] array, int count)
    {
        if (array.Length == count)
        {
            return array;
        }
        var trimmed = new T[count];
        Array.Copy(array, trimmed, count);
        return trimmed;
    }
}
