using System.Buffers.Binary;
using System.Text;

namespace OptAIC.Engine.ML.Inference;

/// <summary>
/// Writes small ONNX models (opset 13) directly as protobuf bytes, so tests and benchmarks can build the
/// models they score without Python or a download. It covers what those need: float tensors, graph
/// inputs/outputs with a dynamic batch dimension, initializers, and nodes with integer attributes.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    // onnx.proto field numbers used below.
    private const int ElemFloat = 1;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];

    /// <summary>A graph input; a dimension of -1 becomes the symbolic batch dimension "N".</summary>
    public OnnxGraphBuilder Input(string name, params long[] dims)
    {
        _inputs.Add(ValueInfo(name, dims));
        return this;
    }

    public OnnxGraphBuilder Output(string name, params long[] dims)
    {
        _outputs.Add(ValueInfo(name, dims));
        return this;
    }

    /// <summary>A constant float tensor, stored as little-endian raw data.</summary>
    public OnnxGraphBuilder Initializer(string name, long[] dims, float[] values)
    {
        var raw = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        }
        var tensor = new ProtoWriter();
        foreach (var d in dims)
        {
            tensor.Varint(1, d);
        }
        tensor.Varint(2, ElemFloat);
        tensor.String(8, name);
        tensor.Bytes(9, raw);
        _initializers.Add(tensor.ToArray());
        return this;
    }

    public OnnxGraphBuilder Node(string opType, string[] inputs, string[] outputs, params (string Name, long Value)[] intAttributes)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }
        foreach (var output in outputs)
        {
            node.String(2, output);
        }
        node.String(3, $"{opType}_{_nodes.Count}");
        node.String(4, opType);
        foreach (var (name, value) in intAttributes)
        {
            var attribute = new ProtoWriter();
            attribute.String(1, name);
            attribute.Varint(3, value);
            attribute.Varint(20, 2); // AttributeType.INT
            node.Message(5, attribute.ToArray());
        }
        _nodes.Add(node.ToArray());
        return this;
    }

    public byte[] Build(string graphName = "graph")
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes)
        {
            graph.Message(1, node);
        }
        graph.String(2, graphName);
        foreach (var initializer in _initializers)
        {
            graph.Message(5, initializer);
        }
        foreach (var input in _inputs)
        {
            graph.Message(11, input);
        }
        foreach (var output in _outputs)
        {
            graph.Message(12, output);
        }

        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Varint(2, 13);

        var model = new ProtoWriter();
        model.Varint(1, 7); // IR version 7 goes with opset 13
        model.String(2, "optaic-onnx-graph-builder");
        model.Message(7, graph.ToArray());
        model.Message(8, opset.ToArray());
        return model.ToArray();
    }

    /// <summary>y = x W + b, with x of shape [N, F], W [F, K], b [K]; W is row-major F x K.</summary>
    public static byte[] Linear(string input, string output, int features, int outputs, float[] weights, float[] bias)
    {
        if (weights.Length != features * outputs || bias.Length != outputs)
        {
            throw new ArgumentException("weights must be features x outputs and bias must have one value per output");
        }
        return new OnnxGraphBuilder()
            .Input(input, -1, features)
            .Output(output, -1, outputs)
            .Initializer("W", [features, outputs], weights)
            .Initializer("B", [outputs], bias)
            .Node("MatMul", [input, "W"], ["xw"])
            .Node("Add", ["xw", "B"], [output])
            .Build("linear");
    }

    private static byte[] ValueInfo(string name, long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var d in dims)
        {
            var dim = new ProtoWriter();
            if (d < 0)
            {
                dim.String(2, "N");
            }
            else
            {
                dim.Varint(1, d);
            }
            shape.Message(1, dim.ToArray());
        }
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, ElemFloat);
        tensorType.Message(2, shape.ToArray());
        var type = new ProtoWriter();
        type.Message(1, tensorType.ToArray());
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type.ToArray());
        return info.ToArray();
    }

    /// <summary>The two protobuf wire types ONNX models need here: varints and length-delimited fields.</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Varint(int field, long value)
        {
            Tag(field, 0);
            RawVarint((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, byte[] message) => Bytes(field, message);

        public void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            RawVarint((ulong)value.Length);
            _bytes.AddRange(value);
        }

        public byte[] ToArray() => [.. _bytes];

        private void Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

        private void RawVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }
            _bytes.Add((byte)value);
        }
    }
}
