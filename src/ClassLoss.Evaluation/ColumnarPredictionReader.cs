using System.Globalization;

namespace ClassLoss.Evaluation;

/// <summary>
/// What the Parquet and Arrow IPC readers share: a file read one batch (row group, record batch) at a time into
/// a label array and a row-major [rows, K] value array, so memory is bounded by one batch. The layouts: a label
/// column and K ≥ 2 float/double class columns, one float/double column in scikit-learn's binary convention
/// (read as [negative, positive]), or one list column of K float/double values per row (classes named 0..K-1).
/// Every message names the file, the 0-based row and its batch.
/// </summary>
internal abstract class ColumnarPredictionReader : PredictionReader
{
    private readonly string _unit;
    private int[] _labels = [];
    private double[] _values = [];
    private int _count;
    private int _at;
    private long _batchStart;
    private int _batch = -1;
    private long _last = -1;
    private bool _ended;

    protected ColumnarPredictionReader(string path, string unit, PredictionValues values)
    {
        FilePath = path;
        _unit = unit;
        Values = values;
    }

    protected string FilePath { get; }

    /// <summary>The batch being loaded (0-based).</summary>
    protected int BatchIndex => _batch;

    /// <summary>The class names (set by the derived constructor).</summary>
    protected string[] Names { get; set; } = [];

    /// <summary>The name of each value column, for messages (one for a list column).</summary>
    protected string[] ColumnNames { get; set; } = [];

    /// <summary>One value column in scikit-learn's binary convention.</summary>
    protected bool BinaryColumn { get; set; }

    protected LabelMap Labels { get; set; } = null!;

    public override IReadOnlyList<string> ClassNames => Names;

    public override string Location => Where(Math.Max(_last, 0));

    /// <summary>The file, the row (0-based in the file) and its batch, as messages name them.</summary>
    protected string Where(long row) =>
        string.Create(CultureInfo.InvariantCulture, $"{FilePath} row {row} ({_unit} {Math.Max(_batch, 0)})");

    /// <summary>An error at row <paramref name="rowInBatch"/> of the batch being loaded.</summary>
    protected InvalidDataException RowError(int rowInBatch, string what) => new($"{Where(_batchStart + rowInBatch)}: {what}.");

    /// <summary>An error about the batch being loaded as a whole.</summary>
    protected InvalidDataException BatchError(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{FilePath} {_unit} {Math.Max(_batch, 0)}: {what}."));

    /// <summary>Loads the next batch with <see cref="Begin"/>, <see cref="SetLabel(int, ReadOnlySpan{char})"/> and <see cref="Store"/>; false at the end.</summary>
    protected abstract bool LoadBatch();

    /// <summary>Starts a batch of <paramref name="rows"/> rows.</summary>
    protected void Begin(int rows)
    {
        int k = Names.Length;
        if (_labels.Length < rows)
        {
            _labels = new int[rows];
            _values = new double[(long)rows * k];
        }

        _count = rows;
    }

    protected void SetLabel(int row, ReadOnlySpan<char> cell) => _labels[row] = Check(row, Labels.Map(cell));

    protected void SetLabel(int row, long value) => _labels[row] = Check(row, Labels.Map(value));

    private int Check(int row, int label) => label >= 0 ? label : throw RowError(row, Labels.Error);

    /// <summary>Stores value column <paramref name="column"/> of a row: NaN is an error; in the binary convention the value is expanded to [negative, positive].</summary>
    protected void Store(int row, int column, double v)
    {
        int k = Names.Length;
        if (double.IsNaN(v))
        {
            throw RowError(row, $"{Column(column)} is NaN, not a {(Values == PredictionValues.LogProbabilities ? "log-probability" : "number")}");
        }

        if (BinaryColumn)
        {
            if (!ClassLoss.Evaluation.BinaryColumn.Expand(Values, v, _values.AsSpan(row * 2, 2)))
            {
                throw RowError(row, string.Create(CultureInfo.InvariantCulture, $"{Column(0)} is the log-probability {v:R} > 0"));
            }

            return;
        }

        _values[(long)row * k + column] = v;
    }

    /// <summary>"column 'b'", or "column 'p' element 3" for a list column.</summary>
    protected string Column(int column) =>
        ColumnNames.Length == 1 && Names.Length > 1 && !BinaryColumn
            ? string.Create(CultureInfo.InvariantCulture, $"column '{ColumnNames[0]}' element {column}")
            : $"column '{ColumnNames[column]}'";

    public override bool Read(out int label, Span<double> values)
    {
        int k = Names.Length;
        if (values.Length != k)
        {
            throw new ArgumentException($"values has length {values.Length}; expected {k}.", nameof(values));
        }

        while (_at >= _count)
        {
            if (_ended)
            {
                label = -1;
                return false;
            }

            _batchStart += _count;
            _count = 0;
            _at = 0;
            _batch++;
            if (!LoadBatch())
            {
                _ended = true;
                _batch--;
                label = -1;
                return false;
            }
        }

        label = _labels[_at];
        _values.AsSpan(_at * k, k).CopyTo(values);
        _last = _batchStart + _at;
        _at++;
        return true;
    }
}
