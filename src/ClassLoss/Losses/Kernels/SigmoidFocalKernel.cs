using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The kernels of the sigmoid focal loss (every option: γ, α, class balancing; binary, multi-hot or soft targets):
/// the element function in double (<see cref="Element"/>, the generic kernel and the fused kernel's tails) and a float
/// SIMD kernel (<see cref="Fused"/>), loss and gradient fused.
/// </summary>
/// <remarks>
/// <para>Per element, from <c>e = exp(-|x|)</c> and one division <c>d = 1/(1+e)</c>: <c>σ = (x ≥ 0 ? 1 : e)·d</c>,
/// <c>σ̄ = 1 - σ = (x ≥ 0 ? e : 1)·d</c> (neither is formed by a subtraction), <c>log1p(e)</c> by
/// <see cref="VectorMath.Log1pOfUnit{TV}"/>, <c>ce = max(x,0) - t x + log1p(e)</c> (with the hard targets selected,
/// so an infinite logit gives its exact limit as in the BCE kernel), <c>m = 1 - p_t = t σ̄ + (1 - t) σ</c> (a convex
/// combination: no cancellation, exact for hard targets), <c>∂m/∂x = σ σ̄ (1 - 2t)</c>, <c>p - t = (1 - t) σ - t σ̄</c>,
/// <c>α_t = α t + (1 - α)(1 - t)</c> (or 1).</para>
/// <para>Loss <c>ℓ = α_t m^γ ce</c>; gradient (docs/numerics.md, "Sigmoid focal loss"):
/// <c>∂ℓ/∂x = α_t (γ m^(γ-1) (∂m/∂x) ce + m^γ (p - t))</c>, written per γ (a compile-time case) so no negative power
/// is formed: γ = 0: <c>α_t (p - t)</c>; γ = 1: <c>α_t ((∂m/∂x) ce + m (p - t))</c>; γ = 2:
/// <c>α_t m (2 (∂m/∂x) ce + m (p - t))</c>; any other γ: <c>f = exp(γ log m)</c> with
/// <c>log m = log σ(-u) = -(max(u, 0) + log1p(e))</c>, <c>u = (2t - 1) x</c>, taken from the BCE terms (no vector log),
/// and <c>∂ℓ/∂x = α_t f (γ r ce + (p - t))</c> with <c>r = (∂m/∂x)/m = -σ</c> (t = 1) or <c>σ̄</c> (t = 0). For that
/// last case a vector holding a soft target (<c>0 &lt; t &lt; 1</c>) is computed element by element in float64 with
/// the generic formula instead.</para>
/// <para>The gradient is scaled by the reduction's factor; a NaN logit gives a NaN loss and a NaN gradient. Losses are
/// summed per vector lane in float and flushed into a double every <see cref="Chunk"/> elements, in a fixed order;
/// blocks as <see cref="RowBlocks"/>, so the value is bit-identical for any thread count. A chunk whose float sum is not
/// finite (a lane that overflowed, or a non-finite logit) is redone element by element with the float64 element
/// function, so such chunks give exactly the generic kernel's losses, gradients and double sum. Source: Lin et al. 2017
/// (focal loss), torchvision <c>sigmoid_focal_loss</c>.</para>
/// </remarks>
internal static unsafe class SigmoidFocalKernel
{
    private const int Chunk = 256;

    /// <summary>One element's loss <c>α_t (1 - p_t)^γ ce</c> and its unscaled gradient ∂ℓ/∂x, in double.</summary>
    public static double Element(double x, double t, double gamma, bool useAlpha, double alpha, out double dx)
    {
        double at = useAlpha ? (alpha * t) + ((1 - alpha) * (1 - t)) : 1.0;
        if (t == 0 || t == 1)
        {
            double s = t == 1 ? 1.0 : -1.0;
            double u = s * x;
            double ce = StableMath.Softplus(-u);
            double f = gamma == 0 ? 1.0 : Math.Exp(gamma * StableMath.LogSigmoid(-u));
            dx = gamma == 0
                ? -s * at * StableMath.Sigmoid(-u)
                : -s * at * f * ((gamma * StableMath.Sigmoid(u) * ce) + StableMath.Sigmoid(-u));
            return at * f * ce;
        }
        else
        {
            double p = StableMath.Sigmoid(x);
            double ce = StableMath.Softplus(x) - (t * x);
            double m = p + t - (2 * p * t);
            double f = gamma == 0 ? 1.0 : Math.Exp(gamma * Math.Log(m));
            double df = gamma == 0 ? 0.0 : gamma * f / m * p * (1 - p) * (1 - (2 * t));
            // γ = 0 leaves out the df·ce term: 0·ce is NaN at an infinite logit, where the limit α_t (p - t) is finite.
            dx = gamma == 0 ? at * (p - t) : at * ((df * ce) + (f * (p - t)));
            return at * f * ce;
        }
    }

