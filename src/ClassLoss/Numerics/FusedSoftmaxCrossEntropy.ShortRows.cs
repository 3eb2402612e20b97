using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// The short-row path of <see cref="FusedSoftmaxCrossEntropy"/>: for few classes (K ≤
/// <see cref="ShortRowMaxClasses"/>, e.g. 10) a row fills less than one vector, so instead of vectorising along a row
/// the kernel puts one row in each vector lane and walks the K columns of a group of <c>TV.Count</c> rows.
/// </summary>
/// <remarks>
/// <para>Same formula, options and fallbacks as the row path (see <see cref="FusedSoftmaxCrossEntropy"/>). Per group:
/// the columns are gathered into a transposed scratch block (one hardware gather per column where there is one), the
/// row maxima are one vector max per column, the exponentials one vector <c>exp</c> per column, summed per lane in
/// float for at most <see cref="ShortRowFlush"/> columns at a time and then in double; the loss of each row is then
/// assembled in double exactly as on the row path, and the gradient is one vector multiply (or fused multiply-add with
/// smoothing) per column, copied back to the rows, with the label's entry formed in double. Rows with a non-finite
/// maximum or loss, and ignored rows, are finished one by one as on the row path.</para>
/// <para>This replaces per-row overhead (a horizontal max and sum, scalar tails of the exp, a partly filled vector)
/// by work proportional to K per row. The block layout does not change, so results are still bit-identical for any
/// thread count: a row takes the short-row path or the row path depending only on N, K and the hardware width.</para>
/// </remarks>
internal static unsafe partial class FusedSoftmaxCrossEntropy
{
    /// <summary>Rows of at most this many classes are computed with rows in lanes.</summary>
    internal const int ShortRowMaxClasses = 48;

    /// <summary>Lane sums are carried into double every this many columns. With pairs, every float rounding is of a
    /// partial sum of at most two terms, so the relative error of <c>S</c> stays within one float rounding (longer
    /// float runs let one large term and many equal small ones round the same way every time: 4e-7 at 8 terms).</summary>
    internal const int ShortRowFlush = 2;

    /// <summary>The most lanes of any width (a Vector512 of float): the size of the per-lane scratch buffers.</summary>
    internal const int MaxLanes = 16;

