using System.Globalization;

namespace ClassLoss.Evaluation;

/// <summary>
/// Predictions from a float [N, K] .npy (or [N] / [N, 1]: scikit-learn's binary convention, the positive class's
/// probability, score or log-probability) and labels from an integer [N] .npy, streamed row by row. Every message
/// names the file, the row (0-based) and the row's byte offset.
/// </summary>
internal sealed class NpyPredictionReader : PredictionReader
{
    private readonly NpyReader _predictions;
    private readonly NpyReader _labels;
    private readonly string[] _classNames;
    private readonly double[] _labelBuffer = new double[1];
    private readonly double[] _one = new double[1];
    private readonly bool _binaryColumn;
    private readonly long _positive;
    private long _row;

    public NpyPredictionReader(string predictionsPath, string labelsPath, PredictionReaderOptions options)
    {
        Values = options.Values;
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
            bool vector = _predictions.Shape.Length == 1 || (_predictions.Shape.Length == 2 && _predictions.Shape[1] == 1);
            if (_predictions.Shape.Length is < 1 or > 2 || _predictions.IsInteger)
            {
                throw new InvalidDataException($"{predictionsPath}: predictions must be a float32/float64 array of shape [N, K] (or [N] for one positive-class column); it is {_predictions.Describe()}.");
            }

            if (_labels.Shape.Length != 1 || !_labels.IsInteger)
            {
                throw new InvalidDataException($"{labelsPath}: labels must be an int32/int64 array of shape [N]; it is {_labels.Describe()}.");
            }

            if (_labels.Shape[0] != _predictions.Shape[0])
            {
                throw new InvalidDataException($"{labelsPath} has {_labels.Shape[0]} labels but {predictionsPath} has {_predictions.Shape[0]} rows.");
            }

            if (vector)
            {
                _binaryColumn = true;
                string positive = options.PositiveLabel ?? "1";
                if (!long.TryParse(positive, NumberStyles.Integer, CultureInfo.InvariantCulture, out _positive))
                {
                    throw new InvalidDataException($"{labelsPath}: .npy labels are integers; the positive label '{positive}' is not one.");
                }

                _classNames = [options.NegativeLabel ?? (_positive == 1 ? "0" : "not " + positive), positive];
            }
            else
            {
                if (options.PositiveLabel is not null)
                {
                    throw new InvalidDataException($"{predictionsPath}: --positive-label is for predictions of shape [N] (one positive-class column); this array is {_predictions.Describe()}.");
                }

                int k = checked((int)_predictions.Shape[1]);
                _classNames = new string[k];
                for (int c = 0; c < k; c++)
                {
                    _classNames[c] = c.ToString(CultureInfo.InvariantCulture);
                }
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

    /// <summary>The last row read (the one a caller's complaint is about), with its byte offset.</summary>
    public override string Location => Where(_predictions, Math.Max(_row - 1, 0));

    private static string Where(NpyReader file, long row) =>
        string.Create(CultureInfo.InvariantCulture, $"{file.Path} row {row} (byte offset {file.RowOffset(row)})");

    public override bool Read(out int label, Span<double> values)
    {
        label = -1;
        if (!_predictions.ReadRow(_binaryColumn ? _one : values))
        {
            return false;
        }

        if (!_labels.ReadRow(_labelBuffer))
        {
            throw new InvalidDataException($"{Where(_labels, _row)}: the labels ended before the predictions.");
        }

        if (_binaryColumn)
        {
            if (!BinaryColumn.Expand(Values, _one[0], values))
            {
                values[1] = double.NaN;
            }
        }

        for (int c = 0; c < values.Length; c++)
        {
            if (double.IsNaN(values[c]))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{Where(_predictions, _row)}: column {(_binaryColumn ? 0 : c)} is {(_binaryColumn ? _one[0] : values[c])}, not a {(Values == PredictionValues.LogProbabilities ? "log-probability" : "number")}."));
            }
        }

        double y = _labelBuffer[0];
        if (_binaryColumn)
        {
            label = y == _positive ? 1 : 0;
        }
        else if (!(y >= 0 && y < _classNames.Length))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{Where(_labels, _row)}: unknown label {y}; expected a class index in [0, {_classNames.Length})."));
        }
        else
        {
            label = (int)y;
        }

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
