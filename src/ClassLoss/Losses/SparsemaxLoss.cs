using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SparsemaxLoss"/>.</summary>
/// <defaults>The defaults: ignore index -100, mean over counted rows.</defaults>
[Options(Takes = SharedOptions.IgnoreIndex)]
public sealed partial record SparsemaxLossOptions : LossOptions;

/// <summary>The sparsemax loss from logits (Martins and Astudillo 2016, "From Softmax to Sparsemax", ICML), class-index targets.</summary>
/// <remarks>
/// <para>sparsemax(z) is the Euclidean projection of z onto the simplex: <c>p_j = max(0, z_j - τ)</c> with τ such that
/// Σ p = 1, support <c>S = {j : z_j &gt; τ}</c>. Loss (their eq. 18, one-hot target):
/// <c>ℓ = -z_y + ½ Σ_{j∈S} (z_j² - τ²) + ½</c> ≥ 0. Gradient: <c>∂ℓ/∂z = sparsemax(z) - onehot(y)</c>.</para>
/// <para>τ is found without sorting or allocation by Michelot's fixed point: start from the mean-based τ over all
/// classes, then repeatedly set <c>τ = (Σ_{z_j &gt; τ} z_j - 1) / |{z_j &gt; τ}|</c> until the support stops shrinking.
/// Rows are shifted by their maximum first (the loss and the projection are shift-invariant). Mean divides by the
/// number of counted rows.</para>
/// </remarks>
public static partial class SparsemaxLoss
{
    /// <summary>One row: <c>-(z_y - max) + ½ Σ_{j∈S} ((z_j - max)² - τ²) + ½</c>, gradient <c>sparsemax(z) - onehot(y)</c>.</summary>
    private readonly struct Row : ILabelRow<byte>
    {
        public static double Of<T>(ReadOnlySpan<T> z, int y, in byte unused, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double max = Max(z);
            double tau = Threshold(z, max);
            double half = 0;
            for (int c = 0; c < z.Length; c++)
            {
                double v = double.CreateTruncating(z[c]) - max;
                if (v > tau)
                {
                    half += (v - tau) * (v + tau);
                }
            }

            for (int c = 0; c < g.Length; c++)
            {
                double p = Math.Max(0.0, double.CreateTruncating(z[c]) - max - tau);
                g[c] = T.CreateTruncating((p - (c == y ? 1.0 : 0.0)) * scale);
            }

            return -(double.CreateTruncating(z[y]) - max) + (0.5 * half) + 0.5;
        }
    }

    /// <summary>Generic only; the mean divides by the counted rows.</summary>
    /// <entry>Sparsemax loss with class-index targets.</entry>
    /// <input>Row-major [N, K] logits z (finite).</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Ignore index and reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct Kernel<T> : ILabelKernel<T, SparsemaxLossOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, SparsemaxLossOptions o, double scale) =>
            RowwiseKernel.Labels<T, Row, byte>(b, o.IgnoreIndex, 0, scale);
    }

    private static double Max<T>(ReadOnlySpan<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double m = double.NegativeInfinity;
        for (int c = 0; c < z.Length; c++)
        {
            double v = double.CreateTruncating(z[c]);
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"input contain a non-finite value ({v}); sparsemax needs finite input.", "input");
            }

            m = Math.Max(m, v);
        }

        return m;
    }

    // Michelot's algorithm on z - max: τ only increases and the support only shrinks, at most K passes.
    private static double Threshold<T>(ReadOnlySpan<T> z, double max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        for (int c = 0; c < z.Length; c++)
        {
            s += double.CreateTruncating(z[c]) - max;
        }

        int count = z.Length;
        double tau = (s - 1) / count;
        for (int pass = 0; pass < z.Length; pass++)
        {
            s = 0;
            int k = 0;
            for (int c = 0; c < z.Length; c++)
            {
                double v = double.CreateTruncating(z[c]) - max;
                if (v > tau)
                {
                    s += v;
                    k++;
                }
            }

            if (k == count || k == 0)
            {
                break;
            }

            count = k;
            tau = (s - 1) / k;
        }

        return tau;
    }
}
