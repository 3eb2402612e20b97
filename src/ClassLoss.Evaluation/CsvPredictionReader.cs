using System.Globalization;
using nietras.SeparatedValues;

namespace ClassLoss.Evaluation;

/// <summary>
/// CSV/TSV prediction rows, streamed with Sep (nietras/Sep: SIMD separator search, csFastFloat number parsing,
/// quoted fields, BOM, CRLF). Sep reads the header as an ordinary row (so blank lines before it are skipped and
/// every message is ours), the column count is checked here so the message names the file and line.
/// </summary>
/// <remarks>
/// Two layouts: the label column and K ≥ 2 class columns; or scikit-learn's binary convention, the label and one
/// column holding the positive class's probability (or score, or log-probability), which is read as the two
/// columns [negative, positive] (probabilities <c>[1 - p, p]</c>, logits <c>[0, s]</c>, log-probabilities
/// <c>[log(1 - e^v), v]</c>), so everything downstream sees K = 2.
/// </remarks>
internal sealed class CsvPredictionReader : PredictionReader
{
    private readonly SepReader _reader;
    private readonly string _path;
    private readonly int _labelColumn;
    private readonly int _columns;
    private readonly string[] _classNames;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int[] _valueColumns;
    private readonly bool _binaryColumn;
    private readonly string _positive;
    private readonly double _positiveNumber;
    private string? _negative;
    private readonly CancellationTokenSource _cancel = new();
    private long _line;
    private long _location;
    private Task? _producer;
    private System.Collections.Concurrent.BlockingCollection<Batch>? _free;
    private System.Collections.Concurrent.BlockingCollection<Batch>? _full;
    private Batch? _batch;
    private int _at;
    private bool _disposed;

