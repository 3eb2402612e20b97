using ClassLoss.Losses;

namespace ClassLoss.Tests.Fuzz;

/// <summary>
/// Predicates for the bugs in src/ that the fuzz properties found, so that each test leaves out exactly the affected
/// cases (every use carries a <c>// KNOWN BUG:</c> comment); remove a predicate's uses when its bug is fixed.
/// </summary>
internal static class KnownBugs
{
    /// <summary>
    /// True when row <paramref name="row"/> has a class with a positive target more than float.MaxValue below the row's
    /// maximum logit, or a loss Σ α t_c (m - z_c) beyond float.MaxValue: the fused soft-target focal kernel forms those
    /// terms in float.
    /// </summary>
    public static bool SoftFocalRowOverflowsFloat(float[] x, float[] t, int k, int row, double alpha)
    {
        double m = double.NegativeInfinity;
        for (int c = 0; c < k; c++)
        {
            m = Math.Max(m, x[(row * k) + c]);
        }

        double loss = 0;
        for (int c = 0; c < k; c++)
        {
            double tc = t[(row * k) + c];
            double gap = m - x[(row * k) + c];
            if (tc > 0 && alpha != 0)
            {
                if (gap >= float.MaxValue * (1 - FuzzTolerance.Rel))
                {
                    return true;
                }

                loss += alpha * tc * gap;
            }
        }

        return loss >= float.MaxValue * (1 - FuzzTolerance.Rel);
    }

    /// <summary>Element-wise or of row flags.</summary>
    public static bool[] Or(bool[] a, bool[] b)
    {
        for (int i = 0; i < a.Length && i < b.Length; i++)
        {
            a[i] |= b[i];
        }

        return a;
    }
}
