using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="CrammerSingerHinge"/>.</summary>
/// <defaults>The defaults: ignore index -100, mean over counted rows.</defaults>
[Options(Takes = SharedOptions.IgnoreIndex)]
public sealed partial record CrammerSingerHingeOptions : LossOptions;

/// <summary>
/// The Crammer–Singer multiclass hinge loss (Crammer and Singer 2001, "On the Algorithmic Implementation of Multiclass
/// Kernel-based Vector Machines", JMLR; Optax's <c>multiclass_hinge_loss</c>) on [N, K] scores with class indices.
/// </summary>
/// <remarks>
/// <para>Per row with label y: <c>ℓ = max_j (x_j + [j ≠ y]) - x_y ≥ 0</c>: the largest margin violation, not the sum over
/// classes of <see cref="MultiMarginHinge"/> (Weston–Watkins, PyTorch's <c>MultiMarginLoss</c>).</para>
/// <para>Subgradient: <c>∂ℓ/∂x = e_T / |T| - e_y</c>, with T the columns where <c>x_j + [j ≠ y]</c> attains the
/// maximum; a tie splits the maximum's gradient equally (as JAX's <c>max</c>, and as central differences see a two-way
/// tie), so a row whose margins all hold strictly (<c>T = {y}</c>) has gradient 0.</para>
/// <para>A masked class (<c>x_j = -∞</c>, j ≠ y) is never the maximum; a <c>-∞</c> target score gives <c>+∞</c> (and
/// <c>-∞ - (-∞)</c>, every score masked, NaN); a NaN score gives a NaN row loss and gradient. Reductions: Mean divides by
/// the counted rows, BatchMean by N, None writes the row losses (Optax returns these).</para>
/// </remarks>
public static partial class CrammerSingerHinge
{
    /// <summary>One row: <c>max_j (x_j + [j ≠ y]) - x_y</c> and <c>e_T / |T| - e_y</c>.</summary>
    private readonly struct Row : ILabelRow<byte>
    {
        public static double Of<T>(ReadOnlySpan<T> x, int y, in byte unused, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double max = double.NegativeInfinity;
            int ties = 0;
            for (int j = 0; j < x.Length; j++)
            {
                TiedMaximum.Include(double.CreateTruncating(x[j]) + (j == y ? 0.0 : 1.0), ref max, ref ties);
            }

            double loss = max - double.CreateTruncating(x[y]);
            if (!g.IsEmpty)
            {
                double share = 1.0 / ties;
                for (int j = 0; j < g.Length; j++)
                {
                    double v = double.CreateTruncating(x[j]) + (j == y ? 0.0 : 1.0);
                    double d = double.IsNaN(loss) ? double.NaN : (v == max ? share : 0.0) - (j == y ? 1.0 : 0.0);
                    g[j] = T.CreateTruncating(d * scale);
                }
            }

            return loss;
        }
    }

    /// <summary>Generic only; the mean divides by the counted rows.</summary>
    /// <entry>Crammer–Singer hinge of [N, K] scores against class indices.</entry>
    /// <input>Row-major [N, K] scores x.</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Ignore index and reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct Kernel<T> : ILabelKernel<T, CrammerSingerHingeOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, CrammerSingerHingeOptions o, double scale) =>
            RowwiseKernel.Labels<T, Row, byte>(b, o.IgnoreIndex, 0, scale);
    }
}
