using System.Globalization;

namespace OptAIC.Engine.Features;

/// <summary>
/// Parses the FeatureSet expression language (see LANGUAGE.md in this folder):
/// numbers (<c>1e-3</c>), names, calls <c>f(a, b)</c>, lists <c>[0.1, 0.2]</c>, <c>+ - * /</c>,
/// unary minus, comparisons <c>&gt; &lt; &gt;= &lt;= == !=</c> (1 or 0) and parentheses.
/// </summary>
public static class FeatureExpression
{
    /// <summary>Longest expression accepted, in characters.</summary>
    public const int MaxLength = 10_000;

    /// <summary>Deepest nesting accepted (parentheses, calls, lists, unary minus).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Tallest expression tree accepted (a chain like a + b + c grows one level per operator), so
    /// that analysing and evaluating it can never exhaust the stack.
    /// </summary>
    public const int MaxHeight = 512;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ExpressionSyntaxException"/> with the offset on error.</summary>
    public static Expr Parse(string text) => new Parser(text ?? "").ParseAll();

    private enum TokenKind
    {
        End,
        Number,
        Identifier,
        LeftParen,
        RightParen,
        LeftBracket,
        RightBracket,
        Comma,
        Plus,
        Minus,
        Star,
        Slash,
        Greater,
        Less,
        GreaterOrEqual,
        LessOrEqual,
        EqualEqual,
        NotEqual,
        String,
    }

    private readonly record struct Token(TokenKind Kind, int Offset, int Length, double Number = 0, string? Text = null);

    private sealed class Parser
    {
        private readonly string _text;
        private Token _current;
        private int _position;
        private int _depth;

        public Parser(string text)
        {
            _text = text;
            if (text.Length > MaxLength)
            {
                throw new ExpressionSyntaxException(
                    $"the expression is {text.Length} characters long; the limit is {MaxLength}: split it into several features",
                    MaxLength, 0);
            }
            _current = Lex();
        }

        public Expr ParseAll()
        {
            if (_current.Kind == TokenKind.End)
            {
                throw new ExpressionSyntaxException("the expression is empty", 0, 0);
            }
            var expr = ParseExpression("at the start of the expression");
            if (_current.Kind != TokenKind.End)
            {
                throw Error($"unexpected {Describe(_current)} after a complete expression; is an operator or a ',' missing?");
            }
            return expr;
        }

        // Operands carry their outer span (with parentheses) so a binary node covers "(a + b) * c" whole.
        private readonly record struct Spanned(Expr Node, int Start, int End, int Height = 1);

        private Expr ParseExpression(string context) => ParseSpanned(context).Node;

        private Spanned ParseSpanned(string context)
        {
            Enter();
            var left = ParseOperand(context);
            if (_current.Kind == TokenKind.Identifier && _text.AsSpan(_current.Offset, _current.Length) is "in")
            {
                left = ParseIn(left);
            }
            else if (IsComparison(_current.Kind, out var op))
            {
                var opToken = Advance();
                var right = ParseOperand($"after '{BinaryExpr.Symbol(op)}'");
                left = left.Node is StringLiteral || right.Node is StringLiteral ? TextComparison(op, opToken, left, right) : Combine(op, left, right);
                if (IsComparison(_current.Kind, out _))
                {
                    throw Error(
                        $"comparisons cannot be chained (the '{BinaryExpr.Symbol(op)}' at offset {opToken.Offset} " +
                        $"is followed by {Describe(_current)}); combine them with '*', as in (a < b) * (b < c)");
                }
            }
            if (left.Node is StringLiteral literal)
            {
                throw new ExpressionSyntaxException("a string is used only in a comparison with a text column: weather == \"rain\", or weather in (\"rain\", \"snow\")", literal.Offset, literal.Length);
            }
            _depth--;
            return left;
        }

        /// <summary>A string literal stands only beside ==, != or in; elsewhere it is an error at the literal.</summary>
        private Spanned ParseOperand(string context)
        {
            if (_current.Kind == TokenKind.String)
            {
                var token = Advance();
                return Whole(new StringLiteral(token.Text!, token.Offset, token.Length));
            }
            var operand = ParseAdditive(context);
            return operand;
        }

        private Spanned TextComparison(BinaryOperator op, Token opToken, Spanned left, Spanned right)
        {
            if (op is not (BinaryOperator.Equal or BinaryOperator.NotEqual))
            {
                throw new ExpressionSyntaxException($"text is compared with == or != only, not '{BinaryExpr.Symbol(op)}'", opToken.Offset, opToken.Length);
            }
            var (operand, literal) = left.Node is StringLiteral l ? (right, l) : (left, (StringLiteral)right.Node);
            if (operand.Node is StringLiteral other)
            {
                throw new ExpressionSyntaxException("two strings compared with each other are a constant; compare a text column with a string", other.Offset, other.Length);
            }
            return new Spanned(new MatchExpr(operand.Node, [literal.Value], null, op == BinaryOperator.NotEqual, left.Start, right.End - left.Start),
                left.Start, right.End, Taller(operand.Height, 1));
        }

