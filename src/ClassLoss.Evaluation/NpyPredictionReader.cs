using System.Globalization;

namespace ClassLoss.Evaluation;

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
