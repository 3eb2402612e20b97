using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The short-row path of <see cref="CrossEntropySoftKernel"/> (K ≤ <see cref="ShortRows.MaxClasses"/>): one row
/// per vector lane, as <see cref="CrossEntropyIndexKernel"/>'s short rows.</summary>
/// <remarks>Per group the logit and target columns are gathered into two transposed blocks. One pass over the target
/// columns takes the target sums and range checks; <see cref="ShortRows.ExpColumns{TV, TTerm, TT}"/> with
/// <see cref="SoftTargetExp{TS, TW, TM}"/> forms <c>q_c</c>, <c>e_c</c> and the sums <c>S</c>, <c>Q</c> and
/// <c>Σ q_c (z_c - max)</c> (lanes with <c>q_c = 0</c> add 0, so a masked logit with zero target costs nothing).
/// <c>log S</c> is one vector log per group; the loss, the target check and the fallbacks are the row path's, one
/// lane at a time; the gradient <c>(e_c Q/S - q_c)·s/τ</c> is one fused multiply-add per column, copied back.</remarks>
internal static unsafe partial class CrossEntropySoftKernel
{
    /// <summary>Whole groups of rows from <paramref name="start"/> on; returns the first row left for the row path.
    /// Losses are added to <paramref name="sum"/> in row order; <paramref name="flagged"/> gets the first suspect row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // every scratch lane is written before it is read; zeroing 3 KB per block cost ~5% at 4096x10
    private static int ShortRowGroups<TV, TS, TW, TT>(float* z, float* t, float* g, float* r, int start, int end, in SoftmaxRowParams p,
        ref double sum, ref int flagged)
        where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst
    {
        int k = p.K;
        int lanes = TV.Count;
        float* e = stackalloc float[ShortRows.BlockFloats]; // logits, then exponentials, then gradient
        float* tt = stackalloc float[ShortRows.BlockFloats]; // targets
        float* logS = stackalloc float[ShortRows.MaxLanes];
        float* maxima = stackalloc float[ShortRows.MaxLanes];
        float* lows = stackalloc float[ShortRows.MaxLanes];
        float* factors = stackalloc float[ShortRows.MaxLanes];
        double* tSums = stackalloc double[ShortRows.MaxLanes];
        double* sums = stackalloc double[ShortRows.MaxLanes];
        double* qSums = stackalloc double[ShortRows.MaxLanes];
        double* qxSums = stackalloc double[ShortRows.MaxLanes];
        double* losses = stackalloc double[ShortRows.MaxLanes];
        bool* slow = stackalloc bool[ShortRows.MaxLanes];
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f);

        int i0 = start;
        for (; i0 <= end - lanes; i0 += lanes)
        {
            long offset = (long)i0 * k;
            TV m = ShortRows.GatherColumns<TV>(z + offset, k, e);
            ShortRows.GatherColumns<TV>(t + offset, k, tt);

            // Target sums and min(t, 1 - t) (< 0 or NaN: out of range).
            ShortRows.Clear<TV>(tSums);
            TV lo = zero, ts = zero;
            for (int c = 0; c < k; c++)
            {
                TV tc = TV.Load(tt + (c * lanes));
                lo = TV.Min(lo, TV.Min(tc, TV.Sub(one, tc)));
                ts = ShortRows.AddColumn(ts, tc, c, k, tSums);
            }

            TV.Store(m, maxima);
            TV.Store(lo, lows);
            ShortRows.ExpColumns<TV, SoftTargetExp<TS, TW, Yes>, TT>(e, tt, p.Wf, k, m, p.InvTauF, p.OneMinusEpsF, p.SmoothPerClassF,
                sums, qSums, qxSums);
            ShortRows.LogOfSums<TV>(sums, maxima, logS);

            // Each row's check, loss and gradient factor, as on the row path.
            for (int j = 0; j < lanes; j++)
            {
                bool inRange = lows[j] >= 0; // false for NaN
                if (Suspect(tSums[j], inRange, p.Tolerance) && flagged > i0 + j)
                {
                    flagged = i0 + j;
                }

                factors[j] = 0;
                slow[j] = true;
                if (!float.IsFinite(maxima[j]))
                {
                    continue;
                }

                double qTotal = TS.On || TW.On ? qSums[j] : tSums[j];
                double loss = (qTotal * logS[j]) - (qxSums[j] * p.InvTau);
                if (!double.IsFinite(loss) || (g != null && !GradientFits(qTotal, p)))
                {
                    continue;
                }

                slow[j] = false;
                losses[j] = loss;
                factors[j] = (float)(qTotal / sums[j]);
            }

            if (g != null)
            {
                // g_c = (e_c·a - q_c)·s/τ, then back to row-major.
                ShortRows.GradientColumns<TV, SoftTargetGradient<TS, TW>>(e, tt, p.Wf, k, TV.Load(factors),
                    TV.Broadcast(p.SInvF), TV.Broadcast(p.OneMinusEpsF), TV.Broadcast(p.SmoothPerClassF));
                ShortRows.ScatterRows<TV>(e, k, g + offset);
            }

            for (int j = 0; j < lanes; j++)
            {
                long rowOffset = offset + ((long)j * k);
                if (slow[j])
                {
                    losses[j] = Fallback(z + rowOffset, t + rowOffset, g == null ? null : g + rowOffset, p);
                }

                if (r != null)
                {
                    r[i0 + j] = (float)losses[j];
                }

                sum += losses[j];
            }
        }

        return i0;
    }
}