        /// <summary><c>x in ("a", "b")</c> or <c>x in (1, 2)</c>: a parenthesised list of literals of one kind.</summary>
        private Spanned ParseIn(Spanned left)
        {
            if (left.Node is StringLiteral literal)
            {
                throw new ExpressionSyntaxException("the left side of 'in' is a column or an expression, not a string", literal.Offset, literal.Length);
            }
            Advance();
            if (_current.Kind != TokenKind.LeftParen)
            {
                throw Error($"expected '(' after 'in', as in weather in (\"rain\", \"snow\"), found {Describe(_current)}");
            }
            Advance();
            var texts = new List<string>();
            var numbers = new List<double>();
            while (true)
            {
                var token = _current;
                if (token.Kind == TokenKind.String)
                {
                    texts.Add(token.Text!);
                }
                else if (token.Kind == TokenKind.Number || (token.Kind == TokenKind.Minus && Peek().Kind == TokenKind.Number))
                {
                    var negative = token.Kind == TokenKind.Minus;
                    if (negative)
                    {
                        Advance();
                    }
                    numbers.Add(negative ? -_current.Number : _current.Number);
                }
                else
                {
                    throw Error($"expected a string or a number in the list after 'in', found {Describe(token)}");
                }
                Advance();
                if (texts.Count > 0 && numbers.Count > 0)
                {
                    throw Error("the list after 'in' mixes strings and numbers; use one kind");
                }
                if (_current.Kind == TokenKind.Comma)
                {
                    Advance();
                    continue;
                }
                if (_current.Kind == TokenKind.RightParen)
                {
                    var close = Advance();
                    var node = new MatchExpr(left.Node, texts.Count > 0 ? texts : null, numbers.Count > 0 ? numbers : null, false, left.Start, close.Offset + 1 - left.Start);
                    return new Spanned(node, left.Start, close.Offset + 1, Taller(left.Height, 1));
                }
                throw Error($"expected ',' or ')' in the list after 'in', found {Describe(_current)}");
            }
        }

        private Token Peek()
        {
            var position = _position;
            var token = Lex();
            _position = position;
            return token;
        }

        private Spanned Combine(BinaryOperator op, Spanned left, Spanned right) =>
            new(new BinaryExpr(op, left.Node, right.Node, left.Start, right.End - left.Start), left.Start, right.End,
                Taller(left.Height, right.Height));

        private int Taller(int a, int b)
        {
            var height = Math.Max(a, b) + 1;
            if (height > MaxHeight)
            {
                throw Error($"the expression has more than {MaxHeight} levels of operators and calls; split it into several features");
            }
            return height;
        }

        private Spanned ParseAdditive(string context)
        {
            var left = ParseMultiplicative(context);
            while (_current.Kind is TokenKind.Plus or TokenKind.Minus)
            {
                var op = _current.Kind == TokenKind.Plus ? BinaryOperator.Add : BinaryOperator.Subtract;
                Advance();
                left = Combine(op, left, ParseMultiplicative($"after '{BinaryExpr.Symbol(op)}'"));
            }
            return left;
        }

        private Spanned ParseMultiplicative(string context)
        {
            var left = ParseUnary(context);
            while (_current.Kind is TokenKind.Star or TokenKind.Slash)
            {
                var op = _current.Kind == TokenKind.Star ? BinaryOperator.Multiply : BinaryOperator.Divide;
                Advance();
                left = Combine(op, left, ParseUnary($"after '{BinaryExpr.Symbol(op)}'"));
            }
            return left;
        }

        private Spanned ParseUnary(string context)
        {
            if (_current.Kind != TokenKind.Minus)
            {
                return ParsePrimary(context);
            }
            var minus = Advance();
            Enter();
            var operand = ParseUnary("after unary '-'");
            _depth--;
            return new(new NegateExpr(operand.Node, minus.Offset, operand.End - minus.Offset), minus.Offset, operand.End,
                Taller(operand.Height, 0));
        }

