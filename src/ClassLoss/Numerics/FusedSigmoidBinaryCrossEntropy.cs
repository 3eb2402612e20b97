using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;

namespace ClassLoss.Numerics;

/// <summary>
/// Fast float path of binary cross-entropy with logits for the default options (no class, positive or element
/// weights, no smoothing), loss and gradient fused, SIMD with a scalar tail.
/// </summary>
/// <remarks>
/// <para>Per element: <c>e = exp(-|x|)</c> with <see cref="FusedSoftmaxCrossEntropy"/>'s vector exp,
/// <c>ℓ = max(x, 0) - x y + log1p(e)</c> (the first two terms in one fused multiply-add, so exact up to one rounding;
/// a chunk with a non-finite logit is redone with <c>(1 - y) max(x, 0) + y max(-x, 0)</c>, which gives the limits), <c>σ(x) = x ≥ 0 ? 1/(1+e) : e/(1+e)</c>, gradient <c>((1 - y) σ - y (1 - σ))·s</c> (= <c>(σ - y)·s</c>, written so that hard 0/1 targets do not cancel; <c>1 - σ</c> is formed directly from <c>e</c>) where
/// <c>s</c> is the reduction's factor. <c>log1p(e)</c> is <c>e (1 + e Q(e))</c> with a fitted degree-7 <c>Q</c>
/// (<see cref="Log1pOfUnit{TV}"/>: no division, a few ulps relative even when <c>e</c> is tiny). The reciprocal
/// <c>1/(1+e)</c> is the hardware estimate refined by one Newton step instead of a division (divisions cap the
/// throughput).</para>
/// <para>One pass in registers. Elements are cut into blocks whose size depends only on the length; inside a block,
/// chunks of <see cref="Chunk"/> elements are summed per vector lane in float and added to the block's double; block
/// sums are added in block order. So the value is bit-identical for any thread count (see <see cref="BlockParallel"/>; no
/// allocation per call on one thread or two).</para>
/// </remarks>
internal static unsafe class FusedSigmoidBinaryCrossEntropy
{
    private const int Chunk = 256;

    /// <summary>The bits of 1f: a target is in [+0, 1] exactly when its bits, read as unsigned, are at most this.</summary>
    private const uint OneBits = 0x3F800000;

    /// <summary>True when this kernel computes what <see cref="SigmoidBinaryCrossEntropy"/> would for these options.</summary>
    public static bool Supports(BinaryCrossEntropyOptions options) =>
        options.WeightSpan.IsEmpty && options.PositiveWeightSpan.IsEmpty && options.LabelSmoothing == 0;

    /// <summary>log(1 + e) for e in [0, 1], the scalar twin of <see cref="Log1pOfUnit{TV}"/> (same polynomial).</summary>
    internal static float Log1pScalar(float e)
    {
        float q = MathF.FusedMultiplyAdd(Q7, e, Q6);
        q = MathF.FusedMultiplyAdd(q, e, Q5);
        q = MathF.FusedMultiplyAdd(q, e, Q4);
        q = MathF.FusedMultiplyAdd(q, e, Q3);
        q = MathF.FusedMultiplyAdd(q, e, Q2);
        q = MathF.FusedMultiplyAdd(q, e, Q1);
        q = MathF.FusedMultiplyAdd(q, e, Q0);
        return MathF.FusedMultiplyAdd(q, e, 1f) * e;
    }

    // log1p(e) = 2 atanh(t), t = e / (2 + e) in [0, 1/3]: 2 (t + t^3/3 + ... + t^15/15); the first omitted term is
    // below 2 (1/3)^17 / 17 < 1e-9 relative to t, so the error is the few roundings of the evaluation.
    private const float A1 = 1f / 3, A2 = 1f / 5, A3 = 1f / 7, A4 = 1f / 9, A5 = 1f / 11, A6 = 1f / 13;

