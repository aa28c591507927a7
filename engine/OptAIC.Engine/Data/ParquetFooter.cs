namespace OptAIC.Engine.Data;

/// <summary>
/// Checks a Parquet file's frame before Parquet.Net reads it: the magic numbers, a footer length that
/// fits the file, a footer that is well-formed Thrift (compact protocol; every length within the bytes
/// that remain), and column chunks whose pages lie between the header and the footer. A damaged or
/// hostile file then fails at once with what is wrong, instead of sending the reader into huge
/// allocations or endless loops over random bytes.
/// </summary>
internal static class ParquetFooter
{
    private const int MaxDepth = 64;
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    /// <summary>Null when the frame is sound; otherwise what is wrong with it, for a one-line error.</summary>
    public static string? Problem(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        var length = stream.Length;
        if (length < 12)
        {
            return $"{length} bytes is too short for a Parquet file (header, footer and magic numbers take 12)";
        }
        Span<byte> head = stackalloc byte[4];
        stream.ReadExactly(head);
        Span<byte> tail = stackalloc byte[8];
        stream.Seek(-8, SeekOrigin.End);
        stream.ReadExactly(tail);
        if (!head.SequenceEqual(Magic) || !tail[4..].SequenceEqual(Magic))
        {
            return "it does not begin and end with the Parquet magic number PAR1";
        }
        var footerLength = BitConverter.ToInt32(tail[..4]);
        var footerStart = length - 8 - footerLength;
        if (footerLength <= 0 || footerStart < 4)
        {
            return $"its footer length {footerLength} does not fit a file of {length} bytes";
        }
        if (footerLength > 256 * 1024 * 1024)
        {
            return $"its footer claims {footerLength:N0} bytes, more than any real file's metadata";
        }
        var footer = new byte[footerLength];
        stream.Seek(footerStart, SeekOrigin.Begin);
        stream.ReadExactly(footer);
        var reader = new CompactReader(footer, footerStart);
        try
        {
            reader.Struct([], 0);
            return reader.Problem;
        }
        catch (FormatException e)
        {
            return $"its footer is not valid Parquet metadata ({e.Message})";
        }
    }

    /// <summary>A skipping reader of Thrift's compact protocol that remembers the page offsets it passes.</summary>
    private sealed class CompactReader(byte[] data, long footerStart)
    {
        private int _pos;

        public string? Problem { get; private set; }

        public void Struct(List<short> path, int depth)
        {
            if (depth > MaxDepth)
            {
                throw new FormatException("nested too deeply");
            }
            short field = 0;
            while (true)
            {
                var header = Byte();
                var type = header & 0x0F;
                if (type == 0)
                {
                    return;
                }
                var delta = header >> 4;
                field = delta == 0 ? checked((short)ZigZag(Varint())) : (short)(field + delta);
                path.Add(field);
                Value(type, path, depth);
                path.RemoveAt(path.Count - 1);
            }
        }

        private void Value(int type, List<short> path, int depth)
        {
            switch (type)
            {
                case 1 or 2:
                    break;
                case 3:
                    Skip(1);
                    break;
                case 4 or 5:
                    Varint();
                    break;
                case 6:
                    Check(path, ZigZag(Varint()));
                    break;
                case 7:
                    Skip(8);
                    break;
                case 8:
                    Skip(Size(Varint()));
                    break;
                case 9 or 10:
                    {
                        var header = Byte();
                        var size = header >> 4;
                        var element = header & 0x0F;
                        var count = size == 15 ? Size(Varint()) : size;
                        // Every element takes at least one byte: a count past the bytes left is a lie.
                        if (count > data.Length - _pos)
                        {
                            throw new FormatException($"a list of {count:N0} elements in {data.Length - _pos:N0} bytes");
                        }
                        for (var i = 0; i < count; i++)
                        {
                            Element(element, path, depth);
                        }
                        break;
                    }
                case 11:
                    {
                        var count = Size(Varint());
                        if (count == 0)
                        {
                            break;
                        }
                        if (count > data.Length - _pos)
                        {
                            throw new FormatException($"a map of {count:N0} entries in {data.Length - _pos:N0} bytes");
                        }
                        var types = Byte();
                        for (var i = 0; i < count; i++)
                        {
                            Element(types >> 4, path, depth);
                            Element(types & 0x0F, path, depth);
                        }
                        break;
                    }
                case 12:
                    Struct(path, depth + 1);
                    break;
                default:
                    throw new FormatException($"unknown Thrift type {type}");
            }
        }

        private void Element(int type, List<short> path, int depth)
        {
            // Booleans inside lists take one byte each.
            if (type is 1 or 2)
            {
                Skip(1);
                return;
            }
            Value(type, path, depth);
        }

        /// <summary>FileMetaData.row_groups[].columns[].meta_data.{data,index,dictionary}_page_offset and total_compressed_size.</summary>
        private void Check(List<short> path, long value)
        {
            if (Problem is not null)
            {
                return;
            }
            if (path is [3] && value < 0)
            {
                Problem = $"its footer gives a negative row count ({value})";
            }
            else if (path is [4, 1, 3, 9 or 10 or 11] && (value < 4 || value >= footerStart))
            {
                Problem = $"a column chunk's page offset {value} lies outside the data between the header and the footer (bytes 4..{footerStart})";
            }
            else if (path is [4, 1, 3, 7] && (value < 0 || value > footerStart))
            {
                Problem = $"a column chunk claims {value:N0} compressed bytes, more than the file holds";
            }
        }

        private byte Byte() =>
            _pos < data.Length ? data[_pos++] : throw new FormatException("it ends in the middle of a value");

        private void Skip(long count)
        {
            if (count < 0 || count > data.Length - _pos)
            {
                throw new FormatException("a value runs past its end");
            }
            _pos += (int)count;
        }

        private ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }
            throw new FormatException("a variable-length integer longer than 10 bytes");
        }

        private int Size(ulong value) =>
            value <= int.MaxValue ? (int)value : throw new FormatException($"a length of {value:N0}");

        private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
    }
}
