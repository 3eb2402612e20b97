using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// Fast float path of <see cref="SigmoidFocal"/> (every option: γ, α, class balancing, reduction; binary, multi-hot
/// or soft targets), loss and gradient fused, SIMD (Vector512, Vector256 or Vector128) with a float64 scalar tail.
/// </summary>
/// <remarks>
/// <para>Per element, from <c>e = exp(-|x|)</c> (<see cref="SimdFloat"/>'s exp) and one division <c>d = 1/(1+e)</c>:
/// <c>σ = (x ≥ 0 ? 1 : e)·d</c>, <c>σ̄ = 1 - σ = (x ≥ 0 ? e : 1)·d</c> (neither is formed by a subtraction),
/// <c>log1p(e)</c> by <see cref="FusedSigmoidBinaryCrossEntropy.Log1pOfUnit{TV}"/>, <c>ce = max(x,0) - t x + log1p(e)</c>
/// (with the hard targets selected, so an infinite logit gives its exact limit as in the BCE kernel),
/// <c>m = 1 - p_t = t σ̄ + (1 - t) σ</c> (a convex combination: no cancellation, exact for hard targets),
/// <c>∂m/∂x = σ σ̄ (1 - 2t)</c>, <c>p - t = (1 - t) σ - t σ̄</c>, <c>α_t = α t + (1 - α)(1 - t)</c> (or 1).</para>
/// <para>Loss <c>ℓ = α_t m^γ ce</c>; gradient (docs/numerics.md, "Sigmoid focal loss"):
/// <c>∂ℓ/∂x = α_t (γ m^(γ-1) (∂m/∂x) ce + m^γ (p - t))</c>, written per γ so no negative power is formed:
/// γ = 0: <c>α_t (p - t)</c>; γ = 1: <c>α_t ((∂m/∂x) ce + m (p - t))</c>; γ = 2: <c>α_t m (2 (∂m/∂x) ce + m (p - t))</c>;
/// any other γ: <c>f = exp(γ log m)</c> with <c>log m = log σ(-u) = -(max(u, 0) + log1p(e))</c>, <c>u = (2t - 1) x</c>,
/// taken from the BCE terms (no vector log), and <c>∂ℓ/∂x = α_t f (γ r ce + (p - t))</c> with
/// <c>r = (∂m/∂x)/m = -σ</c> (t = 1) or <c>σ̄</c> (t = 0). For that last case a vector holding a soft target
/// (<c>0 &lt; t &lt; 1</c>) is computed element by element in float64 with the generic formula instead.</para>
/// <para>The gradient is scaled by the reduction's factor; a NaN logit gives a NaN loss and a NaN gradient. Losses are
/// summed per vector lane in float and flushed into a double every <see cref="Chunk"/> elements, in a fixed order.
/// Source: Lin et al. 2017 (focal loss), torchvision <c>sigmoid_focal_loss</c>.</para>
/// </remarks>
internal static unsafe class FusedSigmoidFocal
{
    private const int Chunk = 256;


    private interface IGamma
    {
        static abstract int Mode { get; }
    }

    private readonly struct Gamma0 : IGamma
    {
        public static int Mode => 0;
    }

    private readonly struct Gamma1 : IGamma
    {
        public static int Mode => 1;
    }

    private readonly struct Gamma2 : IGamma
    {
        public static int Mode => 2;
    }

    private readonly struct GammaAny : IGamma
    {
        public static int Mode => 3;
    }

    /// <summary>The per-call constants.</summary>
    private readonly struct Parameters(double gamma, bool useAlpha, double alpha, double scale)
    {
        public readonly double Gamma = gamma;
        public readonly bool UseAlpha = useAlpha;
        public readonly double Alpha = alpha;
        public readonly double Scale = scale;
    }

