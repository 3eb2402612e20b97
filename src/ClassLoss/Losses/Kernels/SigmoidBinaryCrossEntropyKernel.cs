using System.Numerics;
using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The kernels of binary cross-entropy with logits: the generic one (double arithmetic, every option) and a float
/// SIMD one for the default options (no class, positive or element weights, no smoothing, no losses buffer), loss and
/// gradient fused in one pass in registers that also checks the targets.
/// </summary>
/// <remarks>
/// <para>Per element: <c>e = exp(-|x|)</c>, <c>ℓ = max(x, 0) - x y + log1p(e)</c> (the first two terms in one fused
/// multiply-add, so exact up to one rounding; a chunk with a non-finite logit is redone with
/// <c>(1 - y) max(x, 0) + y max(-x, 0)</c>, which gives the limits), gradient <c>((1 - y) σ - y (1 - σ))·s</c>
/// (= <c>(σ - y)·s</c>, written so that hard 0/1 targets do not cancel; <c>1 - σ</c> is formed directly from
/// <c>e</c>) where <c>s</c> is the reduction's factor. <c>log1p(e)</c> is <see cref="VectorMath.Log1pOfUnit{TV}"/>
/// (no division, a few ulps relative even when <c>e</c> is tiny); <c>1/(1+e)</c> is the hardware estimate refined by
/// one Newton step (<see cref="VectorMath.ReciprocalOfAtLeastOne{TV}"/>; divisions cap the throughput).</para>
/// <para>Elements are cut into blocks whose size depends only on the length; inside a block, chunks of
/// <see cref="Chunk"/> elements are summed per vector lane in float and added to the block's double; block sums are
/// added in block order. So the value is bit-identical for any thread count. A float lane can overflow even though
/// every element loss is finite (two losses of 3e38 pass float.MaxValue), and no flush interval longer than one element
/// rules that out; but an overflow leaves +∞ in the chunk's sum (∞ is sticky), so a chunk whose float sum is not finite
/// is redone in the exact form with every vector of losses widened to double before it is added, which gives the
/// double sum (and the limits of infinite logits). The common case costs nothing extra.</para>
/// </remarks>
internal static unsafe class SigmoidBinaryCrossEntropyKernel
{
    private const int Chunk = 256;

    /// <summary>The bits of 1f: a target is in [+0, 1] exactly when its bits, read as unsigned, are at most this.</summary>
    private const uint OneBits = 0x3F800000;

    /// <summary>True when <see cref="Fused"/> computes these options: no weights of any kind, no smoothing, and row losses
    /// if any (not N·K element losses).</summary>
    public static bool Covers(bool weighted, double smoothing, bool elementLosses) => !weighted && smoothing == 0 && !elementLosses;

    /// <summary>The generic kernel (targets and weights already checked): <see cref="BinaryCrossEntropyElement{TTerms}"/>
    /// over every element, with class and element weights; returns the loss sum.</summary>
    public static double Generic<T>(in Batch<T, T> b, ReadOnlySpan<double> classWeights, ReadOnlySpan<double> positiveWeights,
        double smoothing, double scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ElementwiseKernel.Run<T, BinaryCrossEntropyElement<LogitTerms>, BinaryParameters>(b, classWeights,
            new BinaryParameters(positiveWeights, smoothing), scale);

    /// <summary>True when every value is in [0, 1] (NaN is not); a vectorised pre-check, the caller reports the culprit.</summary>
    public static bool InUnitInterval(ReadOnlySpan<float> values) => !double.IsNaN(CheckedSum(values));

    /// <summary>The values' sum in double, or NaN when some entry is outside [0, 1] or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double CheckedSum(ReadOnlySpan<float> row)
    {
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            Vector<double> a0 = Vector<double>.Zero, a1 = a0;
            var bad = Vector<int>.Zero;
            var one = Vector<float>.One;
            fixed (float* p = row)
            {
                for (; j <= row.Length - Vector<float>.Count; j += Vector<float>.Count)
                {
                    var v = Vector.Load(p + j);
                    bad |= ~(Vector.GreaterThanOrEqual(v, Vector<float>.Zero) & Vector.LessThanOrEqual(v, one));
                    Vector.Widen(v, out Vector<double> lo, out Vector<double> hi);
                    a0 += lo;
                    a1 += hi;
                }
            }

            if (bad != Vector<int>.Zero)
            {
                return double.NaN;
            }

            sum = Vector.Sum(a0 + a1);
        }

        for (; j < row.Length; j++)
        {
            float v = row[j];
            if (!(v >= 0f && v <= 1f))
            {
                return double.NaN;
            }

            sum += v;
        }

        return sum;
    }

