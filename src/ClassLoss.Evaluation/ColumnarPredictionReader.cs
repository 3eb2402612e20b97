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

    /// <summary>An exception message on one line, without its final full stop.</summary>
    protected static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    /// <summary>No column is named as the label column; <paramref name="columns"/> are the file's column names.</summary>
    protected InvalidDataException NoLabelColumn(PredictionReaderOptions options, IEnumerable<string> columns) =>
        new($"{FilePath}: no label column '{options.LabelColumn}' among the columns ({string.Join(", ", columns)}); name it with --label-column.");

    /// <summary>The file has the label column <paramref name="label"/> and nothing else.</summary>
    protected InvalidDataException OnlyLabelColumn(string label) =>
        new($"{FilePath}: only the label column '{label}'; expected one float/double column per class, one positive-class column, or one list column.");

    /// <summary>A list column whose items are <paramref name="item"/>, not float or double.</summary>
    protected InvalidDataException NotFloatList(string name, string item) =>
        new($"{FilePath}: the list column '{name}' holds {item}; expected a list of float or double (one value per class).");

    /// <summary>A value column of type <paramref name="type"/>, not float or double.</summary>
    protected InvalidDataException NotFloatColumn(string name, string type) =>
        new($"{FilePath}: column '{name}' is {type}; expected float or double (one column per class), or one list column of per-class values.");

    /// <summary>
    /// The list layout, one list column <paramref name="name"/> of K values per row: refuses --positive-label (a
    /// list holds every class). K is set afterwards with <see cref="SetListClasses"/>.
    /// </summary>
    protected void UseListColumn(string name, PredictionReaderOptions options)
    {
        if (options.PositiveLabel is not null)
        {
            throw new InvalidDataException($"{FilePath}: --positive-label is for a file with one probability or score column (scikit-learn's binary convention); '{name}' is a list column of per-class values.");
        }

        ColumnNames = [name];
    }

    /// <summary>The classes of the list layout: K = <paramref name="k"/> ≥ 2 values per row, named 0..K-1.</summary>
    protected void SetListClasses(int k)
    {
        if (k < 2)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{FilePath} row 0 ({_unit} 0): the list column '{ColumnNames[0]}' has {k} values; expected one per class, at least 2."));
        }

        Names = [.. Enumerable.Range(0, k).Select(c => c.ToString(CultureInfo.InvariantCulture))];
        Labels = new LabelMap(Names, false, "1");
    }

    /// <summary>
    /// The classes of the column layouts: one value column is scikit-learn's binary convention (classes
    /// [negative, positive] from the options), two or more are one column per class, named after the columns.
    /// </summary>
    protected void SetClassColumns(string[] columnNames, PredictionReaderOptions options)
    {
        ColumnNames = columnNames;
        string positive = options.PositiveLabel ?? "1";
        if (columnNames.Length == 1)
        {
            BinaryColumn = true;
            Names = [options.NegativeLabel ?? (positive == "1" ? "0" : "not " + positive), positive];
        }
        else
        {
            if (options.PositiveLabel is not null)
            {
                throw new InvalidDataException($"{FilePath}: --positive-label is for a file with one probability or score column (scikit-learn's binary convention); this file has {columnNames.Length} class columns.");
            }

            Names = columnNames;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in Names)
            {
                if (!seen.Add(name))
                {
                    throw new InvalidDataException($"{FilePath}: class column '{name}' appears twice.");
                }
            }
        }

        Labels = new LabelMap(Names, BinaryColumn, positive);
    }

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