        private Spanned ParsePrimary(string context)
        {
            var token = _current;
            switch (token.Kind)
            {
                case TokenKind.Number:
                    Advance();
                    return Whole(new NumberExpr(token.Number, token.Offset, token.Length));
                case TokenKind.Identifier:
                    Advance();
                    var name = _text.Substring(token.Offset, token.Length);
                    return _current.Kind == TokenKind.LeftParen
                        ? ParseCall(name, token)
                        : Whole(new IdentifierExpr(name, token.Offset, token.Length));
                case TokenKind.LeftParen:
                    {
                        Advance();
                        var inner = ParseSpanned($"after the '(' at offset {token.Offset}");
                        if (_current.Kind != TokenKind.RightParen)
                        {
                            throw Error($"expected ')' to close the '(' at offset {token.Offset}, found {Describe(_current)}");
                        }
                        var close = Advance();
                        // The node keeps its own span (lint points inside the parentheses); its operand span grows.
                        return new(inner.Node, token.Offset, close.Offset + 1, inner.Height);
                    }
                case TokenKind.LeftBracket:
                    return ParseList(token);
                case TokenKind.String:
                    throw Error("a string is used only in a comparison with a text column: weather == \"rain\", or weather in (\"rain\", \"snow\")");
                default:
                    throw Error($"expected a number, a name, '(' or '[' {context}, found {Describe(token)}");
            }
        }

        private static Spanned Whole(Expr node) => new(node, node.Offset, node.Offset + node.Length);

        private Spanned ParseCall(string name, Token nameToken)
        {
            Advance(); // '('
            var arguments = new List<Expr>();
            var height = 1;
            if (_current.Kind == TokenKind.RightParen)
            {
                var close = Advance();
                return Whole(new CallExpr(name, arguments, nameToken.Offset, close.Offset + 1 - nameToken.Offset));
            }
            while (true)
            {
                var index = arguments.Count + 1;
                var argument = ParseSpanned($"as argument {index} of {name}");
                arguments.Add(argument.Node);
                height = Taller(height, argument.Height);
                if (_current.Kind == TokenKind.Comma)
                {
                    Advance();
                    continue;
                }
                if (_current.Kind == TokenKind.RightParen)
                {
                    var close = Advance();
                    return Whole(new CallExpr(name, arguments, nameToken.Offset, close.Offset + 1 - nameToken.Offset)) with { Height = height };
                }
                throw _current.Kind == TokenKind.End
                    ? Error($"expected ')' after argument {index} of {name}; the expression ended")
                    : Error($"expected ',' or ')' after argument {index} of {name}, found {Describe(_current)}");
            }
        }

        private Spanned ParseList(Token open)
        {
            Advance(); // '['
            Enter();
            var items = new List<Expr>();
            var height = 1;
            if (_current.Kind == TokenKind.RightBracket)
            {
                var close = Advance();
                _depth--;
                return Whole(new ListExpr(items, open.Offset, close.Offset + 1 - open.Offset));
            }
            while (true)
            {
                var index = items.Count + 1;
                var item = ParseSpanned($"as item {index} of the list at offset {open.Offset}");
                items.Add(item.Node);
                height = Taller(height, item.Height);
                if (_current.Kind == TokenKind.Comma)
                {
                    Advance();
                    continue;
                }
                if (_current.Kind == TokenKind.RightBracket)
                {
                    var close = Advance();
                    _depth--;
                    return Whole(new ListExpr(items, open.Offset, close.Offset + 1 - open.Offset)) with { Height = height };
                }
                throw _current.Kind == TokenKind.End
                    ? Error($"expected ']' after item {index} of the list at offset {open.Offset}; the expression ended")
                    : Error($"expected ',' or ']' after item {index} of the list at offset {open.Offset}, found {Describe(_current)}");
            }
        }

        private void Enter()
        {
            if (++_depth > MaxDepth)
            {
                throw Error($"the expression nests deeper than {MaxDepth} levels; split it into several features");
            }
        }

        private Token Advance()
        {
            var token = _current;
            _current = Lex();
            return token;
        }

        private ExpressionSyntaxException Error(string reason) =>
            new(reason, _current.Offset, Math.Max(_current.Length, _current.Kind == TokenKind.End ? 0 : 1));

        private string Describe(Token token) =>
            token.Kind == TokenKind.End ? "the end of the expression" : $"'{_text.Substring(token.Offset, token.Length)}'";

        private static bool IsComparison(TokenKind kind, out BinaryOperator op)
        {
            op = kind switch
            {
                TokenKind.Greater => BinaryOperator.Greater,
                TokenKind.Less => BinaryOperator.Less,
                TokenKind.GreaterOrEqual => BinaryOperator.GreaterOrEqual,
                TokenKind.LessOrEqual => BinaryOperator.LessOrEqual,
                TokenKind.EqualEqual => BinaryOperator.Equal,
                TokenKind.NotEqual => BinaryOperator.NotEqual,
                _ => BinaryOperator.Add,
            };
            return kind is TokenKind.Greater or TokenKind.Less or TokenKind.GreaterOrEqual or TokenKind.LessOrEqual
                or TokenKind.EqualEqual or TokenKind.NotEqual;
        }

