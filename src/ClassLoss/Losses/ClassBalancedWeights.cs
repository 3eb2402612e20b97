using System.Globalization;

namespace ClassLoss.Losses;

/// <summary>
/// Class-balanced weights from the effective number of samples (Cui et al. 2019, "Class-Balanced Loss Based on
/// Effective Number of Samples", CVPR): <c>w_c = (1 - β) / (1 - β^{n_c})</c>, normalised to sum to K as the
/// authors' code does. β = 0 gives all ones; β → 1 tends to inverse frequency, and β = 1 is taken as that limit.
/// </summary>
public static class ClassBalancedWeights
{
    /// <summary>Returns K weights for the given per-class sample counts.</summary>
    /// <param name="counts">Samples per class n_c, each ≥ 1 (a class with no samples has an infinite weight).</param>
    /// <param name="beta">β in [0, 1]; typical values 0.9, 0.99, 0.999, 0.9999.</param>
    public static double[] Compute(ReadOnlySpan<long> counts, double beta)
    {
        if (counts.IsEmpty)
        {
            throw new ArgumentException("counts is empty; expected one count per class.", nameof(counts));
        }

        if (!(beta >= 0 && beta <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must lie in [0, 1].");
        }

        var w = new double[counts.Length];
        double total = 0;
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] <= 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"counts[{c}] is {counts[c]}; every class needs at least one sample."), nameof(counts));
            }

            double n = counts[c];
            if (beta == 1)
            {
                w[c] = 1.0 / n;
            }
            else if (beta == 0)
            {
                w[c] = 1.0;
            }
            else
            {
                // 1 - β^n = -expm1(n log β), computed without cancellation for β near 1.
                w[c] = (1 - beta) / -Expm1(n * Math.Log(beta));
            }

            total += w[c];
        }

        double k = counts.Length;
        for (int c = 0; c < w.Length; c++)
        {
            w[c] = w[c] / total * k;
        }

        return w;
    }

    /// <summary>Returns K weights for the given per-class sample counts.</summary>
    /// <param name="counts">Samples per class n_c, each ≥ 1.</param>
    /// <param name="beta">β in [0, 1].</param>
    public static double[] Compute(ReadOnlySpan<int> counts, double beta)
    {
        Span<long> wide = counts.Length <= 256 ? stackalloc long[counts.Length] : new long[counts.Length];
        for (int c = 0; c < counts.Length; c++)
        {
            wide[c] = counts[c];
        }

        return Compute(wide, beta);
    }

    // e^x - 1 accurately (Kahan's trick: (u - 1) x / log u with u = e^x).
    private static double Expm1(double x)
    {
        if (Math.Abs(x) >= 0.5)
        {
            return Math.Exp(x) - 1;
        }

        double u = Math.Exp(x);
        if (u == 1.0)
        {
            return x;
        }

        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }
}