    /// <summary>
    /// Sum of the element losses of [N, K] logits against validated targets in [0, 1]; writes ∂(reduced loss)/∂x
    /// (the per-element gradient times <paramref name="scale"/>) unless <paramref name="gradient"/> is empty, and each
    /// row's summed loss unless <paramref name="rowLosses"/> is empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Sum(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, SigmoidFocalOptions options,
        double scale, Span<float> gradient, Span<float> rowLosses, int maxThreads = 1)
    {
        var prm = new Parameters(options.Gamma, options.UsesAlpha, options.Alpha, scale);
        int length = logits.Length;
        if (length == 0)
        {
            return 0;
        }

        fixed (float* x = logits, t = targets, gp = gradient, rp = rowLosses)
        {
            float* g = gradient.IsEmpty ? null : gp;
            if (rowLosses.IsEmpty)
            {
                // Element blocks whose size depends only on the length.
                var (block, blocks) = RowBlocks.OfElements(length, 256);
                double* sums = stackalloc double[blocks];
                BlockParallel.Run(new ElementJob(x, t, g, sums, length, block, prm), blocks,
                    RowBlocks.Threads(length, 1, maxThreads));
                return RowBlocks.Total(sums, blocks);
            }

            int n = rowLosses.Length;
            var (blockRows, rowBlocks) = RowBlocks.Of(n);
            double* rowSums = stackalloc double[rowBlocks];
            BlockParallel.Run(new RowJob(x, t, g, rp, rowSums, n, classes, blockRows, prm), rowBlocks,
                RowBlocks.Threads(n, classes, maxThreads));
            return RowBlocks.Total(rowSums, rowBlocks);
        }
    }

    private readonly struct ElementJob(float* x, float* t, float* g, double* sums, int length, int block, Parameters prm) : IBlockJob
    {
        public void RunBlock(int b)
        {
            int start = b * block;
            int m = Math.Min(length, start + block) - start;
            sums[b] = Dispatch(x + start, t + start, g == null ? null : g + start, m, prm);
        }
    }

    private readonly struct RowJob(float* x, float* t, float* g, float* r, double* sums, int n, int k, int blockRows, Parameters prm) : IBlockJob
    {
        public void RunBlock(int b)
        {
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            for (int i = b * blockRows; i < end; i++)
            {
                long at = (long)i * k;
                double row = Dispatch(x + at, t + at, g == null ? null : g + at, k, prm);
                r[i] = (float)row;
                sum += row;
            }

            sums[b] = sum;
        }
    }

    private static double Dispatch(float* x, float* t, float* g, int length, in Parameters prm) => prm.Gamma switch
    {
        0.0 => Width<Gamma0>(x, t, g, length, prm),
        1.0 => Width<Gamma1>(x, t, g, length, prm),
        2.0 => Width<Gamma2>(x, t, g, length, prm),
        _ => Width<GammaAny>(x, t, g, length, prm),
    };

    private static double Width<TG>(float* x, float* t, float* g, int length, in Parameters prm) where TG : struct, IGamma
    {
        if (Vector512.IsHardwareAccelerated && length >= Vector512<float>.Count)
        {
            return Run<V512, TG>(x, t, g, length, prm);
        }

        if (Vector256.IsHardwareAccelerated && length >= Vector256<float>.Count)
        {
            return Run<V256, TG>(x, t, g, length, prm);
        }

        if (Vector128.IsHardwareAccelerated && length >= Vector128<float>.Count)
        {
            return Run<V128, TG>(x, t, g, length, prm);
        }

        return ScalarRange(x, t, g, 0, length, prm);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Run<TV, TG>(float* x, float* t, float* g, int length, in Parameters prm)
        where TV : struct, IVec<TV>
        where TG : struct, IGamma
    {
        int w = TV.Count;
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), two = TV.Broadcast(2f);
        float alpha = prm.UseAlpha ? (float)prm.Alpha : 1f;
        float beta = prm.UseAlpha ? (float)(1 - prm.Alpha) : 1f;
        TV av = TV.Broadcast(alpha), bv = TV.Broadcast(beta);
        TV asv = TV.Broadcast((float)(alpha * prm.Scale)), bsv = TV.Broadcast((float)(beta * prm.Scale));
        TV gv = TV.Broadcast((float)prm.Gamma);
        double total = 0;
        int j = 0;
        while (j <= length - w)
        {
            int chunkEnd = Math.Min(length, j + Chunk);
            TV acc = zero;
            for (; j <= chunkEnd - w; j += w)
            {
                TV xv = TV.Load(x + j);
                TV tv = TV.Load(t + j);
                if (TG.Mode == 3 && TV.MaxAcross(TV.Mul(tv, TV.Sub(one, tv))) != 0f)
                {
                    // A soft target with a general γ: the float64 generic formula for these w elements.
                    total += ScalarRange(x, t, g, j, j + w, prm);
                    continue;
                }

                TV e = TV.ExpNonPositive(TV.NegativeAbs(xv));
                TV u = TV.Add(one, e);
                TV d = TV.Div(one, u);
                TV sig = TV.Mul(TV.SelectGreaterOrEqual(xv, zero, one, e), d);
                TV sbar = TV.Mul(TV.SelectGreaterOrEqual(xv, zero, e, one), d);
                TV log1p = FusedSigmoidBinaryCrossEntropy.Log1pOfUnit(e);
                TV relu = TV.Max(xv, zero);
                TV negRelu = TV.Max(TV.Neg(xv), zero);
                TV linear = TV.SelectEqual(tv, zero, relu, TV.SelectEqual(tv, one, negRelu, TV.Fma(TV.Neg(xv), tv, relu)));
                TV ce = TV.Add(linear, log1p);
                TV omt = TV.Sub(one, tv);
                TV at = TV.Fma(tv, av, TV.Mul(omt, bv));
                TV pmt = TV.Fma(omt, sig, TV.Neg(TV.Mul(tv, sbar)));
                TV loss, grad;
                if (TG.Mode == 0)
                {
                    loss = TV.Mul(at, ce);
                    grad = pmt;
                }
                else if (TG.Mode == 3)
                {
                    // Hard targets only: log m = -(max(u, 0) + log1p(e)), u = x (t = 1) or -x (t = 0).
                    TV logm = TV.Neg(TV.Add(TV.SelectEqual(tv, one, relu, negRelu), log1p));
                    TV f = TV.ExpNonPositive(TV.Mul(gv, logm));
                    TV r = TV.SelectEqual(tv, one, TV.Neg(sig), sbar);
                    loss = TV.Mul(TV.Mul(at, f), ce);
                    grad = TV.Mul(f, TV.Fma(TV.Mul(gv, r), ce, pmt));
                }
                else
                {
                    TV m = TV.Fma(tv, sbar, TV.Mul(omt, sig));
                    TV dm = TV.Mul(TV.Mul(sig, sbar), TV.Fma(TV.Broadcast(-2f), tv, one));
                    if (TG.Mode == 1)
                    {
                        loss = TV.Mul(TV.Mul(at, m), ce);
                        grad = TV.Fma(dm, ce, TV.Mul(m, pmt));
                    }
                    else
                    {
                        loss = TV.Mul(TV.Mul(at, TV.Mul(m, m)), ce);
                        grad = TV.Mul(m, TV.Fma(TV.Mul(two, dm), ce, TV.Mul(m, pmt)));
                    }
                }

                acc = TV.Add(acc, loss);
                if (g != null)
                {
                    TV ats = TV.Fma(tv, asv, TV.Mul(omt, bsv));
                    TV.Store(TV.SelectEqual(xv, xv, TV.Mul(ats, grad), xv), g + j);
                }
            }

            total += TV.SumAcross(acc);
        }

        return total + ScalarRange(x, t, g, j, length, prm);
    }

    /// <summary>Elements [from, to) with the generic kernel's float64 formula; returns their loss sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ScalarRange(float* x, float* t, float* g, int from, int to, in Parameters prm)
    {
        double sum = 0;
        for (int j = from; j < to; j++)
        {
            double loss = SigmoidFocal.Element(x[j], t[j], prm.Gamma, prm.UseAlpha, prm.Alpha, out double dx);
            sum += loss;
            if (g != null)
            {
                g[j] = (float)(dx * prm.Scale);
            }
        }

        return sum;
    }
}
