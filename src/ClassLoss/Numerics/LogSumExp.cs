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
        where T : unmanaged, IFloatingPointIeee754<T> => Parts(x, temperature, out max) + max;

    /// <summary>
    /// Returns <c>log Σ exp(x_i / temperature - max)</c>, the log-sum-exp without its maximum added back. Callers
    /// that need <c>lse - u_c</c> should form <c>(max - u_c) + parts</c>: adding <c>max</c> first would round the
    /// result to the spacing of <c>max</c> (an error of 1e-8 at logits of 1e8, however small the loss).
    /// </summary>
    /// <param name="x">The values (for example one row of logits).</param>
    /// <param name="temperature">Divides every value; 1 leaves them as they are.</param>
    /// <param name="max">The largest scaled value: NaN if any value is NaN, ±∞ if the row is all -∞ or holds +∞.</param>
    public static double Parts<T>(ReadOnlySpan<T> x, double temperature, out double max)
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
        if (double.IsInfinity(m))
        {
            // All masked (-inf) or an infinite logit: the sum is dominated by it.
            return 0;
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += Math.Exp(double.CreateTruncating(x[i]) * inverse - m);
        }

        return Math.Log(sum);
    }

    /// <summary>Returns <c>log Σ exp(x_i)</c>.</summary>
    public static double Compute<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> => Compute(x, 1.0, out _);
}