    /// <summary><see cref="Element(double, double, double, bool, double, out double)"/> as an element operator.</summary>
    public readonly struct ElementLoss : IElementLoss<Parameters>
    {
        public static double Of(double x, double t, int column, in Parameters p, out double derivative) =>
            Element(x, p.Smoothing == 0 ? t : (t * (1 - p.Smoothing)) + (0.5 * p.Smoothing), p.Gamma, p.UseAlpha, p.Alpha, out derivative);
    }

    /// <summary>The generic kernel (targets already checked): every element in double; returns the loss sum.</summary>
    public static double Generic<T>(in Batch<T, T> b, double gamma, bool useAlpha, double alpha, double scale, double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ElementwiseKernel.Run<T, ElementLoss, Parameters>(b, default, new Parameters(gamma, useAlpha, alpha, scale, smoothing), scale);

    /// <summary>The per-call constants.</summary>
    public readonly struct Parameters(double gamma, bool useAlpha, double alpha, double scale, double smoothing = 0)
    {
        /// <summary>Keras's binary label smoothing ε (targets become <c>t (1 - ε) + ε / 2</c>); 0 for none.</summary>
        public readonly double Smoothing = smoothing;
        public readonly double Gamma = gamma;
        public readonly bool UseAlpha = useAlpha;
        public readonly double Alpha = alpha;
        public readonly double Scale = scale;

        /// <summary>The γ case as a switch value: 0, 1, 2, or 3 for any other γ.</summary>
        public int Mode => Gamma switch { 0.0 => 0, 1.0 => 1, 2.0 => 2, _ => 3 };
    }

    /// <summary>
    /// The fused kernel for float, <see cref="Half"/> or <see cref="BFloat16"/> logits and targets
    /// (<see cref="FusedElements"/>: a 16-bit type runs the float path's chunks in the same order on staged float copies,
    /// so its loss is the float path's on the widened values bit for bit and its gradient and row losses the float path's
    /// rounded to <typeparamref name="T"/>): the sum of the element losses; writes ∂(reduced loss)/∂x unless
    /// <paramref name="gradient"/> is empty and each row's summed loss unless <paramref name="rowLosses"/> is empty.
    /// <paramref name="checkFrom"/>: N when every target plainly lies in [0, 1], else 0 (the caller checks them all exactly).
    /// </summary>
    public static double Fused<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k, double gamma, bool useAlpha,
        double alpha, double scale, Span<T> gradient, Span<T> rowLosses, int maxThreads, out int checkFrom)
        where T : unmanaged
    {
        checkFrom = FusedElements.InUnitInterval(targets) ? logits.Length / k : 0;
        return FusedElements.Sum(new LossElements(new Parameters(gamma, useAlpha, alpha, scale)), Chunk, logits, targets, k,
            gradient, rowLosses, maxThreads);
    }

    /// <summary>The element body: <see cref="Elements{TV, TG}"/> with the γ case as the switch.</summary>
    private readonly struct LossElements(Parameters prm) : IFusedElements
    {
        public int Switch => prm.Mode;

        public double Elements<TV, TG>(float* x, float* t, float* g, float* e, float* l, int column, int length, double total)
            where TV : struct, IVec<TV, float> where TG : struct, IConst =>
            SigmoidFocalKernel.Elements<TV, TG>(x, t, g, length, prm, total);
    }

