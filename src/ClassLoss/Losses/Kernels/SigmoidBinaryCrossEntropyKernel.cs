using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The kernels of binary cross-entropy with logits: the generic one (double arithmetic, every option) and a float
/// SIMD one, loss and gradient fused in one pass in registers that also checks the targets: for the default options
/// the form below, and for class, positive and element weights, label smoothing and per-element losses the weighted
/// form (<see cref="WeightedChunk{TV}"/>).
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
/// <para>The weighted form (any of class weights <c>w_k</c>, positive weights <c>pw_k</c>, element weights
/// <c>e_ik</c>, smoothing ε, per-element losses): <c>A = pw y'</c> and <c>B = 1 - y'</c> with <c>y' = y (1 - ε) + ε/2</c>
/// and <c>1 - y' = (1 - y)(1 - ε) + ε/2</c> (each formed as a fused multiply-add, so neither cancels),
/// <c>W = w_k e_ik</c>; loss <c>W [A max(-x, 0) + B max(x, 0) + (A + B) log1p(e)]</c> (three non-negative terms),
/// gradient <c>W s r (x ≥ 0 ? B - A e : B e - A)</c>, <c>r = 1/(1 + e)</c>; an element of weight 0 gives 0 and 0
/// whatever its logit. Rows run in row blocks when there are column weights (so a row starts at column 0), element
/// blocks otherwise. A chunk is redone element by element with the generic kernel's double element function (so it
/// gives exactly the generic kernel's losses, gradient and double sum) when its float sum is not finite (a non-finite
/// logit, an overflowing lane or element loss), a gradient factor <c>W s</c> or an entry is not finite, or a weight
/// product that is not 0 in double is below float's smallest normal number (where float has lost bits). Class and
/// positive weights must be 0 or normal floats (<see cref="Covers"/>); otherwise the generic kernel runs.</para>
/// </remarks>
internal static unsafe partial class SigmoidBinaryCrossEntropyKernel
{
    private const int Chunk = 256;

    /// <summary>The bits of 1f: a target is in [+0, 1] exactly when its bits, read as unsigned, are at most this.</summary>
    private const uint OneBits = 0x3F800000;

    /// <summary>True when the fused kernel computes these options: every smoothing, element weights and losses buffer,
    /// and class and positive weights that convert to float exactly enough (each 0, or a normal float: finite and at
    /// least 2^-126).</summary>
    public static bool Covers(ReadOnlySpan<double> classWeights, ReadOnlySpan<double> positiveWeights) =>
        NormalFloats(classWeights) && NormalFloats(positiveWeights);

    /// <summary>The smallest normal float, 2^-126: below it a float has fewer than 24 significant bits.</summary>
    private const float MinNormal = 1.17549435e-38f;

