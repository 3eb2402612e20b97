namespace ClassLoss.Losses;

/// <summary>
/// The outcome of a loss kernel: the reduced value and the two numbers it came from, so that a data-parallel
/// caller can all-reduce <see cref="Sum"/> and <see cref="Denominator"/> and divide once for an exact global mean.
/// </summary>
/// <param name="Value">The reduced loss, as the chosen <see cref="Reduction"/> defines it.</param>
/// <param name="Sum">The (weighted) sum of the per-row or per-element losses, accumulated in double.</param>
/// <param name="Denominator">What <see cref="Reduction.Mean"/> divides by (sum of counted weights, rows or elements).</param>
/// <param name="Rows">The number of rows N in the batch, ignored ones included.</param>
public readonly record struct LossResult(double Value, double Sum, double Denominator, int Rows);
