namespace ClassLoss.Cli;

/// <summary>Counts probability rows that do not sum to 1 and remembers where the first few are.</summary>
internal sealed class RowSumCheck(double tolerance)
{
    private readonly List<string> _first = [];

    public long Count { get; private set; }

    public double Worst { get; private set; }

    public IReadOnlyList<string> First => _first;

    public void Add(PredictionReader reader, ReadOnlySpan<double> row)
    {
        double s = 0;
        foreach (double v in row)
        {
            s += v;
        }

        double err = Math.Abs(s - 1);
        if (err > tolerance)
        {
            Count++;
            if (_first.Count < PredictionInput.Named)
            {
                _first.Add(reader.Location);
            }
        }

        Worst = Math.Max(Worst, err);
    }

    /// <summary>"N of M rows do not sum to 1 (worst ...); the first at f.csv line 3, f.csv line 7: WHAT".</summary>
    public string Describe(long rows, string what) => string.Create(CultureInfo.InvariantCulture,
        $"{Count} of {rows} rows do not sum to 1 (worst |sum - 1| = {Worst:G3}); the first {(Count == 1 ? "is at" : "are at")} {string.Join(", ", _first)}{(Count > _first.Count ? ", ..." : "")}; {what}");
}
