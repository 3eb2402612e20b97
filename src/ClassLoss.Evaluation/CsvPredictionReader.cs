using System.Globalization;
using System.Text;

namespace ClassLoss.Evaluation;

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
