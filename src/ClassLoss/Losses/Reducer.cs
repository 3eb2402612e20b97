namespace ClassLoss.Losses;

/// <summary>Turns (sum, denominator, rows) into the reduced value and the factor every gradient entry carries.</summary>
internal static class Reducer
{
    /// <summary>The factor by which d(row loss) is multiplied to give d(reduced loss).</summary>
    public static double GradientScale(Reduction reduction, EmptyMean whenEmpty, double denominator, int rows) => reduction switch
    {
        Reduction.None or Reduction.Sum => 1.0,
        Reduction.Mean => denominator != 0 ? 1.0 / denominator : whenEmpty == EmptyMean.Zero ? 0.0 : double.NaN,
        Reduction.BatchMean => 1.0 / rows,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
    };

    public static LossResult Result(Reduction reduction, EmptyMean whenEmpty, double sum, double denominator, int rows)
    {
        double value = reduction switch
        {
            Reduction.None or Reduction.Sum => sum,
            Reduction.Mean => denominator != 0 ? sum / denominator : whenEmpty == EmptyMean.Zero ? 0.0 : double.NaN,
            Reduction.BatchMean => sum / rows,
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
        };
        return new LossResult(value, sum, denominator, rows);
    }
}
