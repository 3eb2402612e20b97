namespace ClassLoss.Numerics;

/// <summary>
/// The float vector primitives every SIMD kernel is written against, implemented once per width:
/// <see cref="V512"/>, <see cref="V256"/>, <see cref="V128"/> and <see cref="VScalar"/> (one lane, for hardware
/// without SIMD and for ranges shorter than the narrowest vector). A kernel is one generic method over
/// <c>TV : IVec&lt;TV&gt;</c>; <see cref="Specialize"/> picks the instantiation at run time, and the JIT compiles each one as
/// if written for its width (every member is a static, inlined call). The functions built from these primitives
/// (exp, log, log1p, reciprocal) are written once, in <see cref="VectorMath"/>.
/// </summary>
/// <remarks>
/// Semantics are per lane and the same at every width: <see cref="Max"/> and <see cref="Min"/> propagate NaN
/// (IEEE <c>maximum</c>/<c>minimum</c>, as <see cref="Math.Max(float, float)"/>); a comparison with NaN is false.
/// </remarks>
internal unsafe interface IVec<TV> where TV : struct, IVec<TV>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    // ---- memory and lanes ----

    /// <summary>Every lane = <paramref name="value"/>.</summary>
    static abstract TV Broadcast(float value);

    /// <summary><c>Count</c> floats from <paramref name="p"/> (any alignment).</summary>
    static abstract TV Load(float* p);

    /// <summary>Stores the lanes at <paramref name="p"/> (any alignment).</summary>
    static abstract void Store(TV v, float* p);

    /// <summary>Lane j gets <c>p[j·stride]</c>: one column of a block of rows (a hardware gather where there is one).</summary>
    static abstract TV GatherStrided(float* p, int stride);

    /// <summary><c>acc[j] += v[j]</c> in double for every lane j (<c>Count</c> doubles at <paramref name="acc"/>).</summary>
    static abstract void AddWidened(TV v, double* acc);

    /// <summary>The largest lane (NaN if any lane is NaN).</summary>
    static abstract float MaxAcross(TV v);

    /// <summary>The sum of the lanes.</summary>
    static abstract float SumAcross(TV v);

    // ---- arithmetic ----

    /// <summary><c>a + b</c>.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary><c>a - b</c>.</summary>
    static abstract TV Sub(TV a, TV b);

    /// <summary><c>a · b</c>.</summary>
    static abstract TV Mul(TV a, TV b);

    /// <summary><c>a / b</c>.</summary>
    static abstract TV Div(TV a, TV b);

    /// <summary><c>a · b + c</c> rounded once (IEEE fused multiply-add).</summary>
    static abstract TV Fma(TV a, TV b, TV c);

    /// <summary><c>-a</c>.</summary>
    static abstract TV Neg(TV a);

    /// <summary>The smaller of <paramref name="a"/> and <paramref name="b"/> (NaN propagates).</summary>
    static abstract TV Min(TV a, TV b);

    /// <summary>The larger of <paramref name="a"/> and <paramref name="b"/> (NaN propagates).</summary>
    static abstract TV Max(TV a, TV b);

    // ---- comparison and selection ----

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> ≥ <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
    static abstract TV SelectGreaterOrEqual(TV a, TV b, TV whenTrue, TV whenFalse);

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> &lt; <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
    static abstract TV SelectLess(TV a, TV b, TV whenTrue, TV whenFalse);

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> == <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
    static abstract TV SelectEqual(TV a, TV b, TV whenTrue, TV whenFalse);

    /// <summary>Lanes below <paramref name="count"/> set to 0, the others kept (the overlap of a row's last vector).</summary>
    static abstract TV ZeroFirst(TV v, int count);

    // ---- bit-level steps of the elementary functions and checks ----

    /// <summary><c>-|a|</c> in one instruction (the sign bit set).</summary>
    static abstract TV NegativeAbs(TV a);

    /// <summary>Per lane, the larger bit pattern read as unsigned 32-bit integers.</summary>
    static abstract TV MaxAsUInt32(TV a, TV b);

    /// <summary>True when some lane's bit pattern, read as an unsigned 32-bit integer, exceeds <paramref name="limit"/>.</summary>
    static abstract bool AnyAboveAsUInt32(TV v, uint limit);

    /// <summary>
    /// <c>p · 2^n</c> for the integer-valued <paramref name="n"/> that <paramref name="t"/> = <c>n + 1.5·2^23</c>
    /// holds in its low mantissa bits (exp's range reduction): one <c>vscalefps</c> where AVX-512 has it (exact
    /// overflow), otherwise <c>2^n</c> built in the exponent bits of <paramref name="t"/> (valid for n in [-126, 127]).
    /// </summary>
    static abstract TV MulByPowerOfTwo(TV p, TV n, TV t);

    /// <summary>For a positive normal <paramref name="x"/>: the mantissa m in [0.5, 1) with x = m·2^e, and e as a float.</summary>
    static abstract TV Mantissa(TV x, out TV exponent);

    /// <summary>True when <see cref="ReciprocalEstimate"/> is a hardware estimate (to be refined), false when it is a division.</summary>
    static abstract bool HasReciprocalEstimate { get; }

    /// <summary>About 1/a: the hardware estimate (12 or 14 bits) where there is one, else the correctly rounded quotient.</summary>
    static abstract TV ReciprocalEstimate(TV a);
}
