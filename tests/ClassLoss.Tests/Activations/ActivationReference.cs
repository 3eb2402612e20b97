namespace ClassLoss.Tests.Activations;

/// <summary>
/// Slow double references for the activation tests, written differently from the kernels on purpose
/// (pairwise differences instead of max subtraction, bisection instead of sorting).
/// </summary>
internal static class ActivationReference
{
    /// <summary>softmax_i = 1 / Σ_j exp(z_j - z_i): no maximum, no normalisation pass.</summary>
    public static double[] Softmax(ReadOnlySpan<double> z, double temperature = 1.0)
    {
        var p = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            double s = 0;
            for (int j = 0; j < z.Length; j++)
            {
                s += Math.Exp((z[j] - z[i]) / temperature);
            }

            p[i] = 1.0 / s;
        }

        return p;
    }

    /// <summary>log_softmax_i = -log Σ_j exp(z_j - z_i).</summary>
    public static double[] LogSoftmax(ReadOnlySpan<double> z, double temperature = 1.0)
    {
        var p = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            double s = 0;
            for (int j = 0; j < z.Length; j++)
            {
                s += Math.Exp((z[j] - z[i]) / temperature);
            }

            p[i] = -Math.Log(s);
        }

        return p;
    }

    /// <summary>Sparsemax by bisection on τ in Σ max(z - τ, 0) = 1 (no sorting).</summary>
    public static double[] Sparsemax(ReadOnlySpan<double> z)
    {
        double hi = double.NegativeInfinity;
        foreach (double v in z)
        {
            hi = Math.Max(hi, v);
        }

        double lo = hi - 1.0; // Σ max(z - (max - 1), 0) ≥ 1 and Σ max(z - max, 0) = 0.
        for (int it = 0; it < 200; it++)
        {
            double mid = 0.5 * (lo + hi);
            double s = 0;
            foreach (double v in z)
            {
                s += Math.Max(v - mid, 0);
            }

            if (s > 1)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        double tau = 0.5 * (lo + hi);
        var p = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            p[i] = Math.Max(z[i] - tau, 0);
        }

        return p;
    }

    /// <summary>Applies a row-wise reference to every row of an [N, K] matrix.</summary>
    public static double[] Rows(double[] x, int classes, Func<double[], double[]> row)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / classes; r++)
        {
            row(x[(r * classes)..((r + 1) * classes)]).CopyTo(y, r * classes);
        }

        return y;
    }

    public static void AllClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1.0, Math.Abs(expected[i]))))
            {
                Assert.Fail($"{what} index {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance}).");
            }
        }
    }
}
