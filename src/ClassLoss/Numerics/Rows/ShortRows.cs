using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClassLoss.Numerics;

/// <summary>
/// The short-row machinery of the softmax kernels, written once: for few classes (K ≤ <see cref="MaxClasses"/>,
/// e.g. 10) a row fills less than one vector, so instead of vectorising along a row a kernel puts one row in each
/// vector lane and walks the K columns of a group of <c>TV.Count</c> rows.
/// </summary>
/// <remarks>
/// <para>Per group: the columns are gathered into a transposed block (<see cref="GatherColumns{TV}"/>, one hardware
/// gather per column where there is one), the row maxima are one vector max per column, the exponentials one vector
/// exp per column (<see cref="ExpColumns{TV, TTerm, TT}"/>, with the same <see cref="IExpTerm"/> operators as the row
/// pass), summed per lane in float for at most <see cref="Flush"/> columns at a time and then in double
/// (<see cref="AddColumn{TV}"/>), and <c>log S</c> is one vector log per group (<see cref="LogOfSums{TV}"/>). The kernel
/// assembles each row's loss in double, writes the gradient one vector per column and copies it back to the rows
/// (<see cref="ScatterRows{TV}"/>); <see cref="FinishLanes"/> ends the group.</para>
/// <para>This replaces per-row overhead (a horizontal max and sum, a partly filled vector) by work proportional to K
/// per row. A row takes the short-row path or the row path depending only on N, K and the hardware width, so results
/// are still bit-identical for any thread count. Measured on the Xeon (F+B 4096x10, quick job): CE 263 → 124 µs,
/// soft targets 332 → 140 µs, softmax focal 367 → 213 µs; F+B breaks even with the row path at K = 48.</para>
/// </remarks>
internal static unsafe class ShortRows
{
    /// <summary>Rows of at most this many classes are computed with rows in lanes.</summary>
    internal const int MaxClasses = 48;

    /// <summary>Lane sums are carried into double every this many columns. With pairs, every float rounding is of a
    /// partial sum of at most two terms, so the relative error of <c>S</c> stays within one float rounding (longer
    /// float runs let one large term and many equal small ones round the same way every time: 4e-7 at 8 terms).</summary>
    internal const int Flush = 2;

    /// <summary>The most lanes of any width (a Vector512 of float): the size of the per-lane scratch buffers.</summary>
    internal const int MaxLanes = 16;

    /// <summary>Floats of a transposed block (<see cref="MaxClasses"/> columns of <see cref="MaxLanes"/> lanes).</summary>
    internal const int BlockFloats = MaxClasses * MaxLanes;

    /// <summary>Lane states: computed, to be zeroed (ignored row, zero weight), or recomputed by the generic row
    /// (non-finite maximum or result).</summary>
    internal const int LaneNormal = 0, LaneCleared = 1, LaneSlow = 2;

