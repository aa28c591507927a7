using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace OptAIC.Engine.Registry;

internal enum ShapeKind
{
    Untyped,
    String,
    Bool,
    Int32,
    Int64,
    Double,
    Single,
    Decimal,
    DateTimeOffset,
    DateTime,
    DateOnly,
    TimeSpan,
    Guid,
    Enum,
    Nullable,
    List,
    Array,
    Map,
    Object,
}

/// <summary>
/// What the record serialiser knows about a type, computed once per type: its kind, and for classes the
/// public read/write properties in declaration order (base class first) under their camelCase keys.
/// </summary>
internal sealed class RecordShape
{
    private static readonly ConcurrentDictionary<Type, RecordShape> Cache = new();
    private static readonly NullabilityInfoContext Nullability = new();
    private static readonly Lock NullabilityLock = new();

    private RecordShape(Type type, ShapeKind kind)
    {
        Type = type;
        Kind = kind;
    }

    public Type Type { get; }
    public ShapeKind Kind { get; }

    /// <summary>Element type of a list or array, value type of a map, underlying type of a nullable.</summary>
    public Type? ItemType { get; private init; }

    public Type? KeyType { get; private init; }
    public IReadOnlyList<RecordProperty> Properties { get; private init; } = [];
    public IReadOnlyDictionary<string, RecordProperty> PropertiesByKey { get; private init; } = new Dictionary<string, RecordProperty>();

    public static RecordShape Of(Type type) => Cache.GetOrAdd(type, Build);

    public static string KeyName(string propertyName) =>
        propertyName.Length == 0 ? propertyName : char.ToLowerInvariant(propertyName[0]) + propertyName[1..];

    /// <summary>Creates an empty list or map for this shape; string-keyed maps order keys like the writer does.</summary>
    public object CreateCollection()
    {
        if (Kind == ShapeKind.List || Kind == ShapeKind.Array)
        {
            return Activator.CreateInstance(typeof(List<>).MakeGenericType(ItemType!))!;
        }

        var concrete = Type.IsInterface ? typeof(SortedDictionary<,>).MakeGenericType(KeyType!, ItemType!) : Type;
        if (KeyType == typeof(string) && concrete.GetConstructor([typeof(IComparer<string>)]) is { } withComparer)
        {
            return withComparer.Invoke([RecordKeyOrder.Instance]);
        }

        return Activator.CreateInstance(concrete)!;
    }

    private static RecordShape Build(Type type)
    {
        if (type == typeof(object))
        {
            return new(type, ShapeKind.Untyped);
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return new(type, ShapeKind.Nullable) { ItemType = underlying };
        }

        if (type.IsEnum)
        {
            return new(type, ShapeKind.Enum);
        }

        var scalar = Type.GetTypeCode(type) switch
        {
            TypeCode.String => ShapeKind.String,
            TypeCode.Boolean => ShapeKind.Bool,
            TypeCode.Int32 => ShapeKind.Int32,
            TypeCode.Int64 => ShapeKind.Int64,
            TypeCode.Double => ShapeKind.Double,
            TypeCode.Single => ShapeKind.Single,
            TypeCode.Decimal => ShapeKind.Decimal,
            TypeCode.DateTime => ShapeKind.DateTime,
            _ => type == typeof(DateTimeOffset) ? ShapeKind.DateTimeOffset
                : type == typeof(DateOnly) ? ShapeKind.DateOnly
                : type == typeof(TimeSpan) ? ShapeKind.TimeSpan
                : type == typeof(Guid) ? ShapeKind.Guid
                : ShapeKind.Object,
        };
        if (scalar != ShapeKind.Object)
        {
            return new(type, scalar);
        }

        if (type.IsArray)
        {
            return new(type, ShapeKind.Array) { ItemType = type.GetElementType() };
        }

        if ((FindGeneric(type, typeof(IDictionary<,>)) ?? FindGeneric(type, typeof(IReadOnlyDictionary<,>))) is { } map)
        {
            var key = map.GetGenericArguments()[0];
            if (key != typeof(string) && key != typeof(int) && key != typeof(long) && !key.IsEnum)
            {
                throw new NotSupportedException($"Record maps need string, integer or enum keys; {type} has {key}.");
            }

            return new(type, ShapeKind.Map) { KeyType = key, ItemType = map.GetGenericArguments()[1] };
        }

        if (type != typeof(string) && FindGeneric(type, typeof(IEnumerable<>)) is { } sequence)
        {
            return new(type, ShapeKind.List) { ItemType = sequence.GetGenericArguments()[0] };
        }

        if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            throw new NotSupportedException($"Record collections must be generic; {type} is not.");
        }

        // Properties that can be read back (public get and set); a type without any, such as an anonymous
        // type, is written with all its readable properties.
        var readable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.GetMethod!.IsPublic)
            .ToList();
        var settable = readable.Where(p => p.SetMethod is { IsPublic: true }).ToList();
        var properties = (settable.Count > 0 ? settable : readable)
            .OrderBy(p => Depth(p.DeclaringType!))
            .ThenBy(p => p.MetadataToken)
            .Select(p => new RecordProperty(p, KeyName(p.Name), IsNonNullableReference(p)))
            .ToList();
        return new(type, ShapeKind.Object)
        {
            Properties = properties,
            PropertiesByKey = properties.ToDictionary(p => p.Key, StringComparer.Ordinal),
        };
    }

    private static Type? FindGeneric(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            return type;
        }

        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition);
    }

    private static int Depth(Type type)
    {
        var depth = 0;
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            depth++;
        }

        return depth;
    }

    private static bool IsNonNullableReference(PropertyInfo property)
    {
        if (property.PropertyType.IsValueType)
        {
            return false;
        }

        lock (NullabilityLock)
        {
            return Nullability.Create(property).WriteState == NullabilityState.NotNull;
        }
    }
}

internal sealed class RecordProperty(PropertyInfo info, string key, bool nonNullable)
{
    public PropertyInfo Info { get; } = info;
    public string Key { get; } = key;
    public bool NonNullable { get; } = nonNullable;
    public Type Type => Info.PropertyType;
    public bool CanWrite => Info.SetMethod is { IsPublic: true };
}

/// <summary>
/// The order of map keys in every record: keys that are integers (e.g. version numbers) by value and first,
/// all other keys by ordinal string comparison. Written and read maps use the same order, so a record read
/// and written again is byte-identical.
/// </summary>
public sealed class RecordKeyOrder : IComparer<string>
{
    public static readonly RecordKeyOrder Instance = new();

    private RecordKeyOrder()
    {
    }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        var xInt = IsCanonicalInteger(x, out var xValue);
        var yInt = IsCanonicalInteger(y, out var yValue);
        return (xInt, yInt) switch
        {
            (true, true) => xValue.CompareTo(yValue),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(x, y),
        };
    }

    private static bool IsCanonicalInteger(string text, out long value)
    {
        value = 0;
        var digits = text.StartsWith('-') ? text.AsSpan(1) : text.AsSpan();
        if (digits.Length is 0 or > 18 || (digits[0] == '0' && (digits.Length > 1 || text.Length > 1)))
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        value = long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }
}
