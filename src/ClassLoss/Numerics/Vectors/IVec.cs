namespace ClassLoss.Numerics;

/// <summary>
/// The vector primitives every SIMD kernel is written against, for float and double lanes alike: one struct per width
/// and lane type, <see cref="V512"/>, <see cref="V256"/>, <see cref="V128"/>, <see cref="VScalar"/> (float) and
/// <see cref="D512"/>, <see cref="D256"/>, <see cref="D128"/>, <see cref="DScalar"/> (double); the scalar ones have one
/// lane, for hardware without SIMD and for ranges shorter than the narrowest vector. A kernel is one generic method over
/// <c>TV : IVec&lt;TV, float&gt;</c> (or <c>double</c>); <see cref="Specialize"/> picks the instantiation at run time,
/// and the JIT compiles each one as if written for its width (every member is a static, inlined call).
/// The float and double structs are separate, not one generic struct per width with the lane type's branches folded
/// (tried: the branches' dead arms still count, in IL bytes and temporaries, against the JIT's inlining budget and its
/// tracked-locals limit, so the longest row passes stopped inlining their last vector operations and kept accumulators
/// in memory: CE with probability targets 1.4-1.6x and softmax focal with probability targets 1.5-1.6x slower in the
/// before/after probe; the stack frame of the CE exp pass grew from 88 to 920 bytes).
/// The functions built from these primitives are written once per element type: <see cref="VectorMath"/> (float) and
/// <see cref="VectorMathD"/> (double).
/// </summary>
/// <remarks>
/// Semantics are per lane and the same at every width: <see cref="Max"/> and <see cref="Min"/> propagate NaN
/// (IEEE <c>maximum</c>/<c>minimum</c>, as <see cref="Math.Max(float, float)"/>); a comparison with NaN is false;
/// <see cref="Fma"/> is one rounding.
/// </remarks>
/// <typeparam name="TV">The implementing width.</typeparam>
/// <typeparam name="T">The lane type: <see cref="float"/> or <see cref="double"/>.</typeparam>
internal unsafe interface IVec<TV, T> where TV : struct, IVec<TV, T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    // ---- memory and lanes ----

    /// <summary>Every lane = <paramref name="value"/>.</summary>
    static abstract TV Broadcast(T value);

    /// <summary><c>Count</c> lanes from <paramref name="p"/> (any alignment).</summary>
    static abstract TV Load(T* p);

    /// <summary>Stores the lanes at <paramref name="p"/> (any alignment).</summary>
    static abstract void Store(TV v, T* p);

    /// <summary>Lane j gets <c>p[j·stride]</c>: one column of a block of rows (a hardware gather where there is one).</summary>
    static abstract TV GatherStrided(T* p, int stride);

    /// <summary><c>acc[j] += v[j]</c> in double for every lane j (<c>Count</c> doubles at <paramref name="acc"/>).</summary>
    static abstract void AddWidened(TV v, double* acc);

    /// <summary>The largest lane (NaN if any lane is NaN).</summary>
    static abstract T MaxAcross(TV v);

    /// <summary>The sum of the lanes, in a fixed order.</summary>
    static abstract T SumAcross(TV v);

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

    /// <summary>Per lane, the larger bit pattern read as an unsigned integer of the lane's width.</summary>
    static abstract TV MaxBits(TV a, TV b);

    /// <summary>True when some lane's bit pattern, read as an unsigned integer of the lane's width, exceeds
    /// <paramref name="limit"/>.</summary>
    static abstract bool AnyBitsAbove(TV v, ulong limit);

    /// <summary>True when some lane is NaN or ±∞.</summary>
    static abstract bool AnyNonFinite(TV v);

    /// <summary>
    /// <c>p · 2^n</c> for integer-valued <paramref name="n"/> (exp's range reduction), where <paramref name="t"/> holds
    /// n in its low mantissa bits (<c>t = n + 1.5·2^23</c> for float lanes; double lanes ignore it). One
    /// <c>vscalefps</c>/<c>vscalefpd</c> where AVX-512 has it (exact, overflow and subnormals included). Otherwise float
    /// lanes build <c>2^n</c> in the exponent bits of t (valid for n in [-126, 127]) and double lanes take two products
    /// by powers of two built in the exponent bits, <c>2^max(n, -1022)</c> (exact) then <c>2^(n - max(n, -1022))</c>
    /// (1 unless the result is subnormal), for n in [-1076, 1023]: the correctly rounded product, so every width gives
    /// the same bits.
    /// </summary>
    static abstract TV MulByPowerOfTwo(TV p, TV n, TV t);

    /// <summary>For a positive normal <paramref name="x"/>: the mantissa m in [0.5, 1) with x = m·2^e, and e as a lane value.</summary>
    static abstract TV Mantissa(TV x, out TV exponent);

    /// <summary>True when <see cref="ReciprocalEstimate"/> is a hardware estimate (to be refined), false when it is a
    /// division (always for double lanes: one refinement of a 14-bit estimate would not reach double precision).</summary>
    static abstract bool HasReciprocalEstimate { get; }

    /// <summary>About 1/a: the hardware estimate (12 or 14 bits) where there is one, else the correctly rounded quotient.</summary>
    static abstract TV ReciprocalEstimate(TV a);
}
