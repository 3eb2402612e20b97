namespace ClassLoss.Numerics;

/// <summary>
/// <c>log Σ exp(x_i)</c> with the maximum subtracted first, accumulated in <see cref="double"/>.
/// <c>-∞</c> entries (masked classes) contribute nothing; a row that is all <c>-∞</c> gives <c>-∞</c>;
/// a NaN entry gives NaN.
/// </summary>
public static class LogSumExp
{
    /// <summary>Returns <c>log Σ exp(x_i / temperature)</c> and the maximum of <c>x / temperature</c>.</summary>
    /// <param name="x">The values (for example one row of logits).</param>
    /// <param name="temperature">Divides every value; 1 leaves them as they are.</param>
    /// <param name="max">The largest scaled value (NaN if any value is NaN).</param>
    public static double Compute<T>(ReadOnlySpan<T> x, double temperature, out double max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double inverse = 1.0 / temperature;
        double m = double.NegativeInfinity;
        bool sawNaN = false;
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]) * inverse;
            if (v > m)
            {
                m = v;
            }
            else if (double.IsNaN(v))
            {
                sawNaN = true;
            }
        }

        if (sawNaN)
        {
            max = double.NaN;
            return double.NaN;
        }

        max = m;
        if (double.IsNegativeInfinity(m) || double.IsPositiveInfinity(m))
        {
            // All masked (-inf) or an infinite logit: the sum is dominated by it.
            return m;
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += Math.Exp(double.CreateTruncating(x[i]) * inverse - m);
        }

        return m + Math.Log(sum);
    }

    /// <summary>Returns <c>log Σ exp(x_i)</c>.</summary>
    public static double Compute<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> => Compute(x, 1.0, out _);
}
