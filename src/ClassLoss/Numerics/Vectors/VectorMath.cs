using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// The elementary functions of the fused kernels, written once over <see cref="IVec{TV, T}"/> (so the scalar lane,
/// <see cref="VScalar"/>, computes exactly what each vector lane does): exp of a non-positive argument, log of a
/// normal number, log1p on [0, 1], a refined reciprocal.
/// </summary>
/// <remarks>
/// <para><c>exp</c>: Cody–Waite range reduction <c>x = n ln2 + r</c> with Cephes' two-part ln2 (Cephes <c>expf.c</c>,
/// S. Moshier), a degree-6 polynomial for <c>e^r</c> on <c>|r| ≤ ln2/2</c> in six fused multiply-adds (coefficients
/// fitted for the least maximum relative error, 3.9e-9 as float constants, by <c>scripts/fit_exp_poly.py</c>; about
/// 1 ulp after evaluation), n rounded with the 1.5·2^23 trick (no float-to-int conversion) and <c>2^n</c> applied by
/// <see cref="IVec{TV, T}.MulByPowerOfTwo"/> (<c>vscalefps</c> where AVX-512 has it). Arguments below ln(FLT_MIN) give
/// exactly 0 through a select, so <c>-∞</c> (masked) logits contribute 0 and no subnormal is ever formed (subnormal
/// results may cost a microcode assist each on Intel cores); NaN propagates.</para>
/// <para><c>log</c>: Cephes <c>logf</c>: <c>x = 2^e·m</c> with m in [√½, √2), <c>log x = e·ln2 + log m</c>,
/// <c>log(1 + f) = f - f²/2 + f³·P(f)</c>; about 1 ulp for positive normal finite inputs, no special cases.</para>
/// </remarks>
internal static class VectorMath
{
    // Cephes expf's two-part ln 2 for the Cody–Waite reduction.
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    // e^r on |r| ≤ ln2/2 by Horner in 6 FMAs: 1 + r + C2 r^2 + ... + C6 r^6 (scripts/fit_exp_poly.py, Lawson iteration).
    private const float C2 = 0.4999999403953552f;
    private const float C3 = 0.1666652113199234f;
    private const float C4 = 0.04166838154196739f;
    private const float C5 = 0.00836869701743126f;
    private const float C6 = 0.0013815078418701887f;

    // 1.5 * 2^23: adding it rounds to an integer n held in the low mantissa bits.
    private const float RoundMagic = 12582912f;

    /// <summary>ln(FLT_MIN): <see cref="ExpOfNonPositive{TV}"/> gives 0 below it.</summary>
    internal const float ExpMinArgument = -87.33654f;

    // Cephes logf's polynomial.
    private const float SqrtHalf = 0.707106781186547524f;
    private const float L0 = 7.0376836292e-2f;
    private const float L1 = -1.1514610310e-1f;
    private const float L2 = 1.1676998740e-1f;
    private const float L3 = -1.2420140846e-1f;
    private const float L4 = 1.4249322787e-1f;
    private const float L5 = -1.6668057665e-1f;
    private const float L6 = 2.0000714765e-1f;
    private const float L7 = -2.4999993993e-1f;
    private const float L8 = 3.3333331174e-1f;

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

    // log1p(s) = 2 atanh(t), t = s / (2 + s) in [0, 1/3]: 2 (t + t^3/3 + ... + t^13/13).
    private const float A1 = 1f / 3, A2 = 1f / 5, A3 = 1f / 7, A4 = 1f / 9, A5 = 1f / 11, A6 = 1f / 13;

    /// <summary><c>e^x</c> for <c>x ≤ 0</c> (or −∞, or NaN): 0 below ln(FLT_MIN), about 1 ulp elsewhere.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ExpOfNonPositive<TV>(TV x) where TV : struct, IVec<TV, float>
    {
        // Arguments below ExpMinArgument, -∞ included, may leave garbage or NaN in their lane; the select gives 0.
        TV t = TV.Fma(x, TV.Broadcast(Log2E), TV.Broadcast(RoundMagic));
        TV n = TV.Sub(t, TV.Broadcast(RoundMagic));
        TV r = TV.Fma(n, TV.Broadcast(-Ln2Hi), x);
        r = TV.Fma(n, TV.Broadcast(-Ln2Lo), r);
        TV p = TV.Fma(TV.Broadcast(C6), r, TV.Broadcast(C5));
        p = TV.Fma(p, r, TV.Broadcast(C4));
        p = TV.Fma(p, r, TV.Broadcast(C3));
        p = TV.Fma(p, r, TV.Broadcast(C2));
        p = TV.Fma(p, r, TV.Broadcast(1f));
        p = TV.Fma(p, r, TV.Broadcast(1f));
        return TV.SelectLess(x, TV.Broadcast(ExpMinArgument), TV.Broadcast(0f), TV.MulByPowerOfTwo(p, n, t));
    }

