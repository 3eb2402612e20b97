using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static ClassLoss.Numerics.FusedSoftmaxCrossEntropy;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// The short-row path of <see cref="FusedSoftTargetCrossEntropy"/> (K ≤ <see cref="ShortRowMaxClasses"/>): one row
/// per vector lane, as in <see cref="FusedSoftmaxCrossEntropy"/>'s short rows.
/// </summary>
/// <remarks>
/// Per group the logit and target columns are gathered into two transposed blocks. One pass over the columns takes
/// the row maxima, minima, target sums and range checks; a second forms <c>q_c</c>, <c>e_c = exp((z_c - max)/τ)</c>
/// and the sums <c>S</c>, <c>Q</c> and <c>Σ q_c (z_c - max)</c> (lanes with <c>q_c = 0</c> add 0, so a masked logit
/// with zero target costs nothing), carried into double every <see cref="ShortRowFlush"/> columns. <c>log S</c> is one
/// vector log per group; the loss, the target check and the fallbacks are the row path's, one lane at a time; the
/// gradient <c>(e_c Q/S - q_c)·s/τ</c> is one fused multiply-add per column, copied back to the rows.
/// </remarks>
internal static unsafe partial class FusedSoftTargetCrossEntropy
{
    /// <summary>
    /// Whole groups of rows from <paramref name="start"/> on; returns the first row left for the row path. Losses are
    /// added to <paramref name="sum"/> in row order; <paramref name="flagged"/> gets the first suspect row.
    /// </summary>
    private static int ShortRows<TS, TW, TT>(float* z, float* t, float* g, float* r, int start, int end, in RowParams p,
        ref double sum, ref int flagged)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return ShortRows<V512, TS, TW, TT>(z, t, g, r, start, end, p, ref sum, ref flagged);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return ShortRows<V256, TS, TW, TT>(z, t, g, r, start, end, p, ref sum, ref flagged);
        }

        return Vector128.IsHardwareAccelerated ? ShortRows<V128, TS, TW, TT>(z, t, g, r, start, end, p, ref sum, ref flagged) : start;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ShortRows<TV, TS, TW, TT>(float* z, float* t, float* g, float* r, int start, int end, in RowParams p,
        ref double sum, ref int flagged)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        int lanes = TV.Count;
        float* e = stackalloc float[ShortRowMaxClasses * MaxLanes]; // logits, then exponentials, then gradient
        float* tt = stackalloc float[ShortRowMaxClasses * MaxLanes]; // targets
        float* lane = stackalloc float[MaxLanes];
        float* maxima = stackalloc float[MaxLanes];
        float* lows = stackalloc float[MaxLanes];
        float* factors = stackalloc float[MaxLanes];
        double* tSums = stackalloc double[MaxLanes];
        double* sums = stackalloc double[MaxLanes];
        double* qSums = stackalloc double[MaxLanes];
        double* qxSums = stackalloc double[MaxLanes];
        double* losses = stackalloc double[MaxLanes];
        bool* slow = stackalloc bool[MaxLanes];
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f);
        TV it = TV.Broadcast(p.InvTauF);
        TV sa = TV.Broadcast(p.OneMinusEpsF);
        TV sb = TV.Broadcast(p.SmoothPerClassF);
        TV sv = TV.Broadcast((float)(p.Scale * p.InvTau));

        int i0 = start;
        for (; i0 <= end - lanes; i0 += lanes)
        {
            long offset = (long)i0 * k;
            for (int j = 0; j < lanes; j++)
            {
                tSums[j] = sums[j] = qSums[j] = qxSums[j] = 0;
            }

            // Pass 1 on the transposed blocks: maxima, target sums, and min(t, 1 - t) (< 0 or NaN: out of range).
            TV m = GatherColumns<TV>(z + offset, k, e);
            GatherColumns<TV>(t + offset, k, tt);
            TV lo = zero, ts = zero;
            for (int c = 0; c < k; c++)
            {
                TV tc = TV.Load(tt + c * lanes);
                lo = TV.Min(lo, TV.Min(tc, TV.Sub(one, tc)));
                ts = TV.Add(ts, tc);
                if ((c + 1) % ShortRowFlush == 0 || c == k - 1)
                {
                    TV.AddWidened(ts, tSums);
                    ts = zero;
                }
            }

            TV.Store(m, maxima);
            TV.Store(lo, lows);

            // Pass 2: q_c, e_c and the three sums.
            TV s = zero, qs = zero, qx = zero;
            for (int c = 0; c < k; c++)
            {
                TV x = TV.Sub(TV.Load(e + c * lanes), m);
                TV tc = TV.Load(tt + c * lanes);
                TV q = TS.On ? TV.Fma(tc, sa, sb) : tc;
                q = TW.On ? TV.Mul(q, TV.Broadcast(p.Wf[c])) : q;
                qx = TV.Add(qx, TV.SelectEqual(q, zero, zero, TV.Mul(q, x)));
                if (TS.On || TW.On)
                {
                    qs = TV.Add(qs, q);
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
                    TV.AddWidened(qx, qxSums);
                    s = qx = zero;
                    if (TS.On || TW.On)
                    {
                        TV.AddWidened(qs, qSums);
                        qs = zero;
                    }
                }
            }

            LogOfSums<TV>(sums, maxima, lane);

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
                double loss = qTotal * lane[j] - qxSums[j] * p.InvTau;
                if (!double.IsFinite(loss))
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
                TV a = TV.Load(factors);
                for (int c = 0; c < k; c++)
                {
                    TV tc = TV.Load(tt + c * lanes);
                    TV q = TS.On ? TV.Fma(tc, sa, sb) : tc;
                    q = TW.On ? TV.Mul(q, TV.Broadcast(p.Wf[c])) : q;
                    TV.Store(TV.Mul(TV.Fma(TV.Load(e + c * lanes), a, TV.Neg(q)), sv), e + c * lanes);
                }

                ScatterRows<TV>(e, k, g + offset);
            }

            for (int j = 0; j < lanes; j++)
            {
                long rowOffset = offset + (long)j * k;
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
