using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The short-row path of <see cref="CrossEntropyIndexKernel"/> (K ≤ <see cref="ShortRows.MaxClasses"/>): one row
/// per vector lane, with <see cref="ShortRows"/>' transposes and column exp pass; same formula, options and fallbacks
/// as the row path.</summary>
/// <remarks>Per group: the columns are gathered (row maxima on the way), <see cref="ShortRows.ExpColumns{TV, TTerm, TT}"/>
/// forms the exponentials and the per-lane sums in double, <c>log S</c> is one vector log; each row's loss, gradient
/// factor and label entry are then assembled in double exactly as on the row path, and the gradient is one vector
/// multiply (or fused multiply-add with smoothing) per column, copied back to the rows. Ignored rows and rows with a
/// non-finite maximum or loss, or gradient terms beyond float range, are finished one by one as on the row path.</remarks>
internal static unsafe partial class CrossEntropyIndexKernel
{
    /// <summary>Computes whole groups of rows in lanes from <paramref name="start"/> on; returns the first row it left
    /// for the row path (fewer than one group before <paramref name="end"/>). Row losses are added to
    /// <paramref name="sum"/> in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // every scratch lane is written before it is read; zeroing 3 KB per block cost ~5% at 4096x10
    private static int ShortRowGroups<TV, TS, TW, TT>(float* z, int* y, float* g, float* r, int start, int end, in SoftmaxRowParams p, ref double sum)
        where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst
    {
        int k = p.K;
        int lanes = TV.Count;
        float* e = stackalloc float[ShortRows.BlockFloats]; // e[c·lanes + j]: column c of the group's row j
        float* logS = stackalloc float[ShortRows.MaxLanes];
        float* maxima = stackalloc float[ShortRows.MaxLanes];
        float* factors = stackalloc float[ShortRows.MaxLanes];
        float* labelGradients = stackalloc float[ShortRows.MaxLanes];
        double* sums = stackalloc double[ShortRows.MaxLanes];
        double* ds = stackalloc double[ShortRows.MaxLanes];
        double* unused = stackalloc double[ShortRows.MaxLanes];
        double* losses = stackalloc double[ShortRows.MaxLanes];
        int* status = stackalloc int[ShortRows.MaxLanes];
        TV nb = TV.Broadcast(-p.SmoothF);

        int i0 = start;
        for (; i0 <= end - lanes; i0 += lanes)
        {
            float* zb = z + ((long)i0 * k);
            TV m = ShortRows.GatherColumns<TV>(zb, k, e);
            TV.Store(m, maxima);
            if (TS.On)
            {
                ShortRows.ExpColumns<TV, SmoothedExp<TW>, TT>(e, null, p.Wf, k, m, p.InvTauF, 1f, 0f, sums, ds, unused);
            }
            else
            {
                ShortRows.ExpColumns<TV, PlainExp<No>, TT>(e, null, null, k, m, p.InvTauF, 1f, 0f, sums, ds, unused);
            }

            ShortRows.LogOfSums<TV>(sums, maxima, logS);

            // Each row's loss, gradient factor and label entry, in double as on the row path.
            for (int j = 0; j < lanes; j++)
            {
                int label = y[i0 + j];
                factors[j] = 0;
                losses[j] = 0;
                if (label == p.IgnoreIndex)
                {
                    status[j] = ShortRows.LaneCleared;
                    continue;
                }

                if (!float.IsFinite(maxima[j]))
                {
                    status[j] = ShortRows.LaneSlow;
                    continue;
                }

                double loss = Loss<TS>(z + ((long)(i0 + j) * k), label, maxima[j], logS[j], TS.On ? ds[j] : 0, p, out double hard);
                if (!double.IsFinite(loss) || (g != null && !GradientFits<TS>(hard, p)))
                {
                    status[j] = ShortRows.LaneSlow;
                    continue;
                }

                status[j] = ShortRows.LaneNormal;
                losses[j] = loss;
                if (g != null)
                {
                    double invS = 1.0 / sums[j];
                    factors[j] = GradientFactor<TS>(invS, hard, p);
                    labelGradients[j] = LabelGradient<TS>(e[(label * lanes) + j], invS, hard, label, p);
                }
            }

            if (g != null)
            {
                // g_c = e_c·a (+ w_c·nb with smoothing), one vector per column, then back to row-major.
                TV a = TV.Load(factors);
                if (TS.On)
                {
                    ShortRows.GradientColumns<TV, SmoothedGradient<TW>>(e, null, p.Wf, k, a, nb, default, default);
                }
                else
                {
                    ShortRows.GradientColumns<TV, ScaledExp>(e, null, null, k, a, default, default, default);
                }

                ShortRows.ScatterRows<TV>(e, k, g + ((long)i0 * k));
            }

            for (int j = 0; j < lanes; j++)
            {
                if (status[j] == ShortRows.LaneSlow)
                {
                    long at = (long)(i0 + j) * k;
                    losses[j] = Fallback(z + at, g == null ? null : g + at, y[i0 + j], p);
                }
            }

            sum += ShortRows.FinishLanes(lanes, status, losses, labelGradients, y + i0, k, g == null ? null : g + ((long)i0 * k), r == null ? null : r + i0);
        }

        return i0;
    }
}
