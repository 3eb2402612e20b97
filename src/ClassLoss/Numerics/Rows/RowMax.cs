using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>What the max pass learnt about a row of probability targets read beside the logits.</summary>
/// <param name="LogitMin">The smallest logit (−∞ when the row has a masked class).</param>
/// <param name="TargetSum">Σ t_c, summed in float lanes and carried into double (NaN or ±∞ for a NaN or infinite target).</param>
/// <param name="TargetsInRange">Every finite <c>t_c</c> lies in [0, 1].</param>
internal readonly record struct TargetCheck(float LogitMin, double TargetSum, bool TargetsInRange);

/// <summary>
/// The first row pass of the softmax kernels: <c>max_c z_c</c>, optionally checking a row of targets in the same
/// read (the <c>TCheck</c> switch: <see cref="Yes"/>). Four accumulators; a partial last vector is read again
/// overlapping the previous one (max and min are idempotent; the target sum zeroes the overlap).
/// </summary>
internal static unsafe class RowMax
{
    /// <summary>The row maximum (NaN if any logit is NaN, −∞ for an empty row) of <paramref name="k"/> logits; with
    /// <typeparamref name="TCheck"/> also the <see cref="TargetCheck"/> of the targets <paramref name="t"/>. Rows
    /// shorter than a vector run on <see cref="VScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Of<TV, TCheck>(float* z, float* t, int k, out TargetCheck check)
        where TV : struct, IVec<TV, float> where TCheck : struct, IConst
    {
        int w = TV.Count;
        if (k < w && w > 1)
        {
            return Of<VScalar, TCheck>(z, t, k, out check);
        }

        // Four max accumulators alone; two each of max, min, range and sum when checking (eight live vectors).
        int step = (TCheck.On ? 2 : 4) * w;
        TV one = TV.Broadcast(1f), zero = TV.Broadcast(0f);
        TV m0 = TV.Broadcast(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
        TV n0 = TV.Broadcast(float.PositiveInfinity), n1 = n0;
        TV lo0 = zero, lo1 = zero;
        double sum = 0;
        int perFlush = RowExpSum.ElementsPerFlush<TV>(RowExpSum.NarrowVectorsPerFlush * w);
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = TCheck.On ? Math.Min(k, c + perFlush) : k;
            TV s0 = zero, s1 = zero;
            for (; c <= chunkEnd - step; c += step)
            {
                TV z0 = TV.Load(z + c), z1 = TV.Load(z + c + w);
                m0 = TV.Max(m0, z0);
                m1 = TV.Max(m1, z1);
                if (TCheck.On)
                {
                    n0 = TV.Min(n0, z0);
                    n1 = TV.Min(n1, z1);
                    TV t0 = TV.Load(t + c), t1 = TV.Load(t + c + w);
                    s0 = TV.Add(s0, t0);
                    s1 = TV.Add(s1, t1);
                    // min(t, 1 - t) < 0 exactly when t < 0 or t > 1 (for finite t).
                    lo0 = TV.Min(lo0, TV.Min(t0, TV.Sub(one, t0)));
                    lo1 = TV.Min(lo1, TV.Min(t1, TV.Sub(one, t1)));
                }
                else
                {
                    m2 = TV.Max(m2, TV.Load(z + c + (2 * w)));
                    m3 = TV.Max(m3, TV.Load(z + c + (3 * w)));
                }
            }

            for (; c <= chunkEnd - w; c += w)
            {
                TV z0 = TV.Load(z + c);
                m0 = TV.Max(m0, z0);
                if (TCheck.On)
                {
                    n0 = TV.Min(n0, z0);
                    TV t0 = TV.Load(t + c);
                    s0 = TV.Add(s0, t0);
                    lo0 = TV.Min(lo0, TV.Min(t0, TV.Sub(one, t0)));
                }
            }

            if (TCheck.On)
            {
                sum += TV.SumAcross(TV.Add(s0, s1));
            }
        }

        if (c < k)
        {
            // The last vector again, overlapping the one before (max, min and the range check are idempotent; the
            // overlap's targets are zeroed for the sum).
            int done = w - (k - c);
            TV z0 = TV.Load(z + k - w);
            m1 = TV.Max(m1, z0);
            if (TCheck.On)
            {
                TV t0 = TV.Load(t + k - w);
                n1 = TV.Min(n1, z0);
                lo1 = TV.Min(lo1, TV.Min(t0, TV.Sub(one, t0)));
                sum += TV.SumAcross(TV.ZeroFirst(t0, done));
            }
        }

        float max = TV.MaxAcross(TV.Max(TV.Max(m0, m1), TV.Max(m2, m3)));
        // lo starts at 0, so it stays 0 unless a lane went negative (a target outside [0, 1]); NaN targets show in the sum.
        check = TCheck.On
            ? new TargetCheck(-TV.MaxAcross(TV.Neg(TV.Min(n0, n1))), sum, TV.SumAcross(TV.Add(lo0, lo1)) >= 0)
            : default;
        return max;
    }

    /// <summary>The row maximum of <paramref name="k"/> logits (NaN if any is NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of<TV>(float* z, int k) where TV : struct, IVec<TV, float> => Of<TV, No>(z, null, k, out _);
}
