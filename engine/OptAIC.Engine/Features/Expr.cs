using System.Globalization;
using System.Text;

namespace OptAIC.Engine.Features;

/// <summary>
/// A node of a parsed feature expression. <see cref="Offset"/> and <see cref="Length"/> locate the
/// node in the source text (0-based characters) so lint can point at the exact sub-expression.
/// </summary>
public abstract class Expr
{
    private protected Expr(int offset, int length)
    {
        Offset = offset;
        Length = length;
    }

    public int Offset { get; }

    public int Length { get; }

    /// <summary>The node's text in <paramref name="source"/>, the text it was parsed from.</summary>
    public string TextIn(string source) =>
        Offset >= 0 && Offset + Length <= source.Length ? source.Substring(Offset, Length) : ToString();

    /// <summary>A canonical rendering (used when the source text is not at hand).</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        Write(builder);
        return builder.ToString();
    }

    internal abstract void Write(StringBuilder builder);
}

public sealed class NumberExpr : Expr
{
    public NumberExpr(double value, int offset, int length)
        : base(offset, length) => Value = value;

    public double Value { get; }

    internal override void Write(StringBuilder builder) => builder.Append(Value.ToString("R", CultureInfo.InvariantCulture));
}

/// <summary>A reference to a source column or to another feature or target.</summary>
public sealed class IdentifierExpr : Expr
{
    public IdentifierExpr(string name, int offset, int length)
        : base(offset, length) => Name = name;

    public string Name { get; }

    internal override void Write(StringBuilder builder) => builder.Append(Name);
}

public sealed class CallExpr : Expr
{
    public CallExpr(string function, IReadOnlyList<Expr> arguments, int offset, int length)
        : base(offset, length)
    {
        Function = function;
        Arguments = arguments;
    }

    public string Function { get; }

    public IReadOnlyList<Expr> Arguments { get; }

    internal override void Write(StringBuilder builder)
    {
        builder.Append(Function).Append('(');
        for (var i = 0; i < Arguments.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }
            Arguments[i].Write(builder);
        }
        builder.Append(')');
    }
}

/// <summary>A list literal such as <c>[0.1, 0.2]</c>; only valid as the edges of <c>bucket</c>.</summary>
public sealed class ListExpr : Expr
{
    public ListExpr(IReadOnlyList<Expr> items, int offset, int length)
        : base(offset, length) => Items = items;

    public IReadOnlyList<Expr> Items { get; }

    internal override void Write(StringBuilder builder)
    {
        builder.Append('[');
        for (var i = 0; i < Items.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }
            Items[i].Write(builder);
        }
        builder.Append(']');
    }
}

/// <summary>Unary minus.</summary>
public sealed class NegateExpr : Expr
{
    public NegateExpr(Expr operand, int offset, int length)
        : base(offset, length) => Operand = operand;

    public Expr Operand { get; }

    internal override void Write(StringBuilder builder)
    {
        builder.Append("-(");
        Operand.Write(builder);
        builder.Append(')');
    }
}

public enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    Equal,
    NotEqual,
}

public sealed class BinaryExpr : Expr
{
    public BinaryExpr(BinaryOperator op, Expr left, Expr right, int offset, int length)
        : base(offset, length)
    {
        Operator = op;
        Left = left;
        Right = right;
    }

    public BinaryOperator Operator { get; }

    public Expr Left { get; }

    public Expr Right { get; }

    public static string Symbol(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.Greater => ">",
        BinaryOperator.Less => "<",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.Equal => "==",
        _ => "!=",
    };

    internal override void Write(StringBuilder builder)
    {
        builder.Append('(');
        Left.Write(builder);
        builder.Append(' ').Append(Symbol(Operator)).Append(' ');
        Right.Write(builder);
        builder.Append(')');
    }
}

/// <summary>
/// A membership test, 1 or 0 (NaN where the operand is missing): <c>weather == "rain"</c>,
/// <c>weather != "rain"</c>, <c>weather in ("rain", "snow")</c> over a text column, or
/// <c>x in (1, 2)</c> over numbers. <see cref="Texts"/> or <see cref="Numbers"/> holds the values.
/// </summary>
public sealed class MatchExpr : Expr
{
    public MatchExpr(Expr operand, IReadOnlyList<string>? texts, IReadOnlyList<double>? numbers, bool negated, int offset, int length)
        : base(offset, length)
    {
        Operand = operand;
        Texts = texts;
        Numbers = numbers;
        Negated = negated;
    }

    public Expr Operand { get; }

    public IReadOnlyList<string>? Texts { get; }

    public IReadOnlyList<double>? Numbers { get; }

    public bool Negated { get; }

    internal override void Write(StringBuilder builder)
    {
        builder.Append('(');
        Operand.Write(builder);
        builder.Append(Negated ? " not in (" : " in (");
        var values = Texts is not null
            ? Texts.Select(t => $"\"{t}\"")
            : Numbers!.Select(n => n.ToString("R", CultureInfo.InvariantCulture));
        builder.Append(string.Join(", ", values)).Append("))");
    }
}
