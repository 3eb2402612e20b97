namespace ClassLoss.Numerics;

/// <summary>
/// The double-lane twin of <see cref="IVec{TV}"/>: the primitives the double SIMD kernels are written against,
/// implemented once per width (<see cref="D512"/>, <see cref="D256"/>, <see cref="D128"/>, and <see cref="DScalar"/>,
/// one lane, for hardware without SIMD and for rows shorter than the narrowest vector). The functions built from them
/// (exp, log1p) are written once, in <see cref="VectorMathD"/>; <see cref="Specialize.RunDouble{TJob}"/> picks the width.
/// </summary>
/// <remarks>Semantics are per lane and the same at every width (so the scalar lane computes what each vector lane
/// does): <see cref="Max"/> propagates NaN (IEEE <c>maximum</c>, as <see cref="Math.Max(double, double)"/>); a comparison
/// with NaN is false; <see cref="Fma"/> is one rounding.</remarks>
internal unsafe interface IVecD<TV> where TV : struct, IVecD<TV>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane = <paramref name="value"/>.</summary>
    static abstract TV Broadcast(double value);

    /// <summary><c>Count</c> doubles from <paramref name="p"/> (any alignment).</summary>
    static abstract TV Load(double* p);

    /// <summary>Stores the lanes at <paramref name="p"/> (any alignment).</summary>
    static abstract void Store(TV v, double* p);

    /// <summary>The largest lane (NaN if any lane is NaN).</summary>
    static abstract double MaxAcross(TV v);

    /// <summary>The sum of the lanes, in a fixed order.</summary>
    static abstract double SumAcross(TV v);

    /// <summary><c>a + b</c>.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary><c>a - b</c>.</summary>
    static abstract TV Sub(TV a, TV b);

    /// <summary><c>a · b</c>.</summary>
    static abstract TV Mul(TV a, TV b);

    /// <summary><c>a / b</c>.</summary>
    static abstract TV Div(TV a, TV b);

    /// <summary><c>a · b + c</c> rounded once.</summary>
    static abstract TV Fma(TV a, TV b, TV c);

    /// <summary>The larger of <paramref name="a"/> and <paramref name="b"/> (NaN propagates).</summary>
    static abstract TV Max(TV a, TV b);

    /// <summary><c>-|a|</c> (the sign bit set).</summary>
    static abstract TV NegativeAbs(TV a);

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> &lt; <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
    static abstract TV SelectLess(TV a, TV b, TV whenTrue, TV whenFalse);

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> ≥ <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
    static abstract TV SelectGreaterOrEqual(TV a, TV b, TV whenTrue, TV whenFalse);

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> == <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
    static abstract TV SelectEqual(TV a, TV b, TV whenTrue, TV whenFalse);

    /// <summary>Lanes below <paramref name="count"/> set to 0, the others kept (the overlap of a row's last vector).</summary>
    static abstract TV ZeroFirst(TV v, int count);

    /// <summary>True when some lane is NaN or ±∞.</summary>
    static abstract bool AnyNonFinite(TV v);

    /// <summary>
    /// <c>p · 2^n</c>, rounded once, for integer-valued <paramref name="n"/> in [-1076, 1023] (exp's range reduction):
    /// one <c>vscalefpd</c> where AVX-512 has it, otherwise two products by powers of two built in the exponent bits,
    /// <c>2^max(n, -1022)</c> (exact) then <c>2^(n - max(n, -1022))</c> (1 unless the result is subnormal). Both are
    /// the correctly rounded product, so every width gives the same bits.
    /// </summary>
    static abstract TV MulByPowerOfTwo(TV p, TV n);
}
