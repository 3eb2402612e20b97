using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// The elementary functions of the double SIMD kernels, written once over <see cref="IVec{TV, T}"/> (so the scalar lane,
/// <see cref="DScalar"/>, computes exactly what each vector lane does), to double accuracy (about 1 ulp; the float
/// kernels' <see cref="VectorMath"/> polynomials are float-accurate only): exp of a non-positive argument, log1p on [0, 1].
/// </summary>
/// <remarks>
/// <para><c>exp</c>: Cody–Waite range reduction <c>x = n ln2 + r</c> (ln 2 split in a 21-bit head and its tail, both
/// applied by fused multiply-adds), <c>|r| ≤ ln2/2</c>; <c>e^r</c> by its Taylor polynomial to degree 13 in Horner form
/// (the omitted <c>r^14/14!</c> is below 5e-18 of the result); n rounded with the 1.5·2^52 trick and <c>2^n</c> applied
/// by <see cref="IVec{TV, T}.MulByPowerOfTwo"/>, which rounds a subnormal result correctly (so the function agrees with
/// <see cref="Math.Exp"/> down to 2^-1074). Arguments below -745.2 (where <c>e^x</c> rounds to 0), <c>-∞</c>
/// included, give exactly 0 through a select; NaN propagates.</para>
/// <para><c>log1p(e)</c>, e in [0, 1]: for e ≥ ½, <c>log1p(e) = ln2 + log1p((e - 1)/2)</c> (both steps exact), so the
/// argument f lies in [-¼, ½); then <c>log1p(f) = 2 atanh(s)</c>, <c>s = f / (2 + f)</c>, |s| ≤ 0.2, by the odd
/// series to <c>s^21</c> (the omitted term is below 2e-17 of the result), <c>2s</c> formed as <c>2f / (2 + f)</c>:
/// one division, relative precision down to e → 0, subnormal e included (log1p(e) = e there).</para>
/// </remarks>
internal static class VectorMathD
{
    /// <summary>1.5·2^52: adding it rounds a double of magnitude below 2^51 to an integer held in the low mantissa bits.</summary>
    internal const double RoundMagic = 6755399441055744.0;

    /// <summary>Below this <see cref="ExpOfNonPositive{TV}"/> gives 0 (e^x rounds to 0 below ln 2^-1075 ≈ -745.13).</summary>
    internal const double ExpMinArgument = -745.2;

    private const double Log2E = 1.4426950408889634;

    // ln 2 = Ln2Hi + Ln2Lo; Ln2Hi has 21 significant bits (its low 32 bits are 0), so n·Ln2Hi is exact for |n| < 2^32.
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;

    /// <summary><c>e^x</c> for <c>x ≤ 0</c> (or −∞, or NaN): about 1 ulp, subnormal results included; 0 below -745.2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ExpOfNonPositive<TV>(TV x) where TV : struct, IVec<TV, double>
    {
        TV t = TV.Fma(x, TV.Broadcast(Log2E), TV.Broadcast(RoundMagic));
        TV n = TV.Sub(t, TV.Broadcast(RoundMagic));
        TV r = TV.Fma(n, TV.Broadcast(-Ln2Hi), x);
        r = TV.Fma(n, TV.Broadcast(-Ln2Lo), r);
        TV p = TV.Fma(TV.Broadcast(1.0 / 6227020800), r, TV.Broadcast(1.0 / 479001600));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 39916800));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 3628800));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 362880));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 40320));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 5040));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 720));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 120));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 24));
        p = TV.Fma(p, r, TV.Broadcast(1.0 / 6));
        p = TV.Fma(p, r, TV.Broadcast(0.5));
        p = TV.Fma(p, r, TV.Broadcast(1.0));
        p = TV.Fma(p, r, TV.Broadcast(1.0));
        return TV.SelectLess(x, TV.Broadcast(ExpMinArgument), TV.Broadcast(0.0), TV.MulByPowerOfTwo(p, n, t));
    }

    /// <summary>The scalar lane of <see cref="ExpOfNonPositive{TV}"/>.</summary>
    public static double ExpOfNonPositive(double x) => ExpOfNonPositive(new DScalar(x))._v;

    /// <summary><c>log(1 + e)</c> for e in [0, 1], about 1 ulp (see the remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log1pOfUnit<TV>(TV e) where TV : struct, IVec<TV, double>
    {
        TV half = TV.Broadcast(0.5), zero = TV.Broadcast(0.0);
        // e ≥ ½: e - 1 is exact (Sterbenz) and so is the halving.
        TV f = TV.SelectGreaterOrEqual(e, half, TV.Mul(TV.Sub(e, TV.Broadcast(1.0)), half), e);
        // 2s = 2f / (2 + f) in one rounding (2f is exact; s itself would lose bits for a subnormal f).
        TV s = TV.Div(TV.Add(f, f), TV.Add(f, TV.Broadcast(2.0)));
        TV h = TV.Mul(s, half);
        TV s2 = TV.Mul(h, h);
        TV q = TV.Fma(TV.Broadcast(1.0 / 21), s2, TV.Broadcast(1.0 / 19));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 17));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 15));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 13));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 11));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 9));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 7));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 5));
        q = TV.Fma(q, s2, TV.Broadcast(1.0 / 3));
        TV l = TV.Fma(TV.Mul(s, s2), q, s);
        TV lo = TV.SelectGreaterOrEqual(e, half, TV.Broadcast(Ln2Lo), zero);
        TV hi = TV.SelectGreaterOrEqual(e, half, TV.Broadcast(Ln2Hi), zero);
        return TV.Add(TV.Add(l, lo), hi);
    }

    /// <summary>The scalar lane of <see cref="Log1pOfUnit{TV}"/>.</summary>
    public static double Log1pOfUnit(double e) => Log1pOfUnit(new DScalar(e))._v;
}
