using System.Globalization;
using System.Text;

namespace ClassLoss.Evaluation;

/// <summary>What the K numbers of a prediction row are.</summary>
public enum PredictionValues
{
    /// <summary>Class probabilities (each in [0, 1], rows summing to 1).</summary>
    Probabilities,

    /// <summary>Unnormalised logits; probabilities are <c>softmax(z)</c>.</summary>
    Logits,

    /// <summary>Log-probabilities; probabilities are <c>exp(v)</c>.</summary>
    LogProbabilities,
}

/// <summary>Options of <see cref="PredictionReader"/>.</summary>
public sealed record PredictionReaderOptions
{
    /// <summary>The defaults: label column "label", probabilities.</summary>
    public static PredictionReaderOptions Default { get; } = new();

    /// <summary>Name of the label column in a CSV/TSV header (default "label"; compared case-insensitively).</summary>
    public string LabelColumn { get; init; } = "label";

    /// <summary>What the K value columns hold (default probabilities).</summary>
    public PredictionValues Values { get; init; } = PredictionValues.Probabilities;

    /// <summary>
    /// For a <c>.npy</c> prediction file: the <c>.npy</c> file with the N integer labels (int32 or int64). Required
    /// for <c>.npy</c> predictions, ignored for CSV/TSV.
    /// </summary>
    public string? LabelsPath { get; init; }

    /// <summary>Field separator for text files; null detects it (tab for <c>.tsv</c> or a header with a tab, else comma).</summary>
    public char? Separator { get; init; }
}

/// <summary>
/// Streams prediction rows (a class label and K values) from a CSV/TSV file or from a pair of NumPy <c>.npy</c>
/// files, in one pass and constant memory (one line or one row at a time).
/// </summary>
/// <remarks>
/// <para>CSV/TSV: the header names the label column and the K classes (every other column is a class, in order).
/// A label cell is a class name from the header, or else an integer class index in [0, K). Empty cells, NaN,
/// non-numbers, wrong column counts and unknown labels raise <see cref="InvalidDataException"/> naming the file,
/// line and column.</para>
/// <para>NumPy: float32/float64 [N, K] C-order predictions and int32/int64 [N] labels (see <see cref="NpyReader"/>).</para>
/// </remarks>
public abstract class PredictionReader : IDisposable
{
    /// <summary>The class names, in column order (K of them).</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>K.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>What the values are.</summary>
    public PredictionValues Values { get; protected init; }

    /// <summary>Where the reader is, for error messages ("file.csv line 12", "file.npy byte offset 4096").</summary>
    public abstract string Location { get; }

    /// <summary>Reads the next row into <paramref name="values"/> (length K) and returns false at the end of the data.</summary>
    public abstract bool Read(out int label, Span<double> values);

    /// <summary>Opens a prediction file: <c>.npy</c> by extension, CSV/TSV otherwise.</summary>
    public static PredictionReader Open(string path, PredictionReaderOptions? options = null)
    {
        var o = options ?? PredictionReaderOptions.Default;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (o.LabelsPath is null)
            {
                throw new ArgumentException($"{path} is a .npy prediction array; give the labels as a second .npy file (--labels).", nameof(options));
            }

            return new NpyPredictionReader(path, o.LabelsPath, o.Values);
        }

        return new CsvPredictionReader(path, o);
    }

    /// <summary>Releases the file handles.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the file handles.</summary>
    protected abstract void Dispose(bool disposing);
}

/// <summary>CSV/TSV prediction rows, streamed one line at a time.</summary>
internal sealed class CsvPredictionReader : PredictionReader
{
    private readonly StreamReader _reader;
    private readonly string _path;
    private readonly char _separator;
    private readonly int _labelColumn;
    private readonly int _columns;
    private readonly string[] _classNames;
    private readonly Dictionary<string, int> _classIndex;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private char[] _buffer = new char[1 << 16];
    private int _start;
    private int _end;
    private bool _eof;
    private long _line;

    public CsvPredictionReader(string path, PredictionReaderOptions options)
    {
        _path = path;
        Values = options.Values;
        _reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        try
        {
            string? header = NextLine(out var first) ? first.ToString() : null;
            _line = 1;
            while (header is not null && header.Trim().Length == 0)
            {
                header = NextLine(out first) ? first.ToString() : null;
                _line++;
            }

            if (header is null)
            {
                throw new InvalidDataException($"{path} is empty: expected a header naming the label column and the classes.");
            }

            _separator = options.Separator
                ?? (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || header.Contains('\t', StringComparison.Ordinal) ? '\t' : ',');
            string[] names = header.Split(_separator);
            _columns = names.Length;
            _labelColumn = -1;
            for (int i = 0; i < names.Length; i++)
            {
                names[i] = names[i].Trim().Trim('"');
                if (_labelColumn < 0 && string.Equals(names[i], options.LabelColumn, StringComparison.OrdinalIgnoreCase))
                {
                    _labelColumn = i;
                }
            }

            if (_labelColumn < 0)
            {
                throw new InvalidDataException($"{path} line {_line}: no label column '{options.LabelColumn}' in the header ({string.Join(", ", names)}); name it with --label-column.");
            }

            if (_columns < 3)
            {
                throw new InvalidDataException($"{path} line {_line}: the header has {_columns} columns; expected the label and at least 2 class columns.");
            }

            _classNames = new string[_columns - 1];
            _classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0, c = 0; i < names.Length; i++)
            {
                if (i == _labelColumn)
                {
                    continue;
                }

                _classNames[c] = names[i];
                if (!_classIndex.TryAdd(names[i], c))
                {
                    throw new InvalidDataException($"{path} line {_line}: class name '{names[i]}' appears twice in the header.");
                }

                c++;
            }

            _lookup = _classIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    public override IReadOnlyList<string> ClassNames => _classNames;

    public override string Location => string.Create(CultureInfo.InvariantCulture, $"{_path} line {_line}");

    public override bool Read(out int label, Span<double> values)
    {
        if (values.Length != _classNames.Length)
        {
            throw new ArgumentException($"values has length {values.Length}; expected {_classNames.Length}.", nameof(values));
        }

        ReadOnlySpan<char> line;
        do
        {
            bool more = NextLine(out line);
            _line++;
            if (!more)
            {
                label = -1;
                return false;
            }
        }
        while (line.IsEmpty);

        ReadOnlySpan<char> rest = line;
        int column = 0, c = 0;
        label = -1;
        while (true)
        {
            int cut = rest.IndexOf(_separator);
            ReadOnlySpan<char> cell = (cut < 0 ? rest : rest[..cut]).Trim();
            if (column >= _columns)
            {
                throw Error($"has more than the {_columns} columns of the header");
            }

            if (column == _labelColumn)
            {
                label = ParseLabel(cell.Trim('"'), column);
            }
            else
            {
                if (cell.IsEmpty)
                {
                    throw Error($"column {column + 1} ('{_classNames[c]}') is empty");
                }

                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v))
                {
                    throw Error($"column {column + 1} ('{_classNames[c]}') is '{cell}', not a number");
                }

                values[c++] = v;
            }

            column++;
            if (cut < 0)
            {
                break;
            }

            rest = rest[(cut + 1)..];
        }