    /// <summary>
    /// <c>log1p(s) = 2 atanh(t)</c> from <c>t = s / (2 + s) ∈ [0, 1/3]</c> (s ≤ 1): the odd series to <c>t^13</c> (the
    /// omitted <c>2 t^15/15</c> is below 1.4e-8 of the result, a quarter ulp). Used by the softmax focal loss's short
    /// rows for <c>log1p(S')</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log1pFromT<TV>(TV t) where TV : struct, SimdFloat.IVec<TV>
    {
        TV t2 = TV.Mul(t, t);
        TV p = TV.Fma(TV.Broadcast(A6), t2, TV.Broadcast(A5));
        p = TV.Fma(p, t2, TV.Broadcast(A4));
        p = TV.Fma(p, t2, TV.Broadcast(A3));
        p = TV.Fma(p, t2, TV.Broadcast(A2));
        p = TV.Fma(p, t2, TV.Broadcast(A1));
        return TV.Mul(TV.Fma(TV.Mul(t2, t), p, t), TV.Broadcast(2f));
    }

    // log1p(e) on e in [0, 1] as e (1 + e Q(e)), Q of degree 7: fitted for the least maximum relative error by
    // scripts/fit_log1p_poly.py (4.3e-8 with float coefficients; 1.4e-7 after float evaluation). No division, and
    // relative precision down to e -> 0, where log1p(e) ~ e (a confident element's loss).
    private const float Q0 = -0.49999651312828064f;
    private const float Q1 = 0.3332136273384094f;
    private const float Q2 = -0.24857446551322937f;
    private const float Q3 = 0.19154642522335052f;
    private const float Q4 = -0.13755707442760468f;
    private const float Q5 = 0.07922526448965073f;
    private const float Q6 = -0.030077697709202766f;
    private const float Q7 = 0.005367632955312729f;

    /// <summary>log(1 + e) for e in [0, 1] (the vector twin of <see cref="Log1pScalar"/>): nine fused operations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log1pOfUnit<TV>(TV e) where TV : struct, SimdFloat.IVec<TV>
    {
        TV q = TV.Fma(TV.Broadcast(Q7), e, TV.Broadcast(Q6));
        q = TV.Fma(q, e, TV.Broadcast(Q5));
        q = TV.Fma(q, e, TV.Broadcast(Q4));
        q = TV.Fma(q, e, TV.Broadcast(Q3));
        q = TV.Fma(q, e, TV.Broadcast(Q2));
        q = TV.Fma(q, e, TV.Broadcast(Q1));
        q = TV.Fma(q, e, TV.Broadcast(Q0));
        return TV.Mul(TV.Fma(q, e, TV.Broadcast(1f)), e);
    }

    /// <summary>True when every value is in [0, 1] (NaN is not); a vectorised pre-check, the caller reports the culprit.</summary>
    public static bool InUnitInterval(ReadOnlySpan<float> values)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var bad = Vector<int>.Zero;
            var one = Vector<float>.One;
            fixed (float* p = values)
            {
                for (; j <= values.Length - Vector<float>.Count; j += Vector<float>.Count)
                {
                    var v = Vector.Load(p + j);
                    bad |= ~(Vector.GreaterThanOrEqual(v, Vector<float>.Zero) & Vector.LessThanOrEqual(v, one));
                }
            }

