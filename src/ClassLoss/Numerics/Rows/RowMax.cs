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
        where TV : struct, IVec<TV> where TCheck : struct, IConst
    {
        int w = TV.Count;
        if (k < w && w > 1)
        {
            return Of<VScalar, TCheck>(z, t, k, out check);
        }

        TV one = TV.Broadcast(1f), zero = TV.Broadcast(0f);
        TV m0 = TV.Broadcast(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
        TV n0 = TV.Broadcast(float.PositiveInfinity), n1 = n0;
        TV lo0 = zero, lo1 = zero;
        double sum = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + RowExpSum.ElementsPerFlush<TV>(RowExpSum.VectorsPerFlush * w));
            TV s0 = zero, s1 = zero, s2 = zero, s3 = zero;
            for (; c <= chunkEnd - (4 * w); c += 4 * w)
            {
                TV z0 = TV.Load(z + c), z1 = TV.Load(z + c + w), z2 = TV.Load(z + c + (2 * w)), z3 = TV.Load(z + c + (3 * w));
                m0 = TV.Max(m0, z0);
                m1 = TV.Max(m1, z1);
                m2 = TV.Max(m2, z2);
                m3 = TV.Max(m3, z3);
                if (TCheck.On)
                {
                    n0 = TV.Min(TV.Min(n0, z0), z2);
                    n1 = TV.Min(TV.Min(n1, z1), z3);
                    CheckTargets(TV.Load(t + c), one, ref s0, ref lo0);
                    CheckTargets(TV.Load(t + c + w), one, ref s1, ref lo1);
                    CheckTargets(TV.Load(t + c + (2 * w)), one, ref s2, ref lo0);
                    CheckTargets(TV.Load(t + c + (3 * w)), one, ref s3, ref lo1);
                }
            }

            for (; c <= chunkEnd - w; c += w)
            {
                TV z0 = TV.Load(z + c);
                m0 = TV.Max(m0, z0);
                if (TCheck.On)
                {
                    n0 = TV.Min(n0, z0);
                    CheckTargets(TV.Load(t + c), one, ref s0, ref lo0);
                }
            }

            if (TCheck.On)
            {
                sum += TV.SumAcross(TV.Add(TV.Add(s0, s1), TV.Add(s2, s3)));
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
    public static float Of<TV>(float* z, int k) where TV : struct, IVec<TV> => Of<TV, No>(z, null, k, out _);

    /// <summary>Σ t and, through <c>min(t, 1 - t)</c>, whether some finite target left [0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckTargets<TV>(TV t, TV one, ref TV sum, ref TV lowest) where TV : struct, IVec<TV>
    {
        sum = TV.Add(sum, t);
        lowest = TV.Min(lowest, TV.Min(t, TV.Sub(one, t)));
    }
}