    /// <summary>Elements [0, length): vectors of <typeparamref name="TV"/>, the γ case <typeparamref name="TG"/>, and the
    /// remainder with the float64 element function; returns <paramref name="total"/> plus their losses, each chunk's sum
    /// added in order (a 16-bit block passes its running total from one staged piece to the next).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Elements<TV, TG>(float* x, float* t, float* g, int length, in Parameters prm, double total = 0)
        where TV : struct, IVec<TV, float> where TG : struct, IConst
    {
        int w = TV.Count;
        TV zero = TV.Broadcast(0f), one = TV.Broadcast(1f), two = TV.Broadcast(2f);
        float alpha = prm.UseAlpha ? (float)prm.Alpha : 1f;
        float beta = prm.UseAlpha ? (float)(1 - prm.Alpha) : 1f;
        TV av = TV.Broadcast(alpha), bv = TV.Broadcast(beta);
        TV asv = TV.Broadcast((float)(alpha * prm.Scale)), bsv = TV.Broadcast((float)(beta * prm.Scale));
        TV gv = TV.Broadcast((float)prm.Gamma);
        int perFlush = RowExpSum.ElementsPerFlush<TV>(Chunk);
        int j = 0;
        while (j <= length - w)
        {
            int chunkStart = j;
            int chunkEnd = Math.Min(length, j + perFlush);
            double chunk = 0;
            TV acc = zero;
            for (; j <= chunkEnd - w; j += w)
            {
                TV xv = TV.Load(x + j);
                TV tv = TV.Load(t + j);
                if (TG.Value == 3 && TV.MaxAcross(TV.Mul(tv, TV.Sub(one, tv))) != 0f)
                {
                    // A soft target with a general γ: the float64 generic formula for these w elements.
                    chunk += Remainder(x, t, g, j, j + w, prm);
                    continue;
                }

                TV e = VectorMath.ExpOfNonPositive(TV.NegativeAbs(xv));
                TV u = TV.Add(one, e);
                TV d = TV.Div(one, u);
                TV sig = TV.Mul(TV.SelectGreaterOrEqual(xv, zero, one, e), d);
                TV sbar = TV.Mul(TV.SelectGreaterOrEqual(xv, zero, e, one), d);
                TV log1p = VectorMath.Log1pOfUnit(e);
                TV relu = TV.Max(xv, zero);
                TV negRelu = TV.Max(TV.Neg(xv), zero);
                TV linear = TV.SelectEqual(tv, zero, relu, TV.SelectEqual(tv, one, negRelu, TV.Fma(TV.Neg(xv), tv, relu)));
                TV ce = TV.Add(linear, log1p);
                TV omt = TV.Sub(one, tv);
                TV at = TV.Fma(tv, av, TV.Mul(omt, bv));
                TV pmt = TV.Fma(omt, sig, TV.Neg(TV.Mul(tv, sbar)));
                TV loss, grad;
                if (TG.Value == 0)
                {
                    loss = TV.Mul(at, ce);
                    grad = pmt;
                }
                else if (TG.Value == 3)
                {
                    // Hard targets only: log m = -(max(u, 0) + log1p(e)), u = x (t = 1) or -x (t = 0).
                    TV logm = TV.Neg(TV.Add(TV.SelectEqual(tv, one, relu, negRelu), log1p));
                    TV f = VectorMath.ExpOfNonPositive(TV.Mul(gv, logm));
                    TV r = TV.SelectEqual(tv, one, TV.Neg(sig), sbar);
                    loss = TV.Mul(TV.Mul(at, f), ce);
                    grad = TV.Mul(f, TV.Fma(TV.Mul(gv, r), ce, pmt));
                }
                else
                {
                    TV m = TV.Fma(tv, sbar, TV.Mul(omt, sig));
                    TV dm = TV.Mul(TV.Mul(sig, sbar), TV.Fma(TV.Broadcast(-2f), tv, one));
                    if (TG.Value == 1)
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

            chunk += TV.SumAcross(acc);
            if (!double.IsFinite(chunk))
            {
                // A float lane overflowed (every element loss is finite, but two of 3e38 already pass float.MaxValue),
                // or a logit is infinite or NaN, where the float forms may give 0·∞ = NaN for a loss whose limit is
                // +∞ (x = -∞ against a soft target t whose α_t t^γ underflows in float). ∞ and NaN are sticky, so a
                // finite chunk sum proves neither happened; otherwise the chunk is redone in float64, element by
                // element, exactly as the generic kernel computes it, with the losses summed in double.
                chunk = Remainder(x, t, g, chunkStart, j, prm);
            }

            total += chunk;
        }

        return total + Remainder(x, t, g, j, length, prm);
    }

    /// <summary>Elements [from, to) with the float64 element function; returns their loss sum.</summary>
    private static double Remainder(float* x, float* t, float* g, int from, int to, in Parameters prm)
    {
        double sum = 0;
        for (int j = from; j < to; j++)
        {
            double loss = Element(x[j], t[j], prm.Gamma, prm.UseAlpha, prm.Alpha, out double dx);
            sum += loss;
            if (g != null)
            {
                g[j] = (float)(dx * prm.Scale);
            }
        }

        return sum;
    }
}