    /// <summary>True when each weight is 0 or converts to a normal float (not ∞, not subnormal).</summary>
    private static bool NormalFloats(ReadOnlySpan<double> weights)
    {
        foreach (double w in weights)
        {
            float f = (float)w;
            if (w != 0 && !(float.IsFinite(f) && f >= MinNormal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>This thread's float copies of the class weights ([0, K)) and positive weights ([K, 2K)), reused.</summary>
    [ThreadStatic]
    private static float[]? t_floatWeights;

    private static float[] FloatWeights(ReadOnlySpan<double> classWeights, ReadOnlySpan<double> positiveWeights, int k)
    {
        float[]? buffer = t_floatWeights;
        if (buffer is null || buffer.Length < 2 * k)
        {
            t_floatWeights = buffer = new float[2 * k];
        }

        for (int c = 0; c < classWeights.Length; c++)
        {
            buffer[c] = (float)classWeights[c];
        }

        for (int c = 0; c < positiveWeights.Length; c++)
        {
            buffer[k + c] = (float)positiveWeights[c];
        }

        return buffer;
    }

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
        double sum = FusedElements.Sum(new ElementBody(&bad, scale, default, weighted: false), Chunk, logits, targets, k, gradient, rowLosses, maxThreads);
        checkFrom = Volatile.Read(ref bad) == 0 ? logits.Length / k : 0;
        return sum;
    }

    /// <summary>
    /// The fused kernel with every option it covers (<see cref="Covers"/>): the defaults run <see cref="Fused{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, float, Span{T}, Span{T}, int, out int)"/>'s
    /// form; class weights, positive weights, smoothing, N·K <paramref name="elementWeights"/> (PyTorch's BCE
    /// <c>weight</c> of shape [N, K]) or per-element losses (<paramref name="perElementLosses"/>: <paramref name="losses"/>
    /// holds N·K entries, else N row sums or nothing) run the weighted form. <paramref name="scale"/> is the reduction's
    /// factor; <paramref name="checkFrom"/> as in <see cref="Fused{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, float, Span{T}, Span{T}, int, out int)"/>.
    /// Double input runs <see cref="FusedDouble"/> (every option).
    /// </summary>
    public static double FusedWithOptions<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k, double scale, Span<T> gradient,
        Span<T> losses, bool perElementLosses, ReadOnlySpan<T> elementWeights, ReadOnlySpan<double> classWeights,
        ReadOnlySpan<double> positiveWeights, double smoothing, int maxThreads, out int checkFrom)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            return FusedDouble(MemoryMarshal.Cast<T, double>(logits), MemoryMarshal.Cast<T, double>(targets), k, scale,
                MemoryMarshal.Cast<T, double>(gradient), MemoryMarshal.Cast<T, double>(losses), perElementLosses,
                MemoryMarshal.Cast<T, double>(elementWeights), classWeights, positiveWeights, smoothing, maxThreads, out checkFrom);
        }

        if (classWeights.IsEmpty && positiveWeights.IsEmpty && smoothing == 0 && elementWeights.IsEmpty && !perElementLosses)
        {
            return Fused(logits, targets, k, (float)scale, gradient, losses, maxThreads, out checkFrom);
        }

        bool columns = !classWeights.IsEmpty || !positiveWeights.IsEmpty;
        float[]? floats = columns ? FloatWeights(classWeights, positiveWeights, k) : null;
        int bad = 0;
        double sum;
        fixed (float* f = floats)
        fixed (double* cw = classWeights, pw = positiveWeights)
        {
            var p = new Weighting(classWeights.IsEmpty ? null : f, positiveWeights.IsEmpty ? null : f + k,
                classWeights.IsEmpty ? null : cw, positiveWeights.IsEmpty ? null : pw, k, smoothing, scale);
            sum = FusedElements.Sum(new ElementBody(&bad, 0, p, weighted: true), Chunk, logits, targets, k, gradient,
                perElementLosses ? default : losses, maxThreads, elementWeights, perElementLosses ? losses : default, byRow: columns);
        }

        checkFrom = Volatile.Read(ref bad) == 0 ? logits.Length / k : 0;
        return sum;
    }

    /// <summary><see cref="Fused{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, float, Span{T}, Span{T}, int, out int)"/> of float logits and targets.</summary>
    public static double Fused(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int k, float scale, Span<float> gradient,
        Span<float> rowLosses, int maxThreads, out int checkFrom) =>
        Fused<float>(logits, targets, k, scale, gradient, rowLosses, maxThreads, out checkFrom);

    /// <summary>The most lanes of any vector width (<see cref="V512"/>).</summary>
    private const int MaxLanes = 16;

    /// <summary>One chunk in registers: loss lanes summed in float, the chunk's total returned in double.</summary>
    /// <remarks>First the fast form, valid for finite logits: <c>max(x, 0) - x y</c> as one fused multiply-add and no
    /// NaN handling, losses summed in float lanes. A non-finite logit makes that form NaN or infinite (<c>∞·0</c>,
    /// <c>∞ - ∞</c>, NaN), and so the chunk's sum; so does a float lane that overflows. Only then is the chunk redone
    /// with the exact limits for infinite logits, NaN propagated to the gradient and the losses added in double lanes
    /// (finite losses then give their finite double sum). A remainder shorter than a vector runs on
    /// <see cref="VScalar"/>.</remarks>
    private static double ChunkSum<TV>(float* x, float* y, float* g, int m, float scale, int* bad) where TV : struct, IVec<TV, float>
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
    private static double ExactChunkSum<TV>(float* x, float* y, float* g, int m, float scale, int* bad) where TV : struct, IVec<TV, float>
    {
        double* lanes = stackalloc double[MaxLanes];
        return ChunkSum<TV, No>(x, y, g, m, scale, bad, lanes);
    }

