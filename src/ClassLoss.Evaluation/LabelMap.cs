using System.Globalization;

namespace ClassLoss.Evaluation;

/// <summary>
/// Maps the label cells of a columnar file (Parquet, Arrow) to class indices, with the CSV reader's rules: a class
/// name or an integer index in [0, K); in scikit-learn's binary convention the positive label (as text, or as a
/// number when both parse) is class 1 and the one other label class 0. A failed mapping returns -1 and leaves the
/// reason in <see cref="Error"/>, for the caller to prefix with the file and row.
/// </summary>
internal sealed class LabelMap
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _classes;
    private readonly bool _binary;
    private readonly string _positive;
    private readonly double _positiveNumber;
    private string? _negativeText;
    private long? _negativeNumber;

    public LabelMap(IReadOnlyList<string> classNames, bool binary, string positive)
    {
        _classes = classNames.Count;
        _binary = binary;
        _positive = positive;
        _positiveNumber = double.TryParse(positive, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) ? p : double.NaN;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!binary)
        {
            for (int c = 0; c < classNames.Count; c++)
            {
                index.TryAdd(classNames[c], c);
            }
        }

        _lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Why the last mapping failed.</summary>
    public string Error { get; private set; } = "";

    public int Map(ReadOnlySpan<char> cell)
    {
        cell = cell.Trim();
        if (cell.IsEmpty)
        {
            return Fail("the label is empty");
        }

        if (_binary)
        {
            if (cell.SequenceEqual(_positive)
                || (!double.IsNaN(_positiveNumber) && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x == _positiveNumber))
            {
                return 1;
            }

            if (_negativeText is null)
            {
                _negativeText = cell.ToString();
                return 0;
            }

            return cell.SequenceEqual(_negativeText) ? 0 : Fail(TwoLabels(cell.ToString(), _negativeText));
        }

        if (_lookup.TryGetValue(cell, out int index))
        {
            return index;
        }

        if (int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out index) && (uint)index < (uint)_classes)
        {
            return index;
        }

        return Fail($"unknown label '{cell}': it is neither a class name nor an index in [0, {_classes})");
    }

    public int Map(long value)
    {
        if (_binary)
        {
            if (value == _positiveNumber)
            {
                return 1;
            }

            _negativeNumber ??= value;
            return value == _negativeNumber ? 0
                : Fail(TwoLabels(value.ToString(CultureInfo.InvariantCulture), _negativeNumber.Value.ToString(CultureInfo.InvariantCulture)));
        }

        return value >= 0 && value < _classes ? (int)value
            : Fail(string.Create(CultureInfo.InvariantCulture, $"unknown label {value}; expected a class index in [0, {_classes})"));
    }

    private string TwoLabels(string label, string negative) =>
        $"label '{label}' is neither the positive label '{_positive}' nor the negative label '{negative}' of the rows before: with one probability column (scikit-learn's binary convention) there are two labels, and the positive one is set with --positive-label";

    private int Fail(string why)
    {
        Error = why;
        return -1;
    }
}