    /// <summary>The scalar lane of <see cref="ExpOfNonPositive{TV}"/>.</summary>
    public static float ExpOfNonPositive(float x) => ExpOfNonPositive(new VScalar(x))._v;

    /// <summary>
    /// <c>e^(z - m)</c> for <c>z ≤ m</c> with the rounding error of the float difference put back: the exact
    /// difference is <c>d + err</c> (2Sum), so <c>e^(z - m) ≈ e^d (1 + err)</c>, which removes up to half an ulp of the
    /// difference (5e-7 relative at a gap of 10). <paramref name="negM"/> is <c>-m</c>. A <c>-∞</c> lane gives 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ExpOfDifference<TV>(TV z, TV m, TV negM) where TV : struct, IVec<TV, float>
    {
        TV d = TV.Sub(z, m);
        TV bb = TV.Sub(d, z);
        TV err = TV.Add(TV.Sub(z, TV.Sub(d, bb)), TV.Sub(negM, bb));
        err = TV.SelectEqual(err, err, err, TV.Broadcast(0f)); // z = -inf: d = -inf, err NaN; e^d = 0 anyway
        TV e = ExpOfNonPositive(d);
        return TV.Fma(e, err, e);
    }

    /// <summary>Natural log of positive normal finite lanes (Cephes <c>logf</c>, about 1 ulp); no special cases.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LogOfNormal<TV>(TV x) where TV : struct, IVec<TV, float>
    {
        // m in [0.5, 1) with the exponent e; then m in [√½, √2) by moving one factor 2 between them.
        TV m = TV.Mantissa(x, out TV e);
        TV one = TV.Broadcast(1f), zero = TV.Broadcast(0f), half = TV.Broadcast(SqrtHalf);
        e = TV.Sub(e, TV.SelectLess(m, half, one, zero));
        TV f = TV.Sub(TV.Add(m, TV.SelectLess(m, half, m, zero)), one);
        TV z = TV.Mul(f, f);
        TV y = TV.Fma(TV.Broadcast(L0), f, TV.Broadcast(L1));
        y = TV.Fma(y, f, TV.Broadcast(L2));
        y = TV.Fma(y, f, TV.Broadcast(L3));
        y = TV.Fma(y, f, TV.Broadcast(L4));
        y = TV.Fma(y, f, TV.Broadcast(L5));
        y = TV.Fma(y, f, TV.Broadcast(L6));
        y = TV.Fma(y, f, TV.Broadcast(L7));
        y = TV.Fma(y, f, TV.Broadcast(L8));
        y = TV.Mul(TV.Mul(y, f), z);
        y = TV.Fma(e, TV.Broadcast(Ln2Lo), y);
        y = TV.Fma(z, TV.Broadcast(-0.5f), y);
        return TV.Fma(e, TV.Broadcast(Ln2Hi), TV.Add(f, y));
    }

    /// <summary><c>log(1 + e)</c> for e in [0, 1] (a fitted <c>e (1 + e Q(e))</c>, nine fused operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log1pOfUnit<TV>(TV e) where TV : struct, IVec<TV, float>
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

    /// <summary>The scalar lane of <see cref="Log1pOfUnit{TV}"/>.</summary>
    public static float Log1pOfUnit(float e) => Log1pOfUnit(new VScalar(e))._v;

    /// <summary>
    /// <c>log1p(s) = 2 atanh(t)</c> from <c>t = s / (2 + s) ∈ [0, 1/3]</c> (s ≤ 1): the odd series to <c>t^13</c> (the
    /// omitted <c>2 t^15/15</c> is below 1.4e-8 of the result, a quarter ulp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log1pFromT<TV>(TV t) where TV : struct, IVec<TV, float>
    {
        TV t2 = TV.Mul(t, t);
        TV p = TV.Fma(TV.Broadcast(A6), t2, TV.Broadcast(A5));
        p = TV.Fma(p, t2, TV.Broadcast(A4));
        p = TV.Fma(p, t2, TV.Broadcast(A3));
        p = TV.Fma(p, t2, TV.Broadcast(A2));
        p = TV.Fma(p, t2, TV.Broadcast(A1));
        return TV.Mul(TV.Fma(TV.Mul(t2, t), p, t), TV.Broadcast(2f));
    }

    /// <summary>1/a to about 1 ulp for a ≥ 1: the hardware estimate refined by one Newton step, or a division where
    /// there is no estimate (no zero, infinity or denormal handling).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ReciprocalOfAtLeastOne<TV>(TV a) where TV : struct, IVec<TV, float>
    {
        TV r = TV.ReciprocalEstimate(a);
        return TV.HasReciprocalEstimate ? TV.Fma(r, TV.Fma(TV.Neg(a), r, TV.Broadcast(1f)), r) : r;
    }
}
