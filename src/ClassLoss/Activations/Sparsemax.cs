using System.Buffers;

namespace ClassLoss.Activations;

/// <summary>
/// Row-wise sparsemax (Martins &amp; Astudillo 2016, "From Softmax to Sparsemax", ICML, arXiv:1602.02068): the
/// Euclidean projection of each row onto the probability simplex, <c>y = argmin_{p ∈ Δ} ‖p - x‖²</c>, which is
/// <c>y_i = max(x_i - τ, 0)</c> with the threshold τ chosen so that the row sums to 1. Unlike softmax it gives exact
/// zeros.
/// </summary>
/// <remarks>
/// <para>
/// Forward (the paper's Algorithm 1, sort-based, O(K log K) per row): sort the row decreasingly,
/// <c>z_(1) ≥ … ≥ z_(K)</c>; the support size is <c>k(z) = max { k : 1 + k z_(k) &gt; Σ_{j≤k} z_(j) }</c>;
/// then <c>τ = (Σ_{j≤k(z)} z_(j) - 1) / k(z)</c>. Worked example: <c>x = [1, 0.8, 0.1]</c>: k = 1 holds (2 &gt; 1),
/// k = 2 holds (2.6 &gt; 1.8), k = 3 fails (1.3 &lt; 1.9), so τ = (1.8 - 1) / 2 = 0.4 and y = [0.6, 0.4, 0].
/// </para>
/// <para>
/// Backward (paper, Section 2.5): the Jacobian is <c>diag(s) - s sᵀ / |S|</c> with <c>s</c> the support indicator
/// (<c>y_j &gt; 0</c>), so <c>dx_j = s_j (g_j - ĝ)</c> with <c>ĝ = Σ_{j∈S} g_j / |S|</c>, the mean of the
/// upstream gradient over the support. It needs only the forward output.
/// </para>
/// <para>
/// Special values: a <c>-∞</c> entry gets 0; a row with a NaN, a <c>+∞</c> entry, or only <c>-∞</c> entries gives
/// a NaN row (as <see cref="Softmax"/>).
/// </para>
/// <para>
/// Scratch: the sort needs K doubles. Pass them with the <c>scratch</c> overload (length ≥ K, contents are
/// overwritten) for a call that allocates nothing and uses no stack; the overload without scratch uses
/// <c>stackalloc</c> for K ≤ 1024 (8 KiB) and otherwise rents one buffer from <see cref="ArrayPool{T}.Shared"/>
/// for the whole call. <c>y</c> may be the same span as <c>x</c>; <c>dx</c> may be the same span as <c>y</c> or
/// <c>upstream</c>.
/// </para>
/// </remarks>
public static class Sparsemax
{
    /// <summary>The largest row length for which <see cref="Forward{T}(ReadOnlySpan{T}, int, Span{T})"/> sorts on the stack.</summary>
    public const int MaxStackClasses = 1024;

    /// <summary>Writes the sparsemax of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Scores, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output probabilities, same length as <paramref name="x"/>; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimplexRows.Forward<T, Map>(x, classes, y);
    }

    /// <summary>Writes the sparsemax of each row of <paramref name="x"/> into <paramref name="y"/>, sorting in <paramref name="scratch"/>.</summary>
    /// <param name="x">Scores, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output probabilities, same length as <paramref name="x"/>; overwritten.</param>
    /// <param name="scratch">At least K doubles of working space; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y, Span<double> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimplexRows.Forward<T, Map>(x, classes, y, scratch);
    }

    /// <summary>
    /// Vector-Jacobian product of sparsemax: <c>dx_j = s_j (g_j - mean_{i∈S} g_i)</c> with <c>S = { j : y_j &gt; 0 }</c>.
    /// </summary>
    /// <param name="y">The forward output, [N, K].</param>
    /// <param name="upstream">g = ∂L/∂y, same shape.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten. A row of <paramref name="y"/> with no positive entry (not a
    /// sparsemax output, e.g. a NaN row) gives a NaN row.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => SimplexRows.Backward<T, Map>(y, upstream, classes, dx);

    /// <summary>
    /// The threshold τ of one row with finite maximum. Sorts <paramref name="values"/> in place (ascending) and walks
    /// it from the top, accumulating the partial sums in double.
    /// </summary>
    internal static double Threshold(Span<double> values)
    {
        values.Sort();
        int k = values.Length;
        double cumulative = 0, supportSum = 0;
        int support = 0;
        for (int j = 1; j <= k; j++)
        {
            double z = values[k - j];
            cumulative += z;
            // The condition holds for j = 1 (z finite) and, once it fails, fails for every larger j.
            if (1.0 + j * z > cumulative)
            {
                support = j;
                supportSum = cumulative;
            }
            else
            {
                break;
            }
        }

        return (supportSum - 1.0) / support;
    }

    /// <summary>Sparsemax as a simplex map: the scores are sorted as they are; <c>y = max(x - τ, 0)</c>.</summary>
    private readonly struct Map : ISimplexMap
    {
        public static double Sorted(double x, double max) => x;

        public static double Threshold(Span<double> sorted) => Sparsemax.Threshold(sorted);

        public static double SupportWeight(double y) => 1.0;

        public static double Output(double x, double max, double tau) => Math.Max(x - tau, 0.0);
    }
}
