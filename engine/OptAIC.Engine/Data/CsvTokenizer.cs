using System.Buffers;

namespace OptAIC.Engine.Data;

/// <summary>
/// An RFC 4180 record reader over a large char buffer: quoted fields (with delimiters, line breaks and
/// doubled quotes inside), LF, CRLF or CR line ends, and a last record without a line end. Fields are
/// spans into the buffer; nothing is allocated per record.
/// </summary>
internal sealed class CsvTokenizer : IDisposable
{
    private const int InitialBufferSize = 1 << 20;

    private readonly TextReader _reader;
    private readonly char _delimiter;
    private readonly SearchValues<char> _stops;
    private char[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;
    private int[] _fieldStart = new int[64];
    private int[] _fieldLength = new int[64];
    private bool[] _fieldEscaped = new bool[64];
    private char[] _scratch = new char[256];
    private long _nextLine = 1;

    public CsvTokenizer(TextReader reader, char delimiter)
    {
        if (delimiter is '"' or '\r' or '\n')
        {
            throw new ArgumentException($"'{delimiter}' cannot be a CSV delimiter", nameof(delimiter));
        }
        _reader = reader;
        _delimiter = delimiter;
        _stops = SearchValues.Create([delimiter, '\r', '\n']);
        _buffer = ArrayPool<char>.Shared.Rent(InitialBufferSize);
    }

    /// <summary>1-based line on which the current record starts.</summary>
    public long Line { get; private set; }

    public int FieldCount { get; private set; }

    /// <summary>Reads the next non-blank record; false at the end of the input.</summary>
    public bool Read()
    {
        while (true)
        {
            var status = Scan(out var next, out var lines);
            if (status == ScanStatus.NeedMore)
            {
                Fill();
                continue;
            }
            if (status == ScanStatus.End)
            {
                return false;
            }
            Line = _nextLine;
            _nextLine += lines;
            // A blank line is one empty unquoted field (a quoted "" starts after the record start).
            var blank = FieldCount == 1 && _fieldLength[0] == 0 && _fieldStart[0] == _start;
            _start = next;
            if (!blank)
            {
                return true;
            }
        }
    }

    /// <summary>The field's text (quotes removed, doubled quotes collapsed); valid until the next <see cref="Read"/>.</summary>
    public ReadOnlySpan<char> Field(int index)
    {
        var span = _buffer.AsSpan(_fieldStart[index], _fieldLength[index]);
        if (!_fieldEscaped[index])
        {
            return span;
        }
        if (_scratch.Length < span.Length)
        {
            _scratch = new char[Math.Max(span.Length, _scratch.Length * 2)];
        }
        var n = 0;
        for (var i = 0; i < span.Length; i++)
        {
            _scratch[n++] = span[i];
            if (span[i] == '"')
            {
                i++; // skip the second quote of a doubled pair
            }
        }
        return _scratch.AsSpan(0, n);
    }

    public void Dispose()
    {
        ArrayPool<char>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            // One record larger than the buffer: grow it.
            var bigger = ArrayPool<char>.Shared.Rent(_buffer.Length * 2);
            Array.Copy(_buffer, bigger, _end);
            ArrayPool<char>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        var read = _reader.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }
        _end += read;
    }

    private enum ScanStatus
    {
        Record,
        NeedMore,
        End,
    }

    private ScanStatus Scan(out int next, out long lines)
    {
        next = _start;
        lines = 1;
        FieldCount = 0;
        var p = _start;
        if (p == _end)
        {
            return _eof ? ScanStatus.End : ScanStatus.NeedMore;
        }
        var buffer = _buffer;
        while (true)
        {
            if (p == _end)
            {
                if (!_eof)
                {
                    return ScanStatus.NeedMore;
                }
                // A delimiter was the last character of the input: one more, empty field.
                AddField(p, 0, false);
                next = p;
                return ScanStatus.Record;
            }
            if (buffer[p] == '"')
            {
                var contentStart = p + 1;
                var q = contentStart;
                var escaped = false;
                while (true)
                {
                    var rel = buffer.AsSpan(q, _end - q).IndexOf('"');
                    if (rel < 0)
                    {
                        if (!_eof)
                        {
                            return ScanStatus.NeedMore;
                        }
                        throw new CsvFormatException(_nextLine, "a quoted field is not closed before the end of the file");
                    }
                    q += rel;
                    if (q + 1 == _end && !_eof)
                    {
                        return ScanStatus.NeedMore;
                    }
                    if (q + 1 < _end && buffer[q + 1] == '"')
                    {
                        escaped = true;
                        q += 2;
                        continue;
                    }
                    break;
                }
                lines += buffer.AsSpan(contentStart, q - contentStart).Count('\n');
                AddField(contentStart, q - contentStart, escaped);
                p = q + 1;
                if (p == _end)
                {
                    next = p;
                    return ScanStatus.Record; // at end of input (checked above)
                }
                var after = buffer[p];
                if (after == _delimiter)
                {
                    p++;
                    continue;
                }
                if (after is '\r' or '\n')
                {
                    return EndOfLine(p, out next);
                }
                throw new CsvFormatException(_nextLine + lines - 1, $"unexpected character '{after}' after a closing quote");
            }
            var idx = buffer.AsSpan(p, _end - p).IndexOfAny(_stops);
            if (idx < 0)
            {
                if (!_eof)
                {
                    return ScanStatus.NeedMore;
                }
                AddField(p, _end - p, false);
                next = _end;
                return ScanStatus.Record;
            }
            AddField(p, idx, false);
            p += idx;
            if (buffer[p] == _delimiter)
            {
                p++;
                continue;
            }
            return EndOfLine(p, out next);
        }
    }

    private ScanStatus EndOfLine(int p, out int next)
    {
        next = p + 1;
        if (_buffer[p] == '\r')
        {
            if (p + 1 == _end && !_eof)
            {
                return ScanStatus.NeedMore;
            }
            if (p + 1 < _end && _buffer[p + 1] == '\n')
            {
                next = p + 2;
            }
        }
        return ScanStatus.Record;
    }

    private void AddField(int start, int length, bool escaped)
    {
        if (FieldCount == _fieldStart.Length)
        {
            Array.Resize(ref _fieldStart, FieldCount * 2);
            Array.Resize(ref _fieldLength, FieldCount * 2);
            Array.Resize(ref _fieldEscaped, FieldCount * 2);
        }
        _fieldStart[FieldCount] = start;
        _fieldLength[FieldCount] = length;
        _fieldEscaped[FieldCount] = escaped;
        FieldCount++;
    }
}

/// <summary>Malformed CSV structure at a line; the reader turns it into a <see cref="DatasetException"/>.</summary>
internal sealed class CsvFormatException : Exception
{
    public CsvFormatException()
    {
    }

    public CsvFormatException(string message)
        : base(message)
    {
    }

    public CsvFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CsvFormatException(long line, string message)
        : base(message)
    {
        Line = line;
    }

    public long Line { get; }
}
