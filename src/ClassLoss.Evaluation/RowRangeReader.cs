namespace ClassLoss.Evaluation;

/// <summary>The data rows [first, end) of another reader (<see cref="PredictionReaderOptions.FirstRow"/>, <see cref="PredictionReaderOptions.EndRow"/>).</summary>
internal sealed class RowRangeReader : PredictionReader
{
    private readonly PredictionReader _inner;
    private readonly long _first;
    private readonly long? _end;
    private long _next;

    public RowRangeReader(PredictionReader inner, long first, long? end)
    {
        _inner = inner;
        _first = first;
        _end = end;
        Values = inner.Values;
    }

    public override IReadOnlyList<string> ClassNames => _inner.ClassNames;

    public override string Location => _inner.Location;

    public override bool Read(out int label, Span<double> values)
    {
        while (_next < _first)
        {
            if (!_inner.Read(out label, values))
            {
                throw new InvalidDataException($"{_inner.Location}: the file has {_next} data rows; the row range starts at row {_first}.");
            }

            _next++;
        }

        if (_end is long e && _next >= e)
        {
            label = -1;
            return false;
        }

        if (!_inner.Read(out label, values))
        {
            return false;
        }

        _next++;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }
    }
}