    /// <summary>
    /// The fused kernel for float, <see cref="Half"/> or <see cref="BFloat16"/> logits and targets
    /// (<see cref="FusedElements"/>: a 16-bit type runs the float path's chunks in the same order on staged float copies,
    /// so its loss and target check are the float path's on the widened values bit for bit and its gradient and row
    /// losses the float path's rounded to <typeparamref name="T"/>): the sum of the element losses; writes
    /// <c>(σ(x) - y)·scale</c> into <paramref name="gradient"/> unless empty, checking in the same pass that every target
    /// lies in [0, 1] (a few vector instructions instead of a second read of the targets). <paramref name="checkFrom"/>
    /// is N when every target passed, else 0: the value is then meaningless, the gradient may be partly written, and the
    /// caller's exact check reports the culprit.
    /// </summary>
    public static double Fused<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k, float scale, Span<T> gradient,
        Span<T> rowLosses, int maxThreads, out int checkFrom)
        where T : unmanaged
    {
        int bad = 0;
        double sum = FusedElements.Sum(new LossElements(&bad, scale), Chunk, logits, targets, k, gradient, rowLosses, maxThreads);
        checkFrom = Volatile.Read(ref bad) == 0 ? logits.Length / k : 0;
        return sum;
    }

    /// <summary><see cref="Fused{T}"/> of float logits and targets.</summary>
    public static double Fused(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int k, float scale, Span<float> gradient,
        Span<float> rowLosses, int maxThreads, out int checkFrom) =>
        Fused<float>(logits, targets, k, scale, gradient, rowLosses, maxThreads, out checkFrom);

    /// <summary>The element body: chunks of <see cref="Chunk"/> elements (<see cref="ChunkSum{TV}"/>), their sums added
    /// in order; a target outside [0, 1] sets <paramref name="bad"/>.</summary>
    private readonly struct LossElements(int* bad, float scale) : IFusedElements
    {
        public int Switch => 0;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Elements<TV, TA>(float* x, float* t, float* g, int length, double total)
            where TV : struct, IVec<TV> where TA : struct, IConst
        {
            int chunk = RowExpSum.ElementsPerFlush<TV>(Chunk);
            for (int c = 0; c < length; c += chunk)
            {
                total += ChunkSum<TV>(x + c, t + c, g == null ? null : g + c, Math.Min(chunk, length - c), scale, bad);
            }

            return total;
        }
    }

    /// <summary>The most lanes of any vector width (<see cref="V512"/>).</summary>
    private const int MaxLanes = 16;

    /// <summary>One chunk in registers: loss lanes summed in float, the chunk's total returned in double.</summary>
    /// <remarks>First the fast form, valid for finite logits: <c>max(x, 0) - x y</c> as one fused multiply-add and no
    /// NaN handling, losses summed in float lanes. A non-finite logit makes that form NaN or infinite (<c>∞·0</c>,
    /// <c>∞ - ∞</c>, NaN), and so the chunk's sum; so does a float lane that overflows. Only then is the chunk redone
    /// with the exact limits for infinite logits, NaN propagated to the gradient and the losses added in double lanes
    /// (finite losses then give their finite double sum). A remainder shorter than a vector runs on
    /// <see cref="VScalar"/>.</remarks>
    private static double ChunkSum<TV>(float* x, float* y, float* g, int m, float scale, int* bad) where TV : struct, IVec<TV>
    {
        int vectors = m - (m % TV.Count);
        double sum = ChunkSum<TV, Yes>(x, y, g, vectors, scale, bad, null);
        if (!double.IsFinite(sum))
        {
            sum = ExactChunkSum<TV>(x, y, g, vectors, scale, bad);
        }

        return vectors < m && TV.Count > 1
            ? sum + ChunkSum<VScalar>(x + vectors, y + vectors, g == null ? null : g + vectors, m - vectors, scale, bad)
            : sum;
    }

    /// <summary>The chunk's vectors in the exact form, summed in double lanes (the rare case: kept out of line).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double ExactChunkSum<TV>(float* x, float* y, float* g, int m, float scale, int* bad) where TV : struct, IVec<TV>
    {
        double* lanes = stackalloc double[MaxLanes];
        return ChunkSum<TV, No>(x, y, g, m, scale, bad, lanes);
    }

    /// <summary>The chunk's vectors: the fast form summed in float lanes (<typeparamref name="TFast"/>), or the exact form
    /// summed in the <see cref="MaxLanes"/> doubles at <paramref name="lanes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ChunkSum<TV, TFast>(float* x, float* y, float* g, int m, float scale, int* bad, double* lanes)
        where TV : struct, IVec<TV> where TFast : struct, IConst
    {
        int w = TV.Count;
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), s = TV.Broadcast(scale);
        TV acc = zero;
        if (!TFast.On)
        {
            new Span<double>(lanes, w).Clear();
        }

        TV outside = zero;
        for (int j = 0; j < m; j += w)
        {
            TV xv = TV.Load(x + j);
            TV yv = TV.Load(y + j);
            // y in [+0, 1] exactly when its bits, read unsigned, are at most those of 1f: negatives (sign bit) and
            // NaN (exponent all ones) are above; so is -0, which the caller's exact recheck lets through.
            outside = TV.MaxAsUInt32(outside, yv);
            TV ev = VectorMath.ExpOfNonPositive(TV.NegativeAbs(xv));
            TV u = TV.Add(one, ev);
            TV log1p = VectorMath.Log1pOfUnit(ev);
            TV relu = TV.Max(xv, zero);
            TV linear;
            if (TFast.On)
            {
                linear = TV.Fma(TV.Neg(xv), yv, relu);
            }
            else
            {
                // (1 - y) max(x, 0) + y max(-x, 0): two non-negative terms, so ±∞ with a soft target gives +∞
                // (the limit) where max(x, 0) - x y would give ∞ - ∞; hard targets select one term exactly.
                TV negRelu = TV.Max(TV.Neg(xv), zero);
                linear = TV.SelectEqual(yv, zero, relu,
                    TV.SelectEqual(yv, one, negRelu, TV.Fma(yv, negRelu, TV.Mul(TV.Sub(one, yv), relu))));
            }

            if (TFast.On)
            {
                acc = TV.Add(acc, TV.Add(linear, log1p));
            }
            else
            {
                TV.AddWidened(TV.Add(linear, log1p), lanes);
            }

            if (g != null)
            {
                // (1 - y) σ - y (1 - σ) with σ = 1/u (x ≥ 0) or e/u (x < 0), 1 - σ the other one, u = 1 + e:
                // r·((1 - y) - y e) or r·((1 - y) e - y), r = 1/u; hard targets leave a single term, no cancellation.
                TV r = TV.Mul(VectorMath.ReciprocalOfAtLeastOne(u), s);
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

        if (TFast.On)
        {
            return TV.SumAcross(acc);
        }

        double sum = 0;
        for (int l = 0; l < w; l++)
        {
            sum += lanes[l];
        }

        return sum;
    }
}
