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
/// <c>ℓ = max(x, 0) - x y + log1p(e)</c> (the first two terms in one fused multiply-add, so exact up to one rounding), <c>σ(x) = x ≥ 0 ? 1/(1+e) : e/(1+e)</c>, gradient <c>((1 - y) σ - y (1 - σ))·s</c> (= <c>(σ - y)·s</c>, written so that hard 0/1 targets do not cancel; <c>1 - σ</c> is formed directly from <c>e</c>) where
/// <c>s</c> is the reduction's factor. <c>log1p(e)</c> is <c>2 atanh(t)</c> with <c>t = e / (2 + e) ∈ [0, 1/3]</c>
/// (odd Taylor series to <c>t^15</c>, truncation below 1e-9 relative), which has no cancellation, so it keeps a
/// few-ulp relative accuracy even when <c>e</c> is tiny. Work is done in chunks of <see cref="Chunk"/> elements: the losses are summed
/// per vector lane in float and each chunk's sum is added to a double, in a fixed order.</para>
/// </remarks>
internal static unsafe class FusedSigmoidBinaryCrossEntropy
{
    private const int Chunk = 256;

    /// <summary>True when this kernel computes what <see cref="SigmoidBinaryCrossEntropy"/> would for these options.</summary>
    public static bool Supports(BinaryCrossEntropyOptions options) =>
        options.WeightSpan.IsEmpty && options.PositiveWeightSpan.IsEmpty && options.LabelSmoothing == 0;

    // log1p(e) = 2 atanh(t), t = e / (2 + e) in [0, 1/3]: 2 (t + t^3/3 + ... + t^15/15); the first omitted term is
    // below 2 (1/3)^17 / 17 < 1e-9 relative to t, so the error is the few roundings of the evaluation.
    private const float A1 = 1f / 3, A2 = 1f / 5, A3 = 1f / 7, A4 = 1f / 9, A5 = 1f / 11, A6 = 1f / 13, A7 = 1f / 15;

    /// <summary>log(1 + e) for e in [0, 1], the scalar twin of the vector evaluation.</summary>
    internal static float Log1pScalar(float e)
    {
        float t = e / (2f + e);
        float t2 = t * t;
        float p = MathF.FusedMultiplyAdd(A7, t2, A6);
        p = MathF.FusedMultiplyAdd(p, t2, A5);
        p = MathF.FusedMultiplyAdd(p, t2, A4);
        p = MathF.FusedMultiplyAdd(p, t2, A3);
        p = MathF.FusedMultiplyAdd(p, t2, A2);
        p = MathF.FusedMultiplyAdd(p, t2, A1);
        return MathF.FusedMultiplyAdd(t2 * t, p, t) * 2f;
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
    public static double Sum(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, float scale, Span<float> gradient)
    {
        int length = logits.Length;
        bool wantGradient = !gradient.IsEmpty;
        float* e = stackalloc float[Chunk];
        double sum = 0;
        fixed (float* xp = logits, yp = targets, gp = gradient)
        {
            for (int start = 0; start < length; start += Chunk)
            {
                int m = Math.Min(Chunk, length - start);
                float* x = xp + start;
                float* y = yp + start;
                float* g = wantGradient ? gp + start : null;
                if (Vector512.IsHardwareAccelerated && m >= Vector512<float>.Count)
                {
                    NegAbsExp<SimdFloat.V512>(x, e, m);
                }
                else if (Vector256.IsHardwareAccelerated && m >= Vector256<float>.Count)
                {
                    NegAbsExp<SimdFloat.V256>(x, e, m);
                }
                else
                {
                    NegAbsExp<SimdFloat.V128>(x, e, m);
                }

                sum += Finish(x, y, e, g, m, scale);
            }
        }

        return sum;
    }

    /// <summary>e[j] = exp(-|x[j]|) for j &lt; m.</summary>
    private static void NegAbsExp<TV>(float* x, float* e, int m) where TV : struct, SimdFloat.IVec<TV>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j <= m - Vector<float>.Count; j += Vector<float>.Count)
            {
                (-Vector.Abs(Vector.Load(x + j))).Store(e + j);
            }
        }

        for (; j < m; j++)
        {
            e[j] = -MathF.Abs(x[j]);
        }

        j = 0;
        for (; j <= m - TV.Count; j += TV.Count)
        {
            TV.Store(TV.Exp(TV.Load(e + j)), e + j);
        }

        for (; j < m; j++)
        {
            e[j] = SimdFloat.ExpScalar(e[j]);
        }
    }

    /// <summary>Losses and gradients of m elements given e = exp(-|x|); returns the chunk's loss sum.</summary>
    private static double Finish(float* x, float* y, float* e, float* g, int m, float scale)
    {
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && m >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            var one = Vector<float>.One;
            var s = new Vector<float>(scale);
            for (; j <= m - Vector<float>.Count; j += Vector<float>.Count)
            {
                var xv = Vector.Load(x + j);
                var yv = Vector.Load(y + j);
                var ev = Vector.Load(e + j);
                var u = one + ev;
                var t = ev / (u + one);
                var t2 = t * t;
                var p = Vector.FusedMultiplyAdd(new Vector<float>(A7), t2, new Vector<float>(A6));
                p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(A5));
                p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(A4));
                p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(A3));
                p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(A2));
                p = Vector.FusedMultiplyAdd(p, t2, new Vector<float>(A1));
                var t2t = t2 * t;
                var log1p = Vector.FusedMultiplyAdd(t2t, p, t) * new Vector<float>(2f);
                // max(x, 0) - x·y, with the hard targets selected so that an infinite logit gives its exact limit
                // (x = -inf, y = 0 costs 0) instead of inf · 0 = NaN.
                var relu = Vector.Max(xv, Vector<float>.Zero);
                var linear = Vector.ConditionalSelect(Vector.Equals(yv, Vector<float>.Zero), relu,
                    Vector.ConditionalSelect(Vector.Equals(yv, one), Vector.Max(-xv, Vector<float>.Zero), Vector.FusedMultiplyAdd(-xv, yv, relu)));
                acc += linear + log1p;
                if (g != null)
                {
                    var nonNegative = Vector.GreaterThanOrEqual(xv, Vector<float>.Zero);
                    var r = one / u;
                    var sig = Vector.ConditionalSelect(nonNegative, one, ev) * r;
                    var complement = Vector.ConditionalSelect(nonNegative, ev, one) * r;
                    var grad = Vector.FusedMultiplyAdd(one - yv, sig, -(yv * complement)) * s;
                    Vector.ConditionalSelect(Vector.Equals(xv, xv), grad, xv).Store(g + j);
                }
            }

            sum = Vector.Sum(acc);
        }

        float tail = 0;
        for (; j < m; j++)
        {
            float xs = x[j];
            float es = e[j];
            float u = 1f + es;
            float log1p = Log1pScalar(es);
            float yj = y[j];
            float linear = yj == 0f ? MathF.Max(xs, 0f) : yj == 1f ? MathF.Max(-xs, 0f) : MathF.FusedMultiplyAdd(-xs, yj, MathF.Max(xs, 0f));
            tail += linear + log1p;
            if (g != null)
            {
                float r = 1f / u;
                float sig = (xs >= 0 ? 1f : es) * r;
                float complement = (xs >= 0 ? es : 1f) * r;
                float ys = y[j];
                g[j] = float.IsNaN(xs) ? xs : MathF.FusedMultiplyAdd(1f - ys, sig, -(ys * complement)) * scale;
            }
        }

        return sum + tail;
    }
}