    /// <summary>True when rows of <paramref name="k"/> classes take the short-row path on this hardware.</summary>
    internal static bool UsesShortRows(int k) =>
        k <= ShortRowMaxClasses && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated || Vector128.IsHardwareAccelerated);

    /// <summary>
    /// Computes whole groups of rows in lanes from <paramref name="start"/> on; returns the first row it left for
    /// the row path (fewer than one group before <paramref name="end"/>). Row losses are added to
    /// <paramref name="sum"/> in row order.
    /// </summary>
    private static int ShortRows<TS, TW, TT>(float* z, int* y, float* g, float* r, int start, int end, in RowParams p, ref double sum)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return ShortRows<V512, TS, TW, TT>(z, y, g, r, start, end, p, ref sum);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return ShortRows<V256, TS, TW, TT>(z, y, g, r, start, end, p, ref sum);
        }

        return Vector128.IsHardwareAccelerated ? ShortRows<V128, TS, TW, TT>(z, y, g, r, start, end, p, ref sum) : start;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ShortRows<TV, TS, TW, TT>(float* z, int* y, float* g, float* r, int start, int end, in RowParams p, ref double sum)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        int lanes = TV.Count;
        float* e = stackalloc float[ShortRowMaxClasses * MaxLanes]; // e[c·lanes + j]: column c of the group's row j
        float* lane = stackalloc float[MaxLanes];
        float* maxima = stackalloc float[MaxLanes];
        float* factors = stackalloc float[MaxLanes];
        float* labelGradients = stackalloc float[MaxLanes];
        double* sums = stackalloc double[MaxLanes];
        double* ds = stackalloc double[MaxLanes];
        double* losses = stackalloc double[MaxLanes];
        int* status = stackalloc int[MaxLanes];
        TV zero = TV.Broadcast(0f);
        TV it = TV.Broadcast(p.InvTauF);
        TV nb = TV.Broadcast(-p.SmoothF);

        int i0 = start;
        for (; i0 <= end - lanes; i0 += lanes)
        {
            float* zb = z + (long)i0 * k;

            // Transpose the group into e (columns in vectors) and take the row maxima.
            TV m = GatherColumns<TV>(zb, k, e);

            TV.Store(m, maxima);
            for (int j = 0; j < lanes; j++)
            {
                sums[j] = 0;
                ds[j] = 0;
            }

            // e_c = exp((z_c - max)/τ) per lane, summed in float for ShortRowFlush columns, then in double.
            TV s = zero, d = zero;
            for (int c = 0; c < k; c++)
            {
                TV x = TV.Sub(TV.Load(e + c * lanes), m);
                if (TS.On)
                {
                    d = TW.On ? TV.Fma(TV.Broadcast(p.Wf[c]), x, d) : TV.Add(d, x);
                }

                if (TT.On)
                {
                    x = TV.Mul(x, it);
                }

                TV ec = TV.ExpNonPositive(x);
                TV.Store(ec, e + c * lanes);
                s = TV.Add(s, ec);
                if ((c + 1) % ShortRowFlush == 0 || c == k - 1)
                {
                    TV.AddWidened(s, sums);
                    s = zero;
                    if (TS.On)
                    {
                        TV.AddWidened(d, ds);
                        d = zero;
                    }
                }
            }

            LogOfSums<TV>(sums, maxima, lane);

            // Each row's loss, gradient factor and label entry, in double as on the row path.
            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                factors[j] = 0;
                losses[j] = 0;
                if (label == p.IgnoreIndex)
                {
                    status[j] = LaneCleared;
                    continue;
                }

                if (!float.IsFinite(maxima[j]))
                {
                    status[j] = LaneSlow;
                    continue;
                }

                double loss = Loss<TS>(z + (long)(i0 + j) * k, label, maxima[j], lane[j], ds[j], p, out double hard);
                if (!double.IsFinite(loss))
                {
                    status[j] = LaneSlow;
                    continue;
                }

                status[j] = LaneNormal;
                losses[j] = loss;
                if (g != null)
                {
                    double invS = 1.0 / sums[j];
                    factors[j] = GradientFactor<TS>(invS, hard, p);
                    labelGradients[j] = LabelGradient<TS>(e[label * lanes + j], invS, hard, label, p);
                }
            }

            if (g != null)
            {
                // g_c = e_c·a (+ w_c·nb with smoothing), one vector per column, then back to row-major.
                TV a = TV.Load(factors);
                for (int c = 0; c < k; c++)
                {
                    TV v = TV.Load(e + c * lanes);
                    v = !TS.On ? TV.Mul(v, a) : TW.On ? TV.Fma(TV.Broadcast(p.Wf[c]), nb, TV.Mul(v, a)) : TV.Fma(v, a, nb);
                    TV.Store(v, e + c * lanes);
                }

                ScatterRows<TV>(e, k, g + (long)i0 * k);
            }

            for (int j = 0; j < lanes; j++)
            {
                if (status[j] == LaneSlow)
                {
                    long at = (long)(i0 + j) * k;
                    losses[j] = Fallback(z + at, g == null ? null : g + at, y[i0 + j], p);
                }
            }

            sum += FinishLanes(lanes, status, losses, labelGradients, y + i0, k, g == null ? null : g + (long)i0 * k, r == null ? null : r + i0);
        }

        return i0;
    }

    /// <summary>Gathers the <paramref name="k"/> columns of <c>TV.Count</c> rows starting at <paramref name="rows"/> into
    /// <paramref name="block"/> (column c at <c>block + c·TV.Count</c>); returns the row maxima (NaN propagates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV GatherColumns<TV>(float* rows, int k, float* block) where TV : struct, IVec<TV>
    {
        TV m = TV.Broadcast(float.NegativeInfinity);
        for (int c = 0; c < k; c++)
        {
            TV col = TV.GatherStrided(rows + c, k);
            TV.Store(col, block + c * TV.Count);
            m = TV.Max(m, col);
        }

        return m;
    }

    /// <summary>Writes a column block (as <see cref="GatherColumns"/> fills it) back to <c>TV.Count</c> rows of
    /// <paramref name="k"/> at <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ScatterRows<TV>(float* block, int k, float* rows) where TV : struct, IVec<TV>
    {
        int lanes = TV.Count;
        for (int j = 0; j < lanes; j++)
        {
            float* row = rows + (long)j * k;
            for (int c = 0; c < k; c++)
            {
                row[c] = block[c * lanes + j];
            }
        }
    }

    /// <summary>Lane states on the short-row paths: computed, to be zeroed (ignored row, zero weight), or recomputed
    /// by the generic row (non-finite maximum or result).</summary>
    internal const int LaneNormal = 0, LaneCleared = 1, LaneSlow = 2;

    /// <summary><c>log S</c> per lane into <paramref name="result"/> (one vector log; lanes whose maximum is not
    /// finite get log 1 and are not used).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void LogOfSums<TV>(double* sums, float* maxima, float* result) where TV : struct, IVec<TV>
    {
        for (int j = 0; j < TV.Count; j++)
        {
            result[j] = float.IsFinite(maxima[j]) ? (float)sums[j] : 1f;
        }

        TV.Store(TV.LogOfNormal(TV.Load(result)), result);
    }

    /// <summary>
    /// The end of a group of <paramref name="lanes"/> rows whose gradient block was already copied back (slow lanes
    /// already recomputed): zeroes cleared rows, writes each normal row's label entry, stores the row losses, and
    /// returns their sum added in row order.
    /// </summary>
    internal static double FinishLanes(int lanes, int* status, double* losses, float* labelGradients, int* labels, int k,
        float* g, float* rowLosses)
    {
        double sum = 0;
        for (int j = 0; j < lanes; j++)
        {
            if (g != null && status[j] != LaneSlow)
            {
                float* gj = g + (long)j * k;
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