    /// <summary>The chunk's vectors: the fast form summed in float lanes (<typeparamref name="TFast"/>), or the exact form
    /// summed in the <see cref="MaxLanes"/> doubles at <paramref name="lanes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ChunkSum<TV, TFast>(float* x, float* y, float* g, int m, float scale, int* bad, double* lanes)
        where TV : struct, IVec<TV, float> where TFast : struct, IConst
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
            outside = TV.MaxBits(outside, yv);
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

        if (TV.AnyBitsAbove(outside, OneBits))
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
    /// <summary>The per-call constants of the weighted form: float and double copies of the class and positive weights
    /// (null where absent), K, the smoothing ε and the reduction's factor.</summary>
    private readonly struct Weighting(float* classWeights, float* positiveWeights, double* classWeightsDouble,
        double* positiveWeightsDouble, int k, double smoothing, double scale)
    {
        public readonly float* Cw = classWeights, Pw = positiveWeights;
        public readonly double* CwD = classWeightsDouble, PwD = positiveWeightsDouble;
        public readonly int K = k;
        public readonly double Smoothing = smoothing, Scale = scale;
    }

    /// <summary>The element body of both forms: chunks of <see cref="Chunk"/> elements, plain (<see cref="ChunkSum{TV}"/>)
    /// or, with <paramref name="weighted"/> (the switch <c>TW</c>), weighted (<see cref="WeightedChunk{TV}"/>), their sums
    /// added in order; a target outside [0, 1] sets <paramref name="bad"/>.</summary>
    private readonly struct ElementBody(int* bad, float scale, Weighting p, bool weighted) : IFusedElements
    {
        public int Switch => Specialize.Flag(weighted);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Elements<TV, TW>(float* x, float* t, float* g, float* e, float* l, int column, int length, double total)
            where TV : struct, IVec<TV, float> where TW : struct, IConst
        {
            int chunk = RowExpSum.ElementsPerFlush<TV>(Chunk);
            for (int c = 0; c < length; c += chunk)
            {
                int m = Math.Min(chunk, length - c);
                total += TW.On
                    ? WeightedChunk<TV>(x + c, t + c, g == null ? null : g + c, e == null ? null : e + c, l == null ? null : l + c, column + c, m, p, bad)
                    : ChunkSum<TV>(x + c, t + c, g == null ? null : g + c, m, scale, bad);
            }

            return total;
        }
    }

    /// <summary>One chunk of the weighted form: its vectors in registers (<see cref="WeightedVectors{TV}"/>), redone by
    /// <see cref="ExactElements"/> when they could not be trusted, then the remainder on <see cref="VScalar"/>.</summary>
    private static double WeightedChunk<TV>(float* x, float* y, float* g, float* e, float* l, int column, int m, in Weighting p, int* bad)
        where TV : struct, IVec<TV, float>
    {
        int vectors = m - (m % TV.Count);
        double sum = WeightedVectors<TV>(x, y, g, e, l, column, vectors, p, bad, out bool redo);
        if (redo || !double.IsFinite(sum))
        {
            sum = ExactElements(x, y, g, e, l, column, vectors, p);
        }

        return vectors < m && TV.Count > 1
            ? sum + WeightedChunk<VScalar>(x + vectors, y + vectors, g == null ? null : g + vectors, e == null ? null : e + vectors,
                l == null ? null : l + vectors, column + vectors, m - vectors, p, bad)
            : sum;
    }