    public CsvPredictionReader(string path, PredictionReaderOptions options)
    {
        _path = path;
        Values = options.Values;
        char separator = options.Separator ?? DetectSeparator(path);
        _reader = new SepReaderOptions(new Sep(separator))
        {
            HasHeader = false,
            DisableColCountCheck = true,
            Unescape = true,
            CultureInfo = CultureInfo.InvariantCulture,
        }.FromFile(path);
        try
        {
            string[]? names = null;
            while (_reader.MoveNext())
            {
                var row = _reader.Current;
                _line = row.LineNumberFrom;
                if (IsBlank(row))
                {
                    continue;
                }

                names = new string[row.ColCount];
                for (int i = 0; i < names.Length; i++)
                {
                    names[i] = row[i].Span.Trim().ToString();
                }

                break;
            }

            if (names is null)
            {
                throw new InvalidDataException($"{path} is empty: expected a header naming the label column and the classes.");
            }

            _columns = names.Length;
            _labelColumn = -1;
            for (int i = 0; i < names.Length; i++)
            {
                if (_labelColumn < 0 && string.Equals(names[i], options.LabelColumn, StringComparison.OrdinalIgnoreCase))
                {
                    _labelColumn = i;
                }
            }

            if (_labelColumn < 0)
            {
                throw Error($"no label column '{options.LabelColumn}' in the header ({string.Join(", ", names)}); name it with --label-column");
            }

            if (_columns < 2)
            {
                throw Error($"the header has {_columns} column; expected the label and one positive-class column (scikit-learn's binary convention) or at least 2 class columns");
            }

            _valueColumns = new int[_columns - 1];
            for (int i = 0, c = 0; i < names.Length; i++)
            {
                if (i != _labelColumn)
                {
                    _valueColumns[c++] = i;
                }
            }

            _positive = options.PositiveLabel ?? "1";
            _positiveNumber = double.TryParse(_positive, NumberStyles.Float, CultureInfo.InvariantCulture, out double pn) ? pn : double.NaN;
            var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            if (_columns == 2)
            {
                // scikit-learn's binary convention: the one column is the positive class (pos_label).
                _binaryColumn = true;
                _classNames = [options.NegativeLabel ?? (_positive == "1" ? "0" : "not " + _positive), _positive];
            }
            else
            {
                if (options.PositiveLabel is not null)
                {
                    throw Error($"--positive-label is for a file with one probability or score column (scikit-learn's binary convention); this header has {_columns - 1} class columns");
                }

                _classNames = new string[_columns - 1];
                for (int c = 0; c < _classNames.Length; c++)
                {
                    _classNames[c] = names[_valueColumns[c]];
                    if (!classIndex.TryAdd(_classNames[c], c))
                    {
                        throw Error($"class name '{_classNames[c]}' appears twice in the header");
                    }
                }
            }

            _lookup = classIndex.GetAlternateLookup<ReadOnlySpan<char>>();
            _location = _line;
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    public override IReadOnlyList<string> ClassNames => _classNames;

    public override string Location => string.Create(CultureInfo.InvariantCulture, $"{_path} line {_location}");

    public override bool Read(out int label, Span<double> values)
    {
        if (values.Length != _classNames.Length)
        {
            throw new ArgumentException($"values has length {values.Length}; expected {_classNames.Length}.", nameof(values));
        }

        if (_producer is null)
        {
            StartReadAhead();
        }

        while (_batch is null || _at >= _batch.Count)
        {
            if (_batch is not null)
            {
                if (_batch.Error is { } error)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                }

                if (_batch.End)
                {
                    _location = _batch.EndLine;
                    label = -1;
                    return false;
                }

                _free!.Add(_batch);
            }

            _batch = _full!.Take();
            _at = 0;
        }

        int k = _classNames.Length;
        label = _batch.Labels[_at];
        _batch.Values.AsSpan(_at * k, k).CopyTo(values);
        _location = _batch.Lines[_at];
        _at++;
        return true;
    }

    /// <summary>
    /// Read-ahead: one background task parses batches of rows (Sep and the number parsing) while the caller
    /// consumes the previous batch, so parsing overlaps the caller's work. Three batches circulate (one being read,
    /// up to two parsed ahead), in file order; a parse error travels in its batch after the rows before it, so it
    /// is thrown at the same row as a sequential read would throw it.
    /// </summary>
    private void StartReadAhead()
    {
        int k = _classNames.Length;
        int rows = Math.Clamp(65536 / k, 1, 1024);
        _free = new System.Collections.Concurrent.BlockingCollection<Batch>(3);
        _full = new System.Collections.Concurrent.BlockingCollection<Batch>(3);
        for (int i = 0; i < 3; i++)
        {
            _free.Add(new Batch(rows, k));
        }

        _producer = Task.Factory.StartNew(Produce, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Produce()
    {
        Batch? b = null;
        try
        {
            int k = _classNames.Length;
            while (true)
            {
                b = _free!.Take(_cancel.Token);
                b.Count = 0;
                while (b.Count < b.Labels.Length)
                {
                    if (!ReadRow(out b.Labels[b.Count], b.Values.AsSpan(b.Count * k, k)))
                    {
                        b.End = true;
                        b.EndLine = _line;
                        break;
                    }

                    b.Lines[b.Count++] = _line;
                }

                _full!.Add(b, _cancel.Token);
                if (b.End)
                {
                    return;
                }

                b = null;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (b is not null)
        {
            b.Error = e;
            try
            {
                _full!.Add(b, _cancel.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private sealed class Batch(int rows, int k)
    {
        public readonly int[] Labels = new int[rows];
        public readonly double[] Values = new double[rows * k];
        public readonly long[] Lines = new long[rows];
        public int Count;
        public bool End;
        public long EndLine;
        public Exception? Error;
    }

    /// <summary>One row, parsed on the read-ahead task; <c>_line</c> is the producer's position.</summary>
    private bool ReadRow(out int label, Span<double> values)
    {
        label = -1;
        while (true)
        {
            if (!_reader.MoveNext())
            {
                _line++;
                return false;
            }

            var row = _reader.Current;
            _line = row.LineNumberFrom;
            if (!IsBlank(row))
            {
                break;
            }
        }

        var r = _reader.Current;
        int count = r.ColCount;
        if (count > _columns)
        {
            throw Error($"has more than the {_columns} columns of the header");
        }

        if (count != _columns)
        {
            throw Error($"has {count} columns; the header has {_columns}");
        }

        var labelCell = r[_labelColumn].Span.Trim();
        if (_binaryColumn)
        {
            label = BinaryLabel(labelCell);
            double v = Number(r, _valueColumns[0], 0);
            if (!BinaryColumn.Expand(Values, v, values))
            {
                throw Error($"column {_valueColumns[0] + 1} ('{_classNames[1]}') is the log-probability {v.ToString("R", CultureInfo.InvariantCulture)} > 0");
            }

            return true;
        }

        label = ParseLabel(labelCell);
        for (int c = 0; c < values.Length; c++)
        {
            values[c] = Number(r, _valueColumns[c], c);
        }

        return true;
    }

    private double Number(SepReader.Row row, int column, int c)
    {
        // Sep's csFastFloat parse first; only a cell it refuses is trimmed (spaces around a number are allowed) and
        // parsed again, so the common case pays no trimming.
        var col = row[column];
        if (col.TryParse(out double v) && !double.IsNaN(v))
        {
            return v;
        }

        var cell = col.Span.Trim();
        if (!cell.IsEmpty && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && !double.IsNaN(v))
        {
            return v;
        }

        string name = _binaryColumn ? _classNames[1] : _classNames[c];
        throw cell.IsEmpty
            ? Error($"column {column + 1} ('{name}') is empty")
            : Error($"column {column + 1} ('{name}') is '{cell}', not a number");
    }

    private static bool IsBlank(SepReader.Row row) => row.ColCount == 1 && row[0].Span.Trim().IsEmpty;

    /// <summary>Tab for <c>.tsv</c> or a first non-blank line holding a tab; comma otherwise.</summary>
    private static char DetectSeparator(string path)
    {
        if (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
        {
            return '\t';
        }

        using var text = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[4096];
        int n;
        bool content = false;
        while ((n = text.Read(buffer, 0, buffer.Length)) > 0)
        {
            foreach (char ch in buffer.AsSpan(0, n))
            {
                if (ch == '\t')
                {
                    return '\t';
                }

                if (ch == '\n' && content)
                {
                    return ',';
                }

                content |= !char.IsWhiteSpace(ch);
            }
        }

        return ',';
    }

    private int ParseLabel(ReadOnlySpan<char> cell)
    {
        if (cell.IsEmpty)
        {
            throw Error($"the label (column {_labelColumn + 1}) is empty");
        }

        if (_lookup.TryGetValue(cell, out int index))
        {
            return index;
        }

        if (int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out index) && (uint)index < (uint)_classNames.Length)
        {
            return index;
        }

        throw Error($"unknown label '{cell}': it is neither a class name of the header nor an index in [0, {_classNames.Length})");
    }

    /// <summary>
    /// scikit-learn's <c>pos_label</c>: the positive label (compared as text, or as a number when both parse, so
    /// "1.0" is 1); every other label is the negative class, and there may be only one other label.
    /// </summary>
    private int BinaryLabel(ReadOnlySpan<char> cell)
    {
        if (cell.IsEmpty)
        {
            throw Error($"the label (column {_labelColumn + 1}) is empty");
        }

        if (cell.SequenceEqual(_positive)
            || (!double.IsNaN(_positiveNumber) && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x == _positiveNumber))
        {
            return 1;
        }

        if (_negative is null)
        {
            _negative = cell.ToString();
        }
        else if (!cell.SequenceEqual(_negative)
            && !(double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
                 && double.TryParse(_negative, NumberStyles.Float, CultureInfo.InvariantCulture, out double b) && a == b))
        {
            throw Error($"label '{cell}' is neither the positive label '{_positive}' nor the negative label '{_negative}' of the rows before: with one probability column (scikit-learn's binary convention) there are two labels, and the positive one is set with --positive-label");
        }

        return 0;
    }

    private InvalidDataException Error(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{_path} line {_line}: {what}."));

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _cancel.Cancel();
            try
            {
                _producer?.Wait();
            }
            catch (AggregateException)
            {
            }

            _reader.Dispose();
            _free?.Dispose();
            _full?.Dispose();
            _cancel.Dispose();
        }
    }
}
