using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    /// The fused float kernel: the sum of the element losses; writes <c>(σ(x) - y)·scale</c> into
    /// <paramref name="gradient"/> unless empty, checking in the same pass that every target lies in [0, 1] (a few
    /// vector instructions instead of a second read of the targets). <paramref name="checkFrom"/> is N when every target
    /// passed, else 0: the value is then meaningless, the gradient may be partly written, and the caller's exact check
    /// reports the culprit.
    /// </summary>
    public static double Fused(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int k, float scale, Span<float> gradient,
        Span<float> rowLosses, int maxThreads, out int checkFrom)
    {
        int length = logits.Length;
        if (!rowLosses.IsEmpty)
        {
            // Row losses wanted (Reduction.None, or the driver weighting rows): blocks of rows, each row's chunks summed.
            int n = rowLosses.Length;
            var (blockRows, rowBlocks) = RowBlocks.Of(n);
            int rowBad = 0;
            double rowSum;
            fixed (float* xp = logits, yp = targets, gp = gradient, rp = rowLosses)
            {
                var rowJob = new RowJob(xp, yp, gradient.IsEmpty ? null : gp, rp, &rowBad, n, k, blockRows, scale);
                rowSum = BlockParallel.Sum(rowJob, rowBlocks, RowBlocks.Threads(n, k, maxThreads));
            }

            checkFrom = Volatile.Read(ref rowBad) == 0 ? n : 0;
            return rowSum;
        }

        // Block size depends only on the length (RowBlocks.OfElements: a multiple of Chunk), so the order of the
        // double additions, and hence the value, is the same for every thread count.
        var (block, blocks) = RowBlocks.OfElements(length, Chunk);
        int bad = 0;
        double sum;
        fixed (float* xp = logits, yp = targets, gp = gradient)
        {
            var job = new Job(xp, yp, gradient.IsEmpty ? null : gp, &bad, length, block, scale);
            sum = BlockParallel.Sum(job, blocks, RowBlocks.Threads(length, 1, maxThreads));
        }

        checkFrom = Volatile.Read(ref bad) == 0 ? length / k : 0;
        return sum;
    }

    /// <summary>The fused kernel for float, <see cref="Half"/> or <see cref="BFloat16"/> logits and targets: float runs
    /// <see cref="Fused"/> on the caller's memory; a 16-bit type runs the same chunks in the same order on float copies of
    /// <see cref="Float16.StageFloats"/> elements at a time (<see cref="StagedJob{TFormat}"/>, <see cref="StagedRowJob{TFormat}"/>),
    /// so its loss and target check are the float path's on the widened values bit for bit and its gradient and row
    /// losses the float path's rounded to <typeparamref name="T"/>.</summary>
    public static double Fused<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k, float scale, Span<T> gradient,
        Span<T> rowLosses, int maxThreads, out int checkFrom)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Fused(MemoryMarshal.Cast<T, float>(logits), MemoryMarshal.Cast<T, float>(targets), k, scale,
                MemoryMarshal.Cast<T, float>(gradient), MemoryMarshal.Cast<T, float>(rowLosses), maxThreads, out checkFrom);
        }

        ReadOnlySpan<ushort> x = MemoryMarshal.Cast<T, ushort>(logits), y = MemoryMarshal.Cast<T, ushort>(targets);
        Span<ushort> g = MemoryMarshal.Cast<T, ushort>(gradient), r = MemoryMarshal.Cast<T, ushort>(rowLosses);
        return typeof(T) == typeof(Half)
            ? Staged<HalfFormat>(x, y, k, scale, g, r, maxThreads, out checkFrom)
            : typeof(T) == typeof(BFloat16)
                ? Staged<BFloat16Format>(x, y, k, scale, g, r, maxThreads, out checkFrom)
                : throw new UnreachableException("The fused kernels take float, Half or BFloat16.");
    }

    /// <summary>The 16-bit kernel (see <see cref="Fused{T}"/>): <see cref="Fused"/>'s blocks, staged.</summary>
    private static double Staged<TFormat>(ReadOnlySpan<ushort> logits, ReadOnlySpan<ushort> targets, int k, float scale,
        Span<ushort> gradient, Span<ushort> rowLosses, int maxThreads, out int checkFrom)
        where TFormat : struct, IFloat16Format
    {
        int length = logits.Length;
        int bad = 0;
        double sum;
        fixed (ushort* xp = logits, yp = targets, gp = gradient, rp = rowLosses)
        {
            if (!rowLosses.IsEmpty)
            {
                int n = rowLosses.Length;
                var (blockRows, rowBlocks) = RowBlocks.Of(n);
                var rowJob = new StagedRowJob<TFormat>(xp, yp, gradient.IsEmpty ? null : gp, rp, &bad, n, k, blockRows, scale);
                sum = BlockParallel.Sum(rowJob, rowBlocks, RowBlocks.Threads(n, k, maxThreads));
                checkFrom = Volatile.Read(ref bad) == 0 ? n : 0;
                return sum;
            }

            var (block, blocks) = RowBlocks.OfElements(length, Chunk);
            var job = new StagedJob<TFormat>(xp, yp, gradient.IsEmpty ? null : gp, &bad, length, block, scale);
            sum = BlockParallel.Sum(job, blocks, RowBlocks.Threads(length, 1, maxThreads));
        }

        checkFrom = Volatile.Read(ref bad) == 0 ? length / k : 0;
        return sum;
    }

    /// <summary>The 16-bit twin of <see cref="Job"/>: the block's chunks in pieces of <see cref="Float16.StageFloats"/>
    /// elements (a multiple of the chunk, so chunks fall where the float block puts them), widened into this thread's
    /// staging buffer; the gradient narrowed back.</summary>
    private readonly struct StagedJob<TFormat>(ushort* x, ushort* y, ushort* g, int* bad, int length, int block, float scale)
        : IBlockSumJob, ISpecialized
        where TFormat : struct, IFloat16Format
    {
        public double RunBlock(int b) => Specialize.Run(this, b, Specialize.AnyLength);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int start = b * block;
            int end = Math.Min(length, start + block);
            double sum = 0;
            int chunk = RowExpSum.ElementsPerFlush<TV>(Chunk);
            const int piece = Float16.StageFloats;
            fixed (float* stage = Float16.Stage(3 * piece))
            {
                float* xs = stage, ys = stage + piece, gs = g == null ? null : stage + (2 * piece);
                for (int p0 = start; p0 < end; p0 += piece)
                {
                    int m = Math.Min(piece, end - p0);
                    Float16.Widen<TFormat>(x + p0, xs, m);
                    Float16.Widen<TFormat>(y + p0, ys, m);
                    for (int c = 0; c < m; c += chunk)
                    {
                        sum += ChunkSum<TV>(xs + c, ys + c, gs == null ? null : gs + c, Math.Min(chunk, m - c), scale, bad);
                    }

                    if (g != null)
                    {
                        Float16.Narrow<TFormat>(gs, g + p0, m);
                    }
                }
            }

            return sum;
        }
    }

    /// <summary>The 16-bit twin of <see cref="RowJob"/>: whole rows staged a few at a time (K ≤
    /// <see cref="Float16.StageFloats"/>) or one row in pieces of that many elements, the same chunks in the same order.</summary>
    private readonly struct StagedRowJob<TFormat>(ushort* x, ushort* y, ushort* g, ushort* r, int* bad, int n, int k, int blockRows, float scale)
        : IBlockSumJob, ISpecialized
        where TFormat : struct, IFloat16Format
    {
        public double RunBlock(int b) => Specialize.Run(this, b, k);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            int chunk = RowExpSum.ElementsPerFlush<TV>(Chunk);
            const int piece = Float16.StageFloats;
            double sum = 0;
            fixed (float* stage = Float16.Stage(3 * piece))
            {
                float* xs = stage, ys = stage + piece, gs = g == null ? null : stage + (2 * piece);
                if (k <= piece)
                {
                    // A few whole rows per piece.
                    int rows = Float16.PieceRows(k, 1);
                    for (int p0 = start; p0 < end; p0 += rows)
                    {
                        int p1 = Math.Min(end, p0 + rows);
                        long at = (long)p0 * k;
                        int count = (p1 - p0) * k;
                        Float16.Widen<TFormat>(x + at, xs, count);
                        Float16.Widen<TFormat>(y + at, ys, count);
                        for (int i = p0; i < p1; i++)
                        {
                            int o = (i - p0) * k;
                            double row = 0;
                            for (int c = 0; c < k; c += chunk)
                            {
                                row += ChunkSum<TV>(xs + o + c, ys + o + c, gs == null ? null : gs + o + c, Math.Min(chunk, k - c), scale, bad);
                            }

                            r[i] = TFormat.FromSingle((float)row);
                            sum += row;
                        }

                        if (g != null)
                        {
                            Float16.Narrow<TFormat>(gs, g + at, count);
                        }
                    }

                    return sum;
                }

                // Long rows: one row in pieces (a multiple of the chunk, so chunks fall where the float row puts them).
                for (int i = start; i < end; i++)
                {
                    double row = 0;
                    for (int c0 = 0; c0 < k; c0 += piece)
                    {
                        int m = Math.Min(piece, k - c0);
                        long at = ((long)i * k) + c0;
                        Float16.Widen<TFormat>(x + at, xs, m);
                        Float16.Widen<TFormat>(y + at, ys, m);
                        for (int c = 0; c < m; c += chunk)
                        {
                            row += ChunkSum<TV>(xs + c, ys + c, gs == null ? null : gs + c, Math.Min(chunk, m - c), scale, bad);
                        }

                        if (g != null)
                        {
                            Float16.Narrow<TFormat>(gs, g + at, m);
                        }
                    }

                    r[i] = TFormat.FromSingle((float)row);
                    sum += row;
                }
            }

            return sum;
        }
    }

    private readonly struct Job(float* x, float* y, float* g, int* bad, int length, int block, float scale)
        : IBlockSumJob, ISpecialized
    {
        public double RunBlock(int b) => Specialize.Run(this, b, Specialize.AnyLength);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int start = b * block;
            int end = Math.Min(length, start + block);
            double sum = 0;
            int chunk = RowExpSum.ElementsPerFlush<TV>(Chunk);
            for (int c = start; c < end; c += chunk)
            {
                sum += ChunkSum<TV>(x + c, y + c, g == null ? null : g + c, Math.Min(chunk, end - c), scale, bad);
            }

            return sum;
        }
    }

    private readonly struct RowJob(float* x, float* y, float* g, float* r, int* bad, int n, int k, int blockRows, float scale)
        : IBlockSumJob, ISpecialized
    {
        public double RunBlock(int b) => Specialize.Run(this, b, k);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int end = Math.Min(n, (b + 1) * blockRows);
            int chunk = RowExpSum.ElementsPerFlush<TV>(Chunk);
            double sum = 0;
            for (int i = b * blockRows; i < end; i++)
            {
                long at = (long)i * k;
                double row = 0;
                for (int c = 0; c < k; c += chunk)
                {
                    row += ChunkSum<TV>(x + at + c, y + at + c, g == null ? null : g + at + c, Math.Min(chunk, k - c), scale, bad);
                }

                r[i] = (float)row;
                sum += row;
            }

            return sum;
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