    /// <summary>The weighted form's vectors (see the class remarks): writes the gradient and element losses, returns
    /// the float lanes' sum; <paramref name="redo"/> says a gradient factor or entry was not finite or a weight lost bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double WeightedVectors<TV>(float* x, float* y, float* g, float* e, float* l, int column, int m, in Weighting p,
        int* bad, out bool redo)
        where TV : struct, IVec<TV, float>
    {
        int w = TV.Count;
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), s = TV.Broadcast((float)p.Scale);
        TV a = TV.Broadcast((float)(1 - p.Smoothing)), half = TV.Broadcast((float)(0.5 * p.Smoothing));
        bool smooth = p.Smoothing != 0, weighted = p.Cw != null || e != null;
        float* cw = p.Cw == null ? null : p.Cw + column;
        float* pw = p.Pw == null ? null : p.Pw + column;
        TV acc = zero, outside = zero, big = zero, low = one;
        for (int j = 0; j < m; j += w)
        {
            TV xv = TV.Load(x + j);
            TV yv = TV.Load(y + j);
            outside = TV.MaxBits(outside, yv);
            TV ev = VectorMath.ExpOfNonPositive(TV.NegativeAbs(xv));
            TV log1p = VectorMath.Log1pOfUnit(ev);
            TV oneMinusY = TV.Sub(one, yv);
            TV pos = smooth ? TV.Fma(yv, a, half) : yv;
            TV neg = smooth ? TV.Fma(oneMinusY, a, half) : oneMinusY;
            if (pw != null)
            {
                pos = TV.Mul(pos, TV.Load(pw + j));
            }

            TV loss = TV.Fma(pos, TV.Max(TV.Neg(xv), zero), TV.Fma(neg, TV.Max(xv, zero), TV.Mul(TV.Add(pos, neg), log1p)));
            TV ws = s;
            TV weight = one;
            if (weighted)
            {
                TV wk = cw == null ? one : TV.Load(cw + j);
                if (e != null)
                {
                    TV eik = TV.Load(e + j);
                    weight = TV.Mul(wk, eik);
                    ws = TV.Mul(weight, s);
                    // A weight product that is not 0 in double (both factors non-zero) but below float's normal range.
                    low = TV.Min(low, TV.SelectEqual(eik, zero, one, TV.SelectEqual(wk, zero, one, TV.Min(weight, ws))));
                }
                else
                {
                    weight = wk;
                    ws = TV.Mul(weight, s);
                    low = TV.Min(low, TV.SelectEqual(wk, zero, one, ws));
                }

                loss = TV.SelectEqual(weight, zero, zero, TV.Mul(weight, loss));
            }

            acc = TV.Add(acc, loss);
            if (l != null)
            {
                TV.Store(loss, l + j);
            }

            if (g != null)
            {
                TV r = VectorMath.ReciprocalOfAtLeastOne(TV.Add(one, ev));
                TV numerator = TV.SelectGreaterOrEqual(xv, zero, TV.Fma(TV.Neg(pos), ev, neg), TV.Fma(neg, ev, TV.Neg(pos)));
                TV grad = TV.Mul(TV.Mul(numerator, r), ws);
                if (weighted)
                {
                    grad = TV.SelectEqual(weight, zero, zero, grad);
                }

                big = TV.Max(big, TV.Max(ws, TV.Max(grad, TV.Neg(grad))));
                TV.Store(grad, g + j);
            }
        }

        if (TV.AnyBitsAbove(outside, OneBits))
        {
            *bad = 1;
        }

        redo = m > 0 && (!float.IsFinite(TV.MaxAcross(big)) || -TV.MaxAcross(TV.Neg(low)) < MinNormal);
        return TV.SumAcross(acc);
    }

    /// <summary>Elements [0, <paramref name="m"/>) of the weighted form with the generic kernel's double element function
    /// (<see cref="BinaryCrossEntropyElement{TTerms}"/> of <see cref="LogitTerms"/>, weighted as
    /// <see cref="ElementwiseKernel"/> does): its losses, gradient and double sum exactly (the rare case: kept out of line).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double ExactElements(float* x, float* y, float* g, float* e, float* l, int column, int m, in Weighting p)
    {
        var parameters = new BinaryParameters(p.PwD == null ? default : new ReadOnlySpan<double>(p.PwD, p.K), p.Smoothing);
        double sum = 0;
        for (int j = 0; j < m; j++)
        {
            int c = column + j;
            double weight = (p.CwD == null ? 1.0 : p.CwD[c]) * (e == null ? 1.0 : e[j]);
            double loss = 0, grad = 0;
            if (weight != 0)
            {
                loss = weight * BinaryCrossEntropyElement<LogitTerms>.Of(x[j], y[j], c, parameters, out double d);
                grad = d * (weight * p.Scale);
            }

            if (l != null)
            {
                l[j] = (float)loss;
            }

            if (g != null)
            {
                g[j] = (float)grad;
            }

            sum += loss;
        }

        return sum;
    }
}
