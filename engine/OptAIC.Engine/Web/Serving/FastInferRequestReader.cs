using System.Text.Json;

namespace OptAIC.Engine.Web.Serving;

/// <summary>
/// The usual inference request read in one forward pass with <see cref="Utf8JsonReader"/>, straight into the
/// feature rows: <c>id</c>, <c>parameters</c> and <c>inputs</c>, each input with name, datatype and shape before its
/// flat data of FP32, FP64 or INT64 numbers (one input per feature, or one [rows, features] input). Whatever it does
/// not take, including every malformed request, it declines (null) and <see cref="InferRequestParser"/>'s full reader
/// takes it, with the same values where both read a request and the error naming the input where it is wrong.
/// </summary>
internal static class FastInferRequestReader
{
    private static readonly JsonReaderOptions Options = new()
    {
        MaxDepth = InferRequestParser.Options.MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static InferRequest? TryRead(ReadOnlySpan<byte> body, ServedModel model)
    {
        try
        {
            return Read(body, model);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null; // not valid JSON or not valid text: the full reader says what is wrong
        }
    }

    private static InferRequest? Read(ReadOnlySpan<byte> body, ServedModel model)
    {
        if (model.HasCategories)
        {
            return null; // category names are looked up (and unseen ones counted) by the full reader
        }
        var reader = new Utf8JsonReader(body, isFinalBlock: true, new JsonReaderState(Options));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        string? id = null;
        bool sawId = false, sawParameters = false, sawInputs = false;
        var state = new Rows(model, body.Length);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("inputs"u8) && !sawInputs)
            {
                sawInputs = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !ReadInputs(ref reader, ref state))
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("id"u8) && !sawId)
            {
                sawId = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return null;
                }
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals("parameters"u8) && !sawParameters)
            {
                sawParameters = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !SkipObject(ref reader))
                {
                    return null;
                }
            }
            else
            {
                return null; // outputs, an unknown field or a repeated one
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || !sawInputs)
        {
            return null;
        }
        return state.Complete() is { } features ? new InferRequest(id, state.Count, features, null) : null;
    }

    private static bool ReadInputs(ref Utf8JsonReader reader, ref Rows rows)
    {
        var index = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return index > 0;
            }
            if (reader.TokenType != JsonTokenType.StartObject || !ReadTensor(ref reader, ref rows, index))
            {
                return false;
            }
            index++;
        }
        return false;
    }

    private static bool ReadTensor(ref Utf8JsonReader reader, ref Rows rows, int index)
    {
        string? name = null;
        TensorDatatype? datatype = null;
        long first = -1, second = -1;
        var dimensions = -1;
        var sawData = false;
        var sawParameters = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8) && !sawData)
            {
                sawData = true;
                // Name, datatype and shape first: then each value goes straight to its place.
                if (name is null || datatype is null || dimensions < 1 || !reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }
                if (!rows.Place(name, first, dimensions == 2 ? second : -1, index, out var offset, out var stride, out var count)
                    || !ReadData(ref reader, datatype.Value, rows.Target!, offset, stride, count))
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("name"u8) && name is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }
                name = reader.GetString();
            }
            else if (reader.ValueTextEquals("datatype"u8) && datatype is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }
                datatype = reader.ValueTextEquals("FP64"u8) ? TensorDatatype.FP64
                    : reader.ValueTextEquals("FP32"u8) ? TensorDatatype.FP32
                    : reader.ValueTextEquals("INT64"u8) ? TensorDatatype.INT64
                    : null;
                if (datatype is null)
                {
                    return false; // BYTES (numbers as text) or not a datatype: the full reader
                }
            }
            else if (reader.ValueTextEquals("shape"u8) && dimensions < 0)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }
                dimensions = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.Number)
                {
                    if (!reader.TryGetInt64(out var size) || size < 0 || dimensions == 2)
                    {
                        return false;
                    }
                    if (dimensions == 0)
                    {
                        first = size;
                    }
                    else
                    {
                        second = size;
                    }
                    dimensions++;
                }
                if (reader.TokenType != JsonTokenType.EndArray || dimensions == 0)
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("parameters"u8) && !sawParameters)
            {
                sawParameters = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !SkipObject(ref reader))
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }
        return reader.TokenType == JsonTokenType.EndObject && sawData;
    }

    /// <summary>A flat array of exactly <paramref name="count"/> numbers of the datatype, each a finite 32-bit value, to target[offset + i * stride].</summary>
    private static bool ReadData(ref Utf8JsonReader reader, TensorDatatype datatype, float[] target, int offset, int stride, int count)
    {
        var written = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return written == count;
            }
            if (reader.TokenType != JsonTokenType.Number || written == count)
            {
                return false;
            }
            double value;
            if (datatype == TensorDatatype.INT64)
            {
                if (!reader.TryGetInt64(out var integer))
                {
                    return false;
                }
                value = integer;
            }
            else if (!reader.TryGetDouble(out value))
            {
                return false;
            }
            // As the full reader converts it: the model takes 32-bit features.
            var single = (float)value;
            if (!double.IsFinite(value) || !float.IsFinite(single))
            {
                return false;
            }
            target[offset + (written * stride)] = single;
            written++;
        }
        return false;
    }

    private static bool SkipObject(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return reader.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>The rows being filled: by feature name (one column per input) or from one [rows, features] input.</summary>
    private struct Rows(ServedModel model, int bodyBytes)
    {
        private readonly ServedModel _model = model;
        private readonly int _bodyBytes = bodyBytes;
        private bool[]? _seen;
        private bool _matrix;
        private int _inputs;

        public float[]? Target { get; private set; }

        public int Count { get; private set; }

        /// <summary>Where input <paramref name="index"/> goes, as the full reader would place it; false to leave the request to it.</summary>
        public bool Place(string name, long rows, long columns, int index, out int offset, out int stride, out int count)
        {
            offset = stride = count = 0;
            var width = _model.Features.Count;
            var known = _model.FeatureIndex.TryGetValue(name, out var column);
            if (rows <= 0 || rows * Math.Max(width, 1) > _bodyBytes / 2 || _matrix)
            {
                return false; // no rows, more values than the body can hold, or a second input beside a matrix
            }
            _inputs++;
            if (index == 0 && columns == width)
            {
                // One [rows, features] input (a second input would make it something else: declined above).
                _matrix = true;
                Count = (int)rows;
                Target = new float[Count * width];
                count = Count * width;
                stride = 1;
                return true;
            }
            if (!known || (columns >= 0 && columns != 1))
            {
                return false;
            }
            if (Target is null)
            {
                Count = (int)rows;
                Target = new float[Count * width];
                _seen = new bool[width];
            }
            if (rows != Count || _seen is null || _seen[column])
            {
                return false;
            }
            _seen[column] = true;
            offset = column;
            stride = width;
            count = Count;
            return true;
        }

        /// <summary>The rows once every feature has its values; null when one is missing (the full reader names it).</summary>
        public readonly float[]? Complete()
        {
            if (_matrix)
            {
                return _inputs == 1 ? Target : null;
            }
            return _seen is not null && Array.TrueForAll(_seen, s => s) ? Target : null;
        }
    }
}
