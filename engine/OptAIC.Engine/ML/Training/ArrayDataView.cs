using Microsoft.ML;
using Microsoft.ML.Data;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// An <see cref="IDataView"/> straight over row-major float arrays: a fixed-size "Features" vector
/// column and an optional "Label" column (Single, Boolean or a key of K classes). No reflection and
/// no per-row allocation; a row subset is an index array, so folds share the one feature array.
/// </summary>
internal sealed class ArrayDataView : IDataView
{
    public const string FeaturesColumn = "Features";
    public const string LabelColumn = "Label";

    /// <summary>ML.NET's annotation kind for [first, last] slot pairs that each hold one categorical feature.</summary>
    private const string CategoricalSlotRanges = "CategoricalSlotRanges";

    private readonly float[] _features;
    private readonly int _width;
    private readonly int[]? _rows;
    private readonly int _firstRow;
    private readonly int _count;
    private readonly double[]? _labels;
    private readonly LabelKind _labelKind;

    private ArrayDataView(
        float[] features, int width, int count, int[]? rows, double[]? labels, LabelKind kind, int classCount, int firstRow = 0,
        int[]? categoricalSlotRanges = null)
    {
        _firstRow = firstRow;
        _features = features;
        _width = width;
        _count = count;
        _rows = rows;
        _labels = labels;
        _labelKind = kind;
        var builder = new DataViewSchema.Builder();
        if (categoricalSlotRanges is { Length: > 0 } ranges)
        {
            // LightGBM reads this annotation to treat each one-hot block as one categorical feature.
            var annotations = new DataViewSchema.Annotations.Builder();
            annotations.Add(CategoricalSlotRanges, new VectorDataViewType(NumberDataViewType.Int32, ranges.Length),
                (ref VBuffer<int> value) => value = new VBuffer<int>(ranges.Length, [.. ranges]));
            builder.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, width), annotations.ToAnnotations());
        }
        else
        {
            builder.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, width));
        }
        switch (kind)
        {
            case LabelKind.Single:
                builder.AddColumn(LabelColumn, NumberDataViewType.Single);
                break;
            case LabelKind.Boolean:
                builder.AddColumn(LabelColumn, BooleanDataViewType.Instance);
                break;
            case LabelKind.Key:
                builder.AddColumn(LabelColumn, new KeyDataViewType(typeof(uint), classCount));
                break;
            case LabelKind.None:
                break;
        }
        Schema = builder.ToSchema();
    }

    private enum LabelKind
    {
        None,
        Single,
        Boolean,
        Key,
    }

    public bool CanShuffle => true;

    public DataViewSchema Schema { get; }

    /// <summary>Features only, for scoring: <paramref name="rows"/> rows of <paramref name="width"/> from <paramref name="firstRow"/>.</summary>
    public static ArrayDataView ForScoring(float[] features, int width, int rows, int firstRow = 0) =>
        new(features, width, rows, null, null, LabelKind.None, 0, firstRow);

    /// <summary>Features and labels of the given rows (all rows when null), typed for the task.</summary>
    public static ArrayDataView ForTraining(TrainingData data, int[]? rows, ModelTask task, int classCount) =>
        ForTraining(data.Features, data.Width, data, rows, task, classCount, null);

    /// <summary>As above over features already expanded to <paramref name="width"/> slots, with LightGBM's categorical ranges.</summary>
    public static ArrayDataView ForTraining(
        float[] features, int width, TrainingData data, int[]? rows, ModelTask task, int classCount, int[]? categoricalSlotRanges)
    {
        var kind = task switch
        {
            ModelTask.Binary => LabelKind.Boolean,
            ModelTask.Multiclass => LabelKind.Key,
            _ => LabelKind.Single,
        };
        return new(features, width, rows?.Length ?? data.Rows, rows, data.Labels, kind, classCount, 0, categoricalSlotRanges);
    }

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int[]? order = null;
        if (rand is not null)
        {
            order = new int[_count];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }
            // Fisher-Yates with the caller's (seeded) generator keeps shuffled passes reproducible.
            for (var i = order.Length - 1; i > 0; i--)
            {
                var j = rand.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return new Cursor(this, order);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ArrayDataView _view;
        private readonly int[]? _order;
        private long _position = -1;
        private int _row = -1;

        public Cursor(ArrayDataView view, int[]? order)
        {
            _view = view;
            _order = order;
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._count)
            {
                _position = _view._count;
                _row = -1;
                return false;
            }
            _position++;
            var logical = _order is null ? (int)_position : _order[_position];
            _row = _view._rows is null ? _view._firstRow + logical : _view._rows[logical];
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => value = new DataViewRowId((ulong)_row, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<VBuffer<float>>)GetFeatures,
                1 when _view._labelKind == LabelKind.Single => (ValueGetter<float>)GetSingleLabel,
                1 when _view._labelKind == LabelKind.Boolean => (ValueGetter<bool>)GetBooleanLabel,
                1 when _view._labelKind == LabelKind.Key => (ValueGetter<uint>)GetKeyLabel,
                _ => throw new ArgumentOutOfRangeException(nameof(column), $"no column {column.Index} in this view"),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' is not of type {typeof(TValue).Name}");
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            var width = _view._width;
            var editor = VBufferEditor.Create(ref value, width);
            _view._features.AsSpan(_row * width, width).CopyTo(editor.Values);
            value = editor.Commit();
        }

        private void GetSingleLabel(ref float value) => value = (float)_view._labels![_row];

        private void GetBooleanLabel(ref bool value) => value = _view._labels![_row] == 1;

        // Keys are 1-based (0 means missing): class c is key c + 1.
        private void GetKeyLabel(ref uint value) => value = (uint)_view._labels![_row] + 1;
    }
}