        private Token Lex()
        {
            var text = _text;
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
            if (_position >= text.Length)
            {
                return new Token(TokenKind.End, text.Length, 0);
            }
            var start = _position;
            var c = text[start];
            if (IsDigit(c) || (c == '.' && start + 1 < text.Length && IsDigit(text[start + 1])))
            {
                return LexNumber(start);
            }
            if (IsIdentifierStart(c))
            {
                _position++;
                while (_position < text.Length && IsIdentifierPart(text[_position]))
                {
                    _position++;
                }
                return new Token(TokenKind.Identifier, start, _position - start);
            }
            var next = start + 1 < text.Length ? text[start + 1] : '\0';
            if (c is '"' or '\'')
            {
                var end = text.IndexOf(c, start + 1);
                if (end < 0)
                {
                    throw new ExpressionSyntaxException($"the string starting here is not closed with {c}", start, text.Length - start);
                }
                _position = end + 1;
                return new Token(TokenKind.String, start, end + 1 - start, 0, text[(start + 1)..end]);
            }
            switch (c)
            {
                case '(': return Single(TokenKind.LeftParen);
                case ')': return Single(TokenKind.RightParen);
                case '[': return Single(TokenKind.LeftBracket);
                case ']': return Single(TokenKind.RightBracket);
                case ',': return Single(TokenKind.Comma);
                case '+': return Single(TokenKind.Plus);
                case '-': return Single(TokenKind.Minus);
                case '*': return Single(TokenKind.Star);
                case '/': return Single(TokenKind.Slash);
                case '>': return next == '=' ? Double(TokenKind.GreaterOrEqual) : Single(TokenKind.Greater);
                case '<': return next == '=' ? Double(TokenKind.LessOrEqual) : Single(TokenKind.Less);
                case '=' when next == '=': return Double(TokenKind.EqualEqual);
                case '!' when next == '=': return Double(TokenKind.NotEqual);
                case '=':
                    throw new ExpressionSyntaxException("'=' is not an operator: use '==' to compare", start);
                case '!':
                    throw new ExpressionSyntaxException("expected '=' after '!' ('!=' means not equal)", start);
                default:
                    throw new ExpressionSyntaxException(
                        $"unexpected character '{Printable(c)}'; expressions use names, numbers, ( ) [ ] , + - * / and comparisons",
                        start);
            }
        }

        private Token Single(TokenKind kind)
        {
            _position++;
            return new Token(kind, _position - 1, 1);
        }

        private Token Double(TokenKind kind)
        {
            _position += 2;
            return new Token(kind, _position - 2, 2);
        }

        private Token LexNumber(int start)
        {
            var text = _text;
            while (_position < text.Length && IsDigit(text[_position]))
            {
                _position++;
            }
            if (_position < text.Length && text[_position] == '.')
            {
                _position++;
                while (_position < text.Length && IsDigit(text[_position]))
                {
                    _position++;
                }
            }
            if (_position < text.Length && text[_position] is 'e' or 'E')
            {
                _position++;
                if (_position < text.Length && text[_position] is '+' or '-')
                {
                    _position++;
                }
                if (_position >= text.Length || !IsDigit(text[_position]))
                {
                    throw new ExpressionSyntaxException(
                        $"malformed number '{text[start.._position]}': expected digits after the exponent", start, _position - start);
                }
                while (_position < text.Length && IsDigit(text[_position]))
                {
                    _position++;
                }
            }
            if (_position < text.Length && (IsIdentifierPart(text[_position]) || text[_position] == '.'))
            {
                var end = _position;
                while (end < text.Length && (IsIdentifierPart(text[end]) || text[end] == '.'))
                {
                    end++;
                }
                throw new ExpressionSyntaxException(
                    $"malformed number '{text[start..end]}'; names cannot start with a digit", start, end - start);
            }
            var value = double.Parse(text.AsSpan(start, _position - start), NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(value))
            {
                throw new ExpressionSyntaxException($"number '{text[start.._position]}' is too large", start, _position - start);
            }
            return new Token(TokenKind.Number, start, _position - start, value);
        }

        private static bool IsDigit(char c) => c is >= '0' and <= '9';

        private static bool IsIdentifierStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

        private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || IsDigit(c);

        private static string Printable(char c) =>
            char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString();
    }

    /// <summary>A string literal while parsing; it never survives into the tree outside a <see cref="MatchExpr"/>.</summary>
    private sealed class StringLiteral(string value, int offset, int length) : Expr(offset, length)
    {
        public string Value { get; } = value;

        internal override void Write(System.Text.StringBuilder builder) => builder.Append('"').Append(Value).Append('"');
    }

    /// <summary>Whether <paramref name="name"/> is a valid feature, target or column name in expressions.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || !(name[0] is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_'))
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }
        return true;
    }
}
