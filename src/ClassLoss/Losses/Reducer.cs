namespace ClassLoss.Losses;

/// <summary>Turns (sum, denominator, rows) into the reduced value and the factor every gradient entry carries.</summary>
internal static class Reducer
{
    /// <summary>The factor by which d(row loss) is multiplied to give d(reduced loss).</summary>
    public static double GradientScale(Reduction reduction, EmptyMean whenEmpty, double denominator, double batchRows) => reduction switch
    {
        Reduction.None or Reduction.Sum => 1.0,
        Reduction.Mean => denominator != 0 ? 1.0 / denominator : whenEmpty == EmptyMean.Zero ? 0.0 : double.NaN,
        Reduction.BatchMean => batchRows != 0 ? 1.0 / batchRows : whenEmpty == EmptyMean.Zero ? 0.0 : double.NaN,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
    };

    /// <summary>The reduced value; <paramref name="batchRows"/> is what BatchMean divides by (N, or a weighted count;
    /// default N).</summary>
    public static LossResult Result(Reduction reduction, EmptyMean whenEmpty, double sum, double denominator, int rows, double batchRows = -1)
    {
        double rowsCounted = batchRows < 0 ? rows : batchRows;
        double value = reduction switch
        {
            Reduction.None or Reduction.Sum => sum,
            Reduction.Mean => denominator != 0 ? sum / denominator : whenEmpty == EmptyMean.Zero ? 0.0 : double.NaN,
            Reduction.BatchMean => rowsCounted != 0 ? sum / rowsCounted : whenEmpty == EmptyMean.Zero ? 0.0 : double.NaN,
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
        };
        return new LossResult(value, sum, denominator, rows);
    }
}