    /// <summary>True when rows of <paramref name="k"/> classes take the short-row path on this hardware.</summary>
    internal static bool Apply(int k) =>
        k <= MaxClasses && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated || Vector128.IsHardwareAccelerated);

    /// <summary>Gathers the <paramref name="k"/> columns of <c>TV.Count</c> rows starting at <paramref name="rows"/> into
    /// <paramref name="block"/> (column c at <c>block + c·TV.Count</c>); returns the row maxima (NaN propagates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GatherColumns<TV>(float* rows, int k, float* block) where TV : struct, IVec<TV, float>
    {
        TV m = TV.Broadcast(float.NegativeInfinity);
        for (int c = 0; c < k; c++)
        {
            TV col = TV.GatherStrided(rows + c, k);
            TV.Store(col, block + (c * TV.Count));
            m = TV.Max(m, col);
        }

        return m;
    }

    /// <summary>Writes a column block (as <see cref="GatherColumns{TV}"/> fills it) back to <c>TV.Count</c> rows of
    /// <paramref name="k"/> at <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScatterRows<TV>(float* block, int k, float* rows) where TV : struct, IVec<TV, float>
    {
        int lanes = TV.Count;
        for (int j = 0; j < lanes; j++)
        {
            float* row = rows + ((long)j * k);
            for (int c = 0; c < k; c++)
            {
                row[c] = block[(c * lanes) + j];
            }
        }
    }

    /// <summary><c>acc + v</c> for column <paramref name="c"/> of <paramref name="k"/>, carried into the per-lane double
    /// sums (and returned as 0) every <see cref="Flush"/> columns and at the last one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AddColumn<TV>(TV acc, TV v, int c, int k, double* sums) where TV : struct, IVec<TV, float>
    {
        acc = TV.Add(acc, v);
        if (FlushesAfter(c, k))
        {
            TV.AddWidened(acc, sums);
            acc = TV.Broadcast(0f);
        }

        return acc;
    }

    /// <summary>Clears <c>TV.Count</c> per-lane double sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Clear<TV>(double* sums) where TV : struct, IVec<TV, float>
    {
        // A loop, not Span.Clear: a call per group costs more than eight stores (4096x10 runs 512 groups).
        for (int j = 0; j < TV.Count; j++)
        {
            sums[j] = 0;
        }
    }

    /// <summary>
    /// The exp pass over a transposed block, the column twin of <see cref="RowExpSum"/>: replaces each logit column
    /// of <paramref name="block"/> by <c>e_c = exp((z_c - m)·invTau)</c> (or compensated) and adds, per lane,
    /// <c>S</c> into <paramref name="sums"/> and the term's side sums into <paramref name="aSums"/> and
    /// <paramref name="bSums"/> (all cleared first). Targets are read from the transposed
    /// <paramref name="targets"/> block, weights broadcast per column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExpColumns<TV, TTerm, TT>(float* block, float* targets, float* w, int k, TV m, float invTau,
        float ta, float tb, double* sums, double* aSums, double* bSums)
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm where TT : struct, IConst
    {
        int lanes = TV.Count;
        Clear<TV>(sums);
        if (TTerm.SideSums > 0)
        {
            Clear<TV>(aSums);
            Clear<TV>(bSums);
        }

        TV zero = TV.Broadcast(0f), it = TV.Broadcast(invTau), tav = TV.Broadcast(ta), tbv = TV.Broadcast(tb), nm = TV.Neg(m);
        TV s = zero, a = zero, b = zero;
        for (int c = 0; c < k; c++)
        {
            TV zc = TV.Load(block + (c * lanes));
            TV x = TV.Sub(zc, m);
            if (TTerm.SideSums > 0)
            {
                TV q = TTerm.Weight(TTerm.UsesTargets ? TV.Load(targets + (c * lanes)) : default,
                    TTerm.UsesWeights ? TV.Broadcast(w[c]) : default, tav, tbv);
                a = TTerm.AddA(a, x, q);
                b = TTerm.AddB(b, x, q);
            }

            TV e = TTerm.Compensated
                ? VectorMath.ExpOfDifference(zc, m, nm)
                : VectorMath.ExpOfNonPositive(TT.On ? TV.Mul(x, it) : x);
            TV.Store(e, block + (c * lanes));
            s = TV.Add(s, e);
            if (FlushesAfter(c, k))
            {
                TV.AddWidened(s, sums);
                s = zero;
                if (TTerm.SideSums > 0)
                {
                    TV.AddWidened(a, aSums);
                    TV.AddWidened(b, bSums);
                    a = b = zero;
                }
            }
        }
    }

    /// <summary>True when the float lane sums are carried into double after column <paramref name="c"/> of
    /// <paramref name="k"/>: every <see cref="Flush"/> columns and at the last one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool FlushesAfter(int c, int k) => (c + 1) % Flush == 0 || c == k - 1;

    /// <summary>
    /// The gradient pass over a transposed block, the column twin of <see cref="RowGradient"/>: replaces each column's
    /// exponentials by <typeparamref name="TTerm"/>'s gradient, with row constants given per lane (<paramref name="k0"/>
    /// .. <paramref name="k3"/>, loaded or broadcast by the caller), targets from the transposed block and weights
    /// broadcast per column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GradientColumns<TV, TTerm>(float* block, float* targets, float* w, int k, TV k0, TV k1, TV k2, TV k3)
        where TV : struct, IVec<TV, float> where TTerm : struct, IGradientTerm
    {
        int lanes = TV.Count;
        for (int c = 0; c < k; c++)
        {
            float* column = block + (c * lanes);
            TV.Store(TTerm.Of(TV.Load(column), TTerm.UsesTargets ? TV.Load(targets + (c * lanes)) : default,
                TTerm.UsesWeights ? TV.Broadcast(w[c]) : default, k0, k1, k2, k3), column);
        }
    }

    /// <summary><c>log S</c> per lane into <paramref name="result"/> (one vector log; lanes whose maximum is not
    /// finite get log 1 and are not used).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LogOfSums<TV>(double* sums, float* maxima, float* result) where TV : struct, IVec<TV, float>
    {
        for (int j = 0; j < TV.Count; j++)
        {
            result[j] = float.IsFinite(maxima[j]) ? (float)sums[j] : 1f;
        }

        TV.Store(VectorMath.LogOfNormal(TV.Load(result)), result);
    }

    /// <summary>
    /// The end of a group of <paramref name="lanes"/> rows whose gradient block was already copied back (slow lanes
    /// already recomputed): zeroes cleared rows, writes each normal row's entry at its label, stores the row losses,
    /// and returns their sum added in row order.
    /// </summary>
    public static double FinishLanes(int lanes, int* status, double* losses, float* labelGradients, int* labels, int k,
        float* g, float* rowLosses)
    {
        double sum = 0;
        for (int j = 0; j < lanes; j++)
        {
            if (g != null && status[j] != LaneSlow)
            {
                float* gj = g + ((long)j * k);
                if (status[j] == LaneCleared)
                {
                    new Span<float>(gj, k).Clear();
                }
                else
                {
                    gj[labels[j]] = labelGradients[j];
                }
            }

            if (rowLosses != null)
            {
                rowLosses[j] = (float)losses[j];
            }

            sum += losses[j];
        }

        return sum;
    }
}
