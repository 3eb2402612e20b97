namespace ClassLoss.Activations;

/// <summary>
/// Row-wise 1.5-entmax (Peters, Niculae &amp; Martins 2019, "Sparse Sequence-to-Sequence Models", ACL,
/// arXiv:1905.05702): <c>y = argmax_{p ∈ Δ} pᵀx + H^T_{1.5}(p)</c> with the Tsallis entropy
/// <c>H^T_{1.5}(p) = (4/3) Σ_j (p_j - p_j^{3/2})</c>, which is <c>y_j = [x_j/2 - τ]_+²</c> with τ chosen so that the
/// row sums to 1. Between softmax (α = 1, dense) and <see cref="Sparsemax"/> (α = 2): it gives exact zeros, but fewer.
/// </summary>
/// <remarks>
/// <para>
/// Forward (the paper's Algorithm 2, exact and sort-based, O(K log K) per row): with <c>z = (x - max x) / 2</c> sorted
/// decreasingly, <c>z_(1) ≥ … ≥ z_(K)</c>, for each k the mean <c>M_k</c> and the sum of squared deviations
/// <c>S_k = Σ_{j≤k} (z_(j) - M_k)²</c> of the top k give the candidate <c>τ_k = M_k - √((1 - S_k) / k)</c> (the root of
/// <c>Σ_{j≤k} (z_(j) - τ)² = 1</c> below <c>z_(k)</c>); τ is <c>τ_k</c> for the largest k with <c>S_k ≤ 1</c> and
/// <c>τ_k ≤ z_(k)</c> (the condition holds exactly for the support sizes up to the true one). M and S are updated by
/// Welford's recurrence, so no <c>E[z²] - E[z]²</c> cancellation occurs. Worked example (the entmax package's README):
/// <c>x = [-2, 0, 0.5]</c> gives <c>z = [-1.25, -0.25, 0]</c>; k = 1: τ = -1 ≤ 0; k = 2: M = -0.125, S = 0.03125,
/// τ = -0.8210 ≤ -0.25; k = 3: M = -0.5, S = 0.875, τ = -0.7041 &gt; -1.25 fails; so y = [0, 0.3260, 0.6740].
/// </para>
/// <para>
/// Backward (the paper, Section 3.2): with <c>s = √y</c>, the Jacobian is <c>diag(s) - s sᵀ / Σ s</c>, so
/// <c>dx_j = s_j (g_j - Σ_i s_i g_i / Σ_i s_i)</c>. It needs only the forward output.
/// </para>
/// <para>
/// Special values, scratch and aliasing as <see cref="Sparsemax"/>: a <c>-∞</c> entry gets 0; a row with a NaN, a
/// <c>+∞</c> entry, or only <c>-∞</c> entries gives a NaN row. The sort needs K doubles: the <c>scratch</c> overload
/// allocates nothing; the other uses <c>stackalloc</c> for K ≤ 1024 and otherwise rents one buffer for the call.
/// </para>
/// </remarks>
public static class Entmax15
{
    /// <summary>The largest row length for which <see cref="Forward{T}(ReadOnlySpan{T}, int, Span{T})"/> sorts on the stack.</summary>
    public const int MaxStackClasses = 1024;

    /// <summary>Writes the 1.5-entmax of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Scores, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output probabilities, same length as <paramref name="x"/>; overwritten (may be <paramref name="x"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimplexRows.Forward<T, Map>(x, classes, y);
    }

    /// <summary>Writes the 1.5-entmax of each row of <paramref name="x"/> into <paramref name="y"/>, sorting in <paramref name="scratch"/>.</summary>
    /// <param name="x">Scores, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output probabilities, same length as <paramref name="x"/>; overwritten (may be <paramref name="x"/>).</param>
    /// <param name="scratch">At least K doubles of working space; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y, Span<double> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        SimplexRows.Forward<T, Map>(x, classes, y, scratch);
    }

    /// <summary>
    /// Vector-Jacobian product of 1.5-entmax: <c>dx_j = s_j (g_j - Σ_i s_i g_i / Σ_i s_i)</c> with <c>s = √y</c>.
    /// </summary>
    /// <param name="y">The forward output, [N, K].</param>
    /// <param name="upstream">g = ∂L/∂y, same shape.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten (may be <paramref name="y"/> or <paramref name="upstream"/>). A row
    /// of <paramref name="y"/> with no positive entry (not an entmax output, e.g. a NaN row) gives a NaN row.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => SimplexRows.Backward<T, Map>(y, upstream, classes, dx);

    /// <summary>
    /// The threshold τ of one row of halved, max-shifted scores <c>z = (x - max) / 2</c> (largest entry 0, the others
    /// ≤ 0 or <c>-∞</c>): sorts <paramref name="z"/> in place (ascending) and walks it from the top with Welford's mean
    /// and sum of squared deviations.
    /// </summary>
    internal static double Threshold(Span<double> z)
    {
        z.Sort();
        int count = z.Length;
        double mean = 0, squares = 0, tau = double.NaN;
        for (int k = 1; k <= count; k++)
        {
            double v = z[count - k];
            if (double.IsNegativeInfinity(v))
            {
                break;
            }

            double delta = v - mean;
            mean += delta / k;
            squares += delta * (v - mean);
            if (squares > 1)
            {
                break;
            }

            double candidate = mean - Math.Sqrt((1 - squares) / k);
            if (candidate > v)
            {
                break;
            }

            tau = candidate;
        }

        return tau;
    }

    /// <summary>1.5-entmax as a simplex map: <c>z = (x - max) / 2</c> is sorted; <c>y = [z - τ]_+²</c>.</summary>
    private readonly struct Map : ISimplexMap
    {
        public static double Sorted(double x, double max) => (x - max) / 2;

        public static double Threshold(Span<double> sorted) => Entmax15.Threshold(sorted);

        public static double SupportWeight(double y) => Math.Sqrt(y);

        public static double Output(double x, double max, double tau)
        {
            double u = Math.Max(((x - max) / 2) - tau, 0.0);
            return u * u;
        }
    }
}