            if (bad != Vector<int>.Zero)
            {
                return false;
            }
        }

        for (; j < values.Length; j++)
        {
            if (!(values[j] >= 0f && values[j] <= 1f))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sum of the element losses; writes <c>(σ(x) - y)·scale</c> into <paramref name="gradient"/> unless empty.
    /// Inputs must already be validated (equal lengths, targets in [0, 1]).</summary>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y in [0, 1].</param>
    /// <param name="scale">The reduction's factor s.</param>
    /// <param name="gradient">Overwritten with the gradient; empty to skip.</param>
    /// <param name="maxThreads">Upper bound on threads; the result is bit-identical for any value.</param>
    public static double Sum(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, float scale, Span<float> gradient,
        int maxThreads = 1) => SumChecked(logits, targets, scale, gradient, out _, maxThreads);

    /// <summary>As <see cref="Sum"/>, checking in the same pass that every target lies in [0, 1] (the check costs a few
    /// vector instructions instead of a second read of the targets). When <paramref name="targetsInUnitInterval"/>
    /// comes back false the value is meaningless and the gradient may be partly written; the caller reports the culprit.</summary>
    /// <param name="logits">The logits x.</param>
    /// <param name="targets">The targets y.</param>
    /// <param name="scale">The reduction's factor s.</param>
    /// <param name="gradient">Overwritten with the gradient; empty to skip.</param>
    /// <param name="targetsInUnitInterval">False when some target is outside [0, 1] or NaN.</param>
    /// <param name="maxThreads">Upper bound on threads; the result is bit-identical for any value.</param>
    public static double SumChecked(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, float scale, Span<float> gradient,
        out bool targetsInUnitInterval, int maxThreads = 1)
    {
        int length = logits.Length;
        targetsInUnitInterval = true;
        if (length == 0)
        {
            return 0;
        }

        // Block size depends only on the length (RowBlocks.OfElements: a multiple of Chunk), so the order of the
        // double additions, and hence the value, is the same for every thread count.
        var (block, blocks) = RowBlocks.OfElements(length, Chunk);
        double* sums = stackalloc double[blocks];
        int bad = 0;
        fixed (float* xp = logits, yp = targets, gp = gradient)
        {
            var job = new Job(xp, yp, gradient.IsEmpty ? null : gp, sums, &bad, length, block, scale);
            BlockParallel.Run(job, blocks, RowBlocks.Threads(length, 1, maxThreads));
        }

        targetsInUnitInterval = Volatile.Read(ref bad) == 0;

        return RowBlocks.Total(sums, blocks);
    }


    private readonly struct Job(float* x, float* y, float* g, double* sums, int* bad, int length, int block, float scale) : IBlockJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock(int b)
        {
            int start = b * block;
            int end = Math.Min(length, start + block);
            double sum = 0;
            for (int c = start; c < end; c += Chunk)
            {
                int m = Math.Min(Chunk, end - c);
                float* gc = g == null ? null : g + c;
                if (Vector512.IsHardwareAccelerated && m >= Vector512<float>.Count)
                {
                    sum += ChunkSum<SimdFloat.V512>(x + c, y + c, gc, m, scale, bad);
                }
                else if (Vector256.IsHardwareAccelerated && m >= Vector256<float>.Count)
                {
                    sum += ChunkSum<SimdFloat.V256>(x + c, y + c, gc, m, scale, bad);
                }
                else if (Vector128.IsHardwareAccelerated && m >= Vector128<float>.Count)
                {
                    sum += ChunkSum<SimdFloat.V128>(x + c, y + c, gc, m, scale, bad);
                }
                else
                {
                    sum += ScalarSum(x + c, y + c, gc, 0, m, scale, bad);
                }
            }

            sums[b] = sum;
        }
    }

    /// <summary>One chunk in registers: loss lanes summed in float, the chunk's total returned in double.</summary>
    /// <remarks>First the fast form, valid for finite logits: <c>max(x, 0) - x y</c> as one fused multiply-add and no
    /// NaN handling. A non-finite logit makes that form NaN or infinite (<c>∞·0</c>, <c>∞ - ∞</c>, NaN), and so the
    /// chunk's sum; only then is the chunk redone with the exact limits for infinite logits and NaN propagated to
    /// the gradient.</remarks>
    private static double ChunkSum<TV>(float* x, float* y, float* g, int m, float scale, int* bad) where TV : struct, SimdFloat.IVec<TV>
    {
        double sum = ChunkSum<TV, FusedSoftmaxCrossEntropy.Yes>(x, y, g, m, scale, bad);
        return double.IsFinite(sum) ? sum : ChunkSum<TV, FusedSoftmaxCrossEntropy.No>(x, y, g, m, scale, bad);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ChunkSum<TV, TFast>(float* x, float* y, float* g, int m, float scale, int* bad)
        where TV : struct, SimdFloat.IVec<TV> where TFast : struct, FusedSoftmaxCrossEntropy.IFlag
    {
        int w = TV.Count;
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), s = TV.Broadcast(scale);
        TV acc = zero;
        TV outside = zero;
        int j = 0;
        for (; j <= m - w; j += w)
        {
            TV xv = TV.Load(x + j);
            TV yv = TV.Load(y + j);
            // y in [+0, 1] exactly when its bits, read unsigned, are at most those of 1f: negatives (sign bit) and
            // NaN (exponent all ones) are above; so is -0, which the caller's exact recheck lets through.
            outside = TV.MaxAsUInt32(outside, yv);
            TV ev = TV.ExpNonPositive(TV.NegativeAbs(xv));
            TV u = TV.Add(one, ev);
            TV log1p = Log1pOfUnit(ev);
            // max(x, 0) - x·y, with the hard targets selected so that an infinite logit gives its exact limit
            // (x = -inf, y = 0 costs 0) instead of inf · 0 = NaN.
            TV relu = TV.Max(xv, zero);
            TV linear;
            if (TFast.On)
            {
                linear = TV.Fma(TV.Neg(xv), yv, relu);
            }
            else
            {
                // (1 - y) max(x, 0) + y max(-x, 0): two non-negative terms, so ±∞ with a soft target gives +∞
                // (the limit) where max(x, 0) - x y would give ∞ - ∞.
                TV negRelu = TV.Max(TV.Neg(xv), zero);
                linear = TV.SelectEqual(yv, zero, relu,
                    TV.SelectEqual(yv, one, negRelu, TV.Fma(yv, negRelu, TV.Mul(TV.Sub(one, yv), relu))));
            }
            acc = TV.Add(acc, TV.Add(linear, log1p));
            if (g != null)
            {
                // (1 - y) σ - y (1 - σ) with σ = 1/u (x ≥ 0) or e/u (x < 0), 1 - σ the other one, u = 1 + e:
                // r·((1 - y) - y e) or r·((1 - y) e - y), r = 1/u; hard targets leave a single term, no cancellation.
                TV r = TV.Mul(TV.ReciprocalOfAtLeastOne(u), s);
                TV omy = TV.Sub(one, yv);
                TV numerator = TV.SelectGreaterOrEqual(xv, zero, TV.Fma(TV.Neg(yv), ev, omy), TV.Fma(omy, ev, TV.Neg(yv)));
                TV grad = TV.Mul(numerator, r);
                TV.Store(TFast.On ? grad : TV.SelectEqual(xv, xv, grad, xv), g + j);
            }
        }

        if (TV.AnyAboveAsUInt32(outside, OneBits))
        {
            *bad = 1;
        }

        return TV.SumAcross(acc) + ScalarSum(x, y, g, j, m, scale, bad);
    }

    /// <summary>Elements [j, m) one at a time (tails and hardware without SIMD).</summary>
    private static double ScalarSum(float* x, float* y, float* g, int j, int m, float scale, int* bad)
    {
        float tail = 0;
        for (; j < m; j++)
        {
            float xs = x[j];
            float es = SimdFloat.ExpScalar(-MathF.Abs(xs));
            float u = 1f + es;
            float log1p = Log1pScalar(es);
            float yj = y[j];
            if (!(yj >= 0f && yj <= 1f))
            {
                *bad = 1;
            }

            float linear = yj == 0f ? MathF.Max(xs, 0f) : yj == 1f ? MathF.Max(-xs, 0f)
                : MathF.FusedMultiplyAdd(yj, MathF.Max(-xs, 0f), (1f - yj) * MathF.Max(xs, 0f));
            tail += linear + log1p;
            if (g != null)
            {
                float r = 1f / u;
                float sig = (xs >= 0 ? 1f : es) * r;
                float complement = (xs >= 0 ? es : 1f) * r;
                g[j] = float.IsNaN(xs) ? xs : MathF.FusedMultiplyAdd(1f - yj, sig, -(yj * complement)) * scale;
            }
        }

        return tail;
    }
}
