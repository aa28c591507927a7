using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// A regression tree ensemble (LightGBM or FastTree, as ML.NET loads it) flattened into arrays and evaluated
/// directly: the same arithmetic as ML.NET's own evaluation (a float comparison <c>value &lt;= threshold</c> at a
/// numeric node, "any listed slot above 0" at a categorical one, the leaves summed in double in tree order, the sum
/// cast to float), without a data view, cursor or delegate per call. ML.NET substitutes a per-node default only for
/// a missing (NaN) value, so a batch holding a NaN is left to ML.NET (<see cref="HasNaN"/>).
/// </summary>
internal sealed class TreeEnsembleEvaluator
{
    // Per node (all trees flattened): the slot it reads (numeric) or the first of its slots in _categorySlots
    // (categorical, stored as -(start + 1)), the threshold, and its two children: >= 0 a node (index among all
    // nodes), < 0 the leaf ~child (index among all leaves).
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _children; // node n: [2n] when value <= threshold (or no listed slot set), [2n + 1] otherwise
    private readonly bool _categorical;
    private readonly int[] _categoryEnd;
    private readonly int[] _categorySlots;
    private readonly double[] _leaves;
    private readonly int[] _roots; // per tree: its root node; int.MinValue for a tree without a split (it outputs 0)

    private TreeEnsembleEvaluator(int[] feature, float[] threshold, int[] children, int[] categoryEnd, int[] categorySlots, double[] leaves, int[] roots, int width)
    {
        _feature = feature;
        _threshold = threshold;
        _children = children;
        _categorical = categorySlots.Length > 0 || feature.Any(f => f < 0);
        _categoryEnd = categoryEnd;
        _categorySlots = categorySlots;
        _leaves = leaves;
        _roots = roots;
        Width = width;
    }

    /// <summary>Slots per row.</summary>
    public int Width { get; }

    public int Trees => _roots.Length;

    /// <summary>The evaluator a model scores with, or null when ML.NET scores it (the benchmark reads it).</summary>
    internal static TreeEnsembleEvaluator? Of(TrainedModel model) => model.Trees;

    /// <summary>
    /// The evaluator of <paramref name="transformer"/> when it is exactly one regression prediction over a LightGBM or
    /// FastTree regression ensemble (nothing before it, no output mapping of its own); null otherwise (ML.NET scores it).
    /// </summary>
    public static TreeEnsembleEvaluator? TryCreate(ITransformer transformer, int width)
    {
        var single = transformer;
        if (transformer is TransformerChain<ITransformer> chain)
        {
            var parts = chain.ToList();
            if (parts.Count != 1)
            {
                return null;
            }
            single = parts[0];
        }
        // Tweedie (exp) and random forests (average) map the sum otherwise: only these two are the plain sum.
        var ensemble = single switch
        {
            RegressionPredictionTransformer<LightGbmRegressionModelParameters> lightgbm => lightgbm.Model.TrainedTreeEnsemble,
            RegressionPredictionTransformer<FastTreeRegressionModelParameters> fasttree => fasttree.Model.TrainedTreeEnsemble,
            _ => null,
        };
        return ensemble is null ? null : Flatten(ensemble, width);
    }

    private static TreeEnsembleEvaluator? Flatten(RegressionTreeEnsemble ensemble, int width)
    {
        var feature = new List<int>();
        var threshold = new List<float>();
        var children = new List<int>();
        var categoryEnd = new List<int>();
        var categorySlots = new List<int>();
        var leaves = new List<double>();
        var roots = new int[ensemble.Trees.Count];
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            var nodeBase = feature.Count;
            var leafBase = leaves.Count;
            if (tree.NumberOfNodes == 0)
            {
                // ML.NET's empty tree (no split): its output is 0 whatever its leaf holds.
                roots[t] = int.MinValue;
                continue;
            }
            roots[t] = nodeBase;
            for (var n = 0; n < tree.NumberOfNodes; n++)
            {
                if (tree.CategoricalSplitFlags[n])
                {
                    var slots = tree.GetCategoricalSplitFeaturesAt(n);
                    feature.Add(-(categorySlots.Count + 1));
                    foreach (var slot in slots)
                    {
                        if ((uint)slot >= (uint)width)
                        {
                            return null;
                        }
                        categorySlots.Add(slot);
                    }
                    categoryEnd.Add(categorySlots.Count);
                }
                else
                {
                    var slot = tree.NumericalSplitFeatureIndexes[n];
                    if ((uint)slot >= (uint)width)
                    {
                        return null;
                    }
                    feature.Add(slot);
                    categoryEnd.Add(0);
                }
                threshold.Add(tree.NumericalSplitThresholds[n]);
                children.Add(Child(tree.LeftChild[n], nodeBase, leafBase));
                children.Add(Child(tree.RightChild[n], nodeBase, leafBase));
            }
            leaves.AddRange(tree.LeafValues);
        }
        return new TreeEnsembleEvaluator([.. feature], [.. threshold], [.. children], [.. categoryEnd], [.. categorySlots], [.. leaves], roots, width);

        // A node of the tree becomes its index among all nodes; a leaf ~l becomes ~(its index among all leaves).
        static int Child(int child, int nodeBase, int leafBase) => child >= 0 ? nodeBase + child : ~(leafBase + ~child);
    }

    /// <summary>Scores <paramref name="rows"/> rows of <see cref="Width"/> slots (none NaN: see <see cref="HasNaN"/>) into <paramref name="output"/>.</summary>
    public void Score(ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        for (var r = 0; r < rows; r++)
        {
            output[r] = Row(input.Slice(r * Width, Width));
        }
    }

    private float Row(ReadOnlySpan<float> row)
    {
        var sum = 0.0;
        ref var first = ref MemoryMarshal.GetReference(row);
        var feature = _feature;
        var threshold = _threshold;
        var children = _children;
        var leaves = _leaves;
        var roots = _roots;
        for (var t = 0; t < roots.Length; t++)
        {
            var node = roots[t];
            if (node == int.MinValue)
            {
                continue; // an empty tree adds 0.0, as ML.NET's does
            }
            if (_categorical)
            {
                while (node >= 0)
                {
                    node = Step(row, node);
                }
            }
            else
            {
                while (node >= 0)
                {
                    // ML.NET's test: "value <= threshold" goes left. A branch (not a conditional move): the
                    // processor runs ahead down the predicted side instead of waiting for each load.
                    if (Unsafe.Add(ref first, feature[node]) <= threshold[node])
                    {
                        node = children[node * 2];
                    }
                    else
                    {
                        node = children[(node * 2) + 1];
                    }
                }
            }
            sum += leaves[~node];
        }
        return (float)sum;
    }

    private int Step(ReadOnlySpan<float> row, int node)
    {
        var slot = _feature[node];
        if (slot >= 0)
        {
            return _children[(node * 2) + (row[slot] <= _threshold[node] ? 0 : 1)];
        }
        for (var i = -slot - 1; i < _categoryEnd[node]; i++)
        {
            if (row[_categorySlots[i]] > 0f)
            {
                return _children[(node * 2) + 1];
            }
        }
        return _children[node * 2];
    }

    /// <summary>A missing value: ML.NET then reads the node's default for it, so it scores such a batch itself.</summary>
    public static bool HasNaN(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (float.IsNaN(v))
            {
                return true;
            }
        }
        return false;
    }
}