        if (column != _columns)
        {
            throw Error($"has {column} columns; the header has {_columns}");
        }

        return true;
    }

    /// <summary>
    /// The next line as a span into the reader's own buffer (valid until the next call), without its line break;
    /// no string per line. The buffer grows only for a line longer than it.
    /// </summary>
    private bool NextLine(out ReadOnlySpan<char> line)
    {
        int searched = 0;
        while (true)
        {
            int at = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf('\n');
            if (at >= 0)
            {
                int stop = _start + searched + at;
                line = _buffer.AsSpan(_start, stop - _start).TrimEnd('\r');
                _start = stop + 1;
                return true;
            }

            searched = _end - _start;
            if (_eof)
            {
                line = _buffer.AsSpan(_start, _end - _start).TrimEnd('\r');
                bool any = _end > _start;
                _start = _end;
                return any;
            }

            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int n = _reader.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                _eof = true;
            }

            _end += n;
        }
    }

    private int ParseLabel(ReadOnlySpan<char> cell, int column)
    {
        if (cell.IsEmpty)
        {
            throw Error($"the label (column {column + 1}) is empty");
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

    private InvalidDataException Error(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{_path} line {_line}: {what}."));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _reader.Dispose();
        }
    }
}

/// <summary>Predictions from a float [N, K] .npy and labels from an integer [N] .npy, streamed row by row.</summary>
internal sealed class NpyPredictionReader : PredictionReader
{
    private readonly NpyReader _predictions;
    private readonly NpyReader _labels;
    private readonly string[] _classNames;
    private readonly double[] _labelBuffer = new double[1];
    private long _row;

    public NpyPredictionReader(string predictionsPath, string labelsPath, PredictionValues values)
    {
        Values = values;
        _predictions = NpyReader.Open(predictionsPath);
        try
        {
            _labels = NpyReader.Open(labelsPath);
        }
        catch
        {
            _predictions.Dispose();
            throw;
        }

        try
        {
            if (_predictions.Shape.Length != 2 || _predictions.IsInteger)
            {
                throw new InvalidDataException($"{predictionsPath}: predictions must be a float32/float64 array of shape [N, K]; it is {_predictions.Describe()}.");
            }

            if (_labels.Shape.Length != 1 || !_labels.IsInteger)
            {
                throw new InvalidDataException($"{labelsPath}: labels must be an int32/int64 array of shape [N]; it is {_labels.Describe()}.");
            }

            if (_labels.Shape[0] != _predictions.Shape[0])
            {
                throw new InvalidDataException($"{labelsPath} has {_labels.Shape[0]} labels but {predictionsPath} has {_predictions.Shape[0]} rows.");
            }

            int k = checked((int)_predictions.Shape[1]);
            if (k < 2)
            {
                throw new InvalidDataException($"{predictionsPath} has {k} columns; expected at least 2 classes.");
            }

            _classNames = new string[k];
            for (int c = 0; c < k; c++)
            {
                _classNames[c] = c.ToString(CultureInfo.InvariantCulture);
            }
        }
        catch
        {
            _predictions.Dispose();
            _labels.Dispose();
            throw;
        }
    }

    public override IReadOnlyList<string> ClassNames => _classNames;

    public override string Location => string.Create(CultureInfo.InvariantCulture, $"row {_row}");

    public override bool Read(out int label, Span<double> values)
    {
        label = -1;
        if (!_predictions.ReadRow(values))
        {
            return false;
        }

        if (!_labels.ReadRow(_labelBuffer))
        {
            throw new InvalidDataException("The labels ended before the predictions.");
        }

        for (int c = 0; c < values.Length; c++)
        {
            if (double.IsNaN(values[c]))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{_predictions.Path} row {_row}, column {c} is NaN."));
            }
        }

        double y = _labelBuffer[0];
        if (!(y >= 0 && y < _classNames.Length))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{_labels.Path} row {_row}: unknown label {y}; expected a class index in [0, {_classNames.Length})."));
        }

        label = (int)y;
        _row++;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _predictions.Dispose();
            _labels.Dispose();
        }
    }
}
