using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClassLoss.Numerics;

/// <summary>
/// The float SIMD layer the fused kernels share: a vector abstraction implemented once per hardware width
/// (<see cref="V512"/>, <see cref="V256"/>, <see cref="V128"/>) so a kernel is written once as a generic over
/// <see cref="IVec{TV}"/>, and a fast <c>exp</c> with its scalar twin <see cref="ExpScalar"/>.
/// </summary>
/// <remarks>
/// <para><c>exp</c> is Cody–Waite range reduction <c>x = n ln2 + r</c> with Cephes' two-part ln2, a degree-6
/// polynomial for <c>e^r</c> on <c>|r| ≤ ln2/2</c> in six fused multiply-adds (coefficients fitted for the least maximum
/// relative error, 3.9e-9 as float constants, by <c>scripts/fit_exp_poly.py</c>; about 1 ulp after evaluation) and
/// <c>2^n</c> built in the exponent bits (n rounded with the 1.5·2^23 trick, so no float-to-int conversion); inputs
/// below −87.33 (results below float's smallest normal) give 0, so <c>-∞</c> (masked) logits contribute exactly 0.
/// Source of the reduction: Cephes <c>expf.c</c> (S. Moshier).</para>
/// <para>Where AVX-512 is available (V512, and V256 with AVX512VL) the last step is one <c>vscalefps</c> instead:
/// <c>p·2^n</c> with exact overflow, no exponent arithmetic. Inputs below ln(FLT_MIN) still give exactly 0 through a
/// select on the clamped input, so no subnormal is ever formed (Intel cores may take a microcode assist for
/// subnormal results, e.g. one per −∞ masked lane).</para>
/// </remarks>
internal static unsafe class SimdFloat
{
    // Cephes expf's two-part ln 2 for the Cody–Waite reduction.
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    // e^r on |r| ≤ ln2/2 by Horner in 6 FMAs: 1 + r + C2 r^2 + ... + C6 r^6. C2..C6 fitted for the least maximum
    // relative error (Lawson iteration, scripts/fit_exp_poly.py): 3.9e-9 with the coefficients rounded to float, so the
    // result is within about 1 ulp (the evaluation's roundings).
    private const float C2 = 0.4999999403953552f;
    private const float C3 = 0.1666652113199234f;
    private const float C4 = 0.04166838154196739f;
    private const float C5 = 0.00836869701743126f;
    private const float C6 = 0.0013815078418701887f;
    // 1.5 * 2^23: adding it rounds to an integer n held in the low mantissa bits; (bits << 23) + (127 << 23) is 2^n.
    private const float RoundMagic = 12582912f;
    private const float MinArg = -87.33654f; // ln(FLT_MIN): smaller arguments give 0
    private const float MaxArg = 88.37626f;  // 2^n stays a normal number below this
    // The scalef path's upper clamp: exp(100) overflows to +∞ exactly.
    private const float ScaleMaxArg = 100f;

    // Cephes logf: x = 2^e·m with m in [√½, √2), log x = e·ln2 + log m, log(1 + f) = f - f²/2 + f³·P(f).
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

    /// <summary>Scalar twin of the vector exp (same reduction and polynomial), for tails and non-SIMD hardware.</summary>
    internal static float ExpScalar(float x)
    {
        if (x < MinArg)
        {
            return 0f;
        }

        if (x > MaxArg)
        {
            return float.IsNaN(x) ? x : float.PositiveInfinity;
        }

        float n = MathF.Round(x * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(C6, r, C5);
        p = MathF.FusedMultiplyAdd(p, r, C4);
        p = MathF.FusedMultiplyAdd(p, r, C3);
        p = MathF.FusedMultiplyAdd(p, r, C2);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>The vector operations the row passes need, implemented once per hardware width.</summary>
    internal interface IVec<TV> where TV : struct, IVec<TV>
    {
        static abstract int Count { get; }
        static abstract TV Broadcast(float value);
        static abstract TV Load(float* p);
        static abstract void Store(TV v, float* p);
        static abstract TV Add(TV a, TV b);
        static abstract TV Sub(TV a, TV b);
        static abstract TV Mul(TV a, TV b);
        static abstract TV Max(TV a, TV b);
        static abstract float MaxAcross(TV v);
        static abstract float SumAcross(TV v);
        static abstract TV Exp(TV x);
        static abstract TV Fma(TV a, TV b, TV c);
        static abstract TV Div(TV a, TV b);
        static abstract TV Min(TV a, TV b);
        static abstract TV Abs(TV a);
        static abstract TV Neg(TV a);
        /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> ≥ <paramref name="b"/>, else <paramref name="whenFalse"/> (false for NaN).</summary>
        static abstract TV SelectGreaterOrEqual(TV a, TV b, TV whenTrue, TV whenFalse);
        /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="a"/> == <paramref name="b"/>, else <paramref name="whenFalse"/>.</summary>
        static abstract TV SelectEqual(TV a, TV b, TV whenTrue, TV whenFalse);

        // --- added for FusedSigmoidBinaryCrossEntropy ---
        /// <summary>1/a to about 1 ulp: the hardware estimate (14 or 12 bits) refined by one Newton step, or a division
        /// where there is no estimate. For a ≥ 1 (no zero, infinity or denormal handling).</summary>
        static abstract TV ReciprocalOfAtLeastOne(TV a);

        // --- added for the short-row path of FusedSoftmaxCrossEntropy (rows in lanes) ---
        /// <summary>Lane j gets <c>p[j·stride]</c>: one column of a block of rows (a hardware gather where there is one).</summary>
        static abstract TV GatherStrided(float* p, int stride);
        /// <summary>Natural log for positive normal finite lanes (Cephes <c>logf</c>, about 1 ulp); no special cases.</summary>
        static abstract TV LogOfNormal(TV x);
        /// <summary><c>acc[j] += v[j]</c> in double for every lane j (<c>Count</c> doubles at <paramref name="acc"/>).</summary>
        static abstract void AddWidened(TV v, double* acc);

        // --- added for the row tails of FusedSoftmaxCrossEntropy (an overlapping last vector) ---
        /// <summary>Lanes below <paramref name="count"/> set to 0, the others kept.</summary>
        static abstract TV ZeroFirst(TV v, int count);

        // --- added for the fast paths of FusedSigmoidBinaryCrossEntropy and the softmax passes ---
        /// <summary><see cref="Exp"/> for arguments ≤ 0 (or −∞): the same result without the upper clamp.</summary>
        static abstract TV ExpNonPositive(TV x);
        /// <summary><c>-|a|</c> in one instruction (the sign bit set).</summary>
        static abstract TV NegativeAbs(TV a);
        /// <summary>Per lane, the larger bit pattern read as unsigned 32-bit integers (one instruction).</summary>
        static abstract TV MaxAsUInt32(TV a, TV b);
        /// <summary>True when some lane's bit pattern, read as an unsigned 32-bit integer, exceeds <paramref name="limit"/>.</summary>
        static abstract bool AnyAboveAsUInt32(TV v, uint limit);
    }

    internal readonly struct V512 : IVec<V512>
    {
        private readonly Vector512<float> _v;
        private V512(Vector512<float> v) => _v = v;
        public static int Count => Vector512<float>.Count;
        public static V512 Broadcast(float value) => new(Vector512.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, float* p) => v._v.Store(p);
        public static V512 Add(V512 a, V512 b) => new(a._v + b._v);
        public static V512 Sub(V512 a, V512 b) => new(a._v - b._v);
        public static V512 Mul(V512 a, V512 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Fma(V512 a, V512 b, V512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
        public static V512 Div(V512 a, V512 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 ReciprocalOfAtLeastOne(V512 a)
        {
            if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            {
                return new(Vector512<float>.One / a._v);
            }

            var r = System.Runtime.Intrinsics.X86.Avx512F.Reciprocal14(a._v);
            return new(Vector512.FusedMultiplyAdd(r, Vector512.FusedMultiplyAdd(-a._v, r, Vector512<float>.One), r));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 GatherStrided(float* p, int stride)
        {
            // .NET has no 512-bit gather: two 256-bit ones.
            return new(Vector512.Create(V256.GatherStrided(p, stride)._v, V256.GatherStrided(p + 8 * stride, stride)._v));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 LogOfNormal(V512 xv)
        {
            var bits = xv._v.AsInt32();
            // m in [0.5, 1) with the exponent e; then m in [√½, √2) by moving one factor 2 between them.
            var e = Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(126));
            var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle();
            var small = Vector512.LessThan(m, Vector512.Create(SqrtHalf));
            e -= Vector512.ConditionalSelect(small, Vector512<float>.One, Vector512<float>.Zero);
            var f = m + Vector512.ConditionalSelect(small, m, Vector512<float>.Zero) - Vector512<float>.One;
            var z = f * f;
            var y = Vector512.FusedMultiplyAdd(Vector512.Create(L0), f, Vector512.Create(L1));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L2));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L3));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L4));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L5));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L6));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L7));
            y = Vector512.FusedMultiplyAdd(y, f, Vector512.Create(L8));
            y = y * f * z;
            y = Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Lo), y);
            y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
            return new(Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Hi), f + y));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void AddWidened(V512 v, double* acc)
        {
            (Vector512.Load(acc) + Vector512.WidenLower(v._v)).Store(acc);
            (Vector512.Load(acc + 8) + Vector512.WidenUpper(v._v)).Store(acc + 8);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 ZeroFirst(V512 v, int count) =>
            new(Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(), Vector512<float>.Zero, v._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 MaxAsUInt32(V512 a, V512 b) => new(Vector512.Max(a._v.AsUInt32(), b._v.AsUInt32()).AsSingle());
        public static bool AnyAboveAsUInt32(V512 v, uint limit) => Vector512.GreaterThanAny(v._v.AsUInt32(), Vector512.Create(limit));
        public static V512 Min(V512 a, V512 b) => new(Vector512.Min(a._v, b._v));
        public static V512 Abs(V512 a) => new(Vector512.Abs(a._v));
        public static V512 Neg(V512 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 SelectGreaterOrEqual(V512 a, V512 b, V512 whenTrue, V512 whenFalse) =>
            new(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 SelectEqual(V512 a, V512 b, V512 whenTrue, V512 whenFalse) =>
            new(Vector512.ConditionalSelect(Vector512.Equals(a._v, b._v), whenTrue._v, whenFalse._v));
        public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a._v, b._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MaxAcross(V512 v) => V256.MaxAcross(new V256(Vector256.Max(v._v.GetLower(), v._v.GetUpper())));
        public static float SumAcross(V512 v) => Vector512.Sum(v._v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 Exp(V512 xv) => ExpCore(xv, clampHigh: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 ExpNonPositive(V512 xv) => ExpCore(xv, clampHigh: false);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 NegativeAbs(V512 a) => new(Vector512.BitwiseOr(a._v, Vector512.Create(-0.0f)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static V512 ExpCore(V512 xv, bool clampHigh)
        {
            var x = xv._v;
            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            {
                // vscalefps forms p·2^n in one instruction, with exact overflow to +∞: no exponent arithmetic.
                // Without the clamps (arguments ≤ 0) an argument below MinArg, -∞ included, may leave garbage or NaN in
                // its lane; the final select replaces it by 0.
                var xs = clampHigh ? Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(MinArg)), Vector512.Create(ScaleMaxArg)) : x;
                var ts = Vector512.FusedMultiplyAdd(xs, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
                var ns = ts - Vector512.Create(RoundMagic);
                var rs = Vector512.FusedMultiplyAdd(ns, Vector512.Create(-Ln2Hi), xs);
                rs = Vector512.FusedMultiplyAdd(ns, Vector512.Create(-Ln2Lo), rs);
                var ps = Vector512.FusedMultiplyAdd(Vector512.Create(C6), rs, Vector512.Create(C5));
                ps = Vector512.FusedMultiplyAdd(ps, rs, Vector512.Create(C4));
                ps = Vector512.FusedMultiplyAdd(ps, rs, Vector512.Create(C3));
                ps = Vector512.FusedMultiplyAdd(ps, rs, Vector512.Create(C2));
                ps = Vector512.FusedMultiplyAdd(ps, rs, Vector512<float>.One);
                ps = Vector512.FusedMultiplyAdd(ps, rs, Vector512<float>.One);
                // below ln(FLT_MIN) the result is 0 (a select, so no subnormal is ever formed: subnormal results
                // may cost a microcode assist each on Intel cores, e.g. for every -inf masked logit)
                return new(Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinArg)), Vector512<float>.Zero, System.Runtime.Intrinsics.X86.Avx512F.Scale(ps, ns)));
            }

            // Without the clamps (arguments ≤ 0) an argument below MinArg, -∞ included, may leave garbage or NaN in
            // its lane; the final select replaces it by 0.
            var xc = clampHigh ? Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(MinArg)), Vector512.Create(MaxArg)) : x;
            var t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
            var n = t - Vector512.Create(RoundMagic);
            var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
            var p = Vector512.FusedMultiplyAdd(Vector512.Create(C6), r, Vector512.Create(C5));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C4));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C3));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C2));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
            p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
            var pow = (Vector512.ShiftLeft(t.AsInt32(), 23) + Vector512.Create(127 << 23)).AsSingle();
            var result = p * pow;
            return new(Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinArg)), Vector512<float>.Zero, result));
        }
    }

    internal readonly struct V256 : IVec<V256>
    {
        internal readonly Vector256<float> _v;
        internal V256(Vector256<float> v) => _v = v;
        public static int Count => Vector256<float>.Count;
        public static V256 Broadcast(float value) => new(Vector256.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, float* p) => v._v.Store(p);
        public static V256 Add(V256 a, V256 b) => new(a._v + b._v);
        public static V256 Sub(V256 a, V256 b) => new(a._v - b._v);
        public static V256 Mul(V256 a, V256 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Fma(V256 a, V256 b, V256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
        public static V256 Div(V256 a, V256 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 ReciprocalOfAtLeastOne(V256 a)
        {
            if (!System.Runtime.Intrinsics.X86.Avx.IsSupported)
            {
                return new(Vector256<float>.One / a._v);
            }

            var r = System.Runtime.Intrinsics.X86.Avx.Reciprocal(a._v);
            return new(Vector256.FusedMultiplyAdd(r, Vector256.FusedMultiplyAdd(-a._v, r, Vector256<float>.One), r));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 GatherStrided(float* p, int stride)
        {
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            {
                return new(System.Runtime.Intrinsics.X86.Avx2.GatherVector256(p, Vector256<int>.Indices * stride, 4));
            }

            return new(Vector256.Create(V128.GatherStrided(p, stride)._v, V128.GatherStrided(p + 4 * stride, stride)._v));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 LogOfNormal(V256 xv)
        {
            var bits = xv._v.AsInt32();
            // m in [0.5, 1) with the exponent e; then m in [√½, √2) by moving one factor 2 between them.
            var e = Vector256.ConvertToSingle(Vector256.ShiftRightArithmetic(bits, 23) - Vector256.Create(126));
            var m = ((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle();
            var small = Vector256.LessThan(m, Vector256.Create(SqrtHalf));
            e -= Vector256.ConditionalSelect(small, Vector256<float>.One, Vector256<float>.Zero);
            var f = m + Vector256.ConditionalSelect(small, m, Vector256<float>.Zero) - Vector256<float>.One;
            var z = f * f;
            var y = Vector256.FusedMultiplyAdd(Vector256.Create(L0), f, Vector256.Create(L1));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L2));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L3));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L4));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L5));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L6));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L7));
            y = Vector256.FusedMultiplyAdd(y, f, Vector256.Create(L8));
            y = y * f * z;
            y = Vector256.FusedMultiplyAdd(e, Vector256.Create(Ln2Lo), y);
            y = Vector256.FusedMultiplyAdd(z, Vector256.Create(-0.5f), y);
            return new(Vector256.FusedMultiplyAdd(e, Vector256.Create(Ln2Hi), f + y));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void AddWidened(V256 v, double* acc)
        {
            (Vector256.Load(acc) + Vector256.WidenLower(v._v)).Store(acc);
            (Vector256.Load(acc + 4) + Vector256.WidenUpper(v._v)).Store(acc + 4);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 ZeroFirst(V256 v, int count) =>
            new(Vector256.ConditionalSelect(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle(), Vector256<float>.Zero, v._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 MaxAsUInt32(V256 a, V256 b) => new(Vector256.Max(a._v.AsUInt32(), b._v.AsUInt32()).AsSingle());
        public static bool AnyAboveAsUInt32(V256 v, uint limit) => Vector256.GreaterThanAny(v._v.AsUInt32(), Vector256.Create(limit));
        public static V256 Min(V256 a, V256 b) => new(Vector256.Min(a._v, b._v));
        public static V256 Abs(V256 a) => new(Vector256.Abs(a._v));
        public static V256 Neg(V256 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 SelectGreaterOrEqual(V256 a, V256 b, V256 whenTrue, V256 whenFalse) =>
            new(Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 SelectEqual(V256 a, V256 b, V256 whenTrue, V256 whenFalse) =>
            new(Vector256.ConditionalSelect(Vector256.Equals(a._v, b._v), whenTrue._v, whenFalse._v));
        public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a._v, b._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MaxAcross(V256 v) => V128.MaxAcross(new V128(Vector128.Max(v._v.GetLower(), v._v.GetUpper())));
        public static float SumAcross(V256 v) => Vector256.Sum(v._v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 Exp(V256 xv) => ExpCore(xv, clampHigh: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 ExpNonPositive(V256 xv) => ExpCore(xv, clampHigh: false);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 NegativeAbs(V256 a) => new(Vector256.BitwiseOr(a._v, Vector256.Create(-0.0f)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static V256 ExpCore(V256 xv, bool clampHigh)
        {
            var x = xv._v;
            if (System.Runtime.Intrinsics.X86.Avx512F.VL.IsSupported)
            {
                // vscalefps forms p·2^n in one instruction, with exact overflow to +∞: no exponent arithmetic.
                // Without the clamps (arguments ≤ 0) an argument below MinArg, -∞ included, may leave garbage or NaN in
                // its lane; the final select replaces it by 0.
                var xs = clampHigh ? Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(MinArg)), Vector256.Create(ScaleMaxArg)) : x;
                var ts = Vector256.FusedMultiplyAdd(xs, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
                var ns = ts - Vector256.Create(RoundMagic);
                var rs = Vector256.FusedMultiplyAdd(ns, Vector256.Create(-Ln2Hi), xs);
                rs = Vector256.FusedMultiplyAdd(ns, Vector256.Create(-Ln2Lo), rs);
                var ps = Vector256.FusedMultiplyAdd(Vector256.Create(C6), rs, Vector256.Create(C5));
                ps = Vector256.FusedMultiplyAdd(ps, rs, Vector256.Create(C4));
                ps = Vector256.FusedMultiplyAdd(ps, rs, Vector256.Create(C3));
                ps = Vector256.FusedMultiplyAdd(ps, rs, Vector256.Create(C2));
                ps = Vector256.FusedMultiplyAdd(ps, rs, Vector256<float>.One);
                ps = Vector256.FusedMultiplyAdd(ps, rs, Vector256<float>.One);
                // below ln(FLT_MIN) the result is 0 (a select, so no subnormal is ever formed: subnormal results
                // may cost a microcode assist each on Intel cores, e.g. for every -inf masked logit)
                return new(Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinArg)), Vector256<float>.Zero, System.Runtime.Intrinsics.X86.Avx512F.VL.Scale(ps, ns)));
            }

            // Without the clamps (arguments ≤ 0) an argument below MinArg, -∞ included, may leave garbage or NaN in
            // its lane; the final select replaces it by 0.
            var xc = clampHigh ? Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(MinArg)), Vector256.Create(MaxArg)) : x;
            var t = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
            var n = t - Vector256.Create(RoundMagic);
            var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
            r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
            var p = Vector256.FusedMultiplyAdd(Vector256.Create(C6), r, Vector256.Create(C5));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C4));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C3));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C2));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
            p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
            var pow = (Vector256.ShiftLeft(t.AsInt32(), 23) + Vector256.Create(127 << 23)).AsSingle();
            var result = p * pow;
            return new(Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinArg)), Vector256<float>.Zero, result));
        }
    }

    internal readonly struct V128 : IVec<V128>
    {
        internal readonly Vector128<float> _v;
        internal V128(Vector128<float> v) => _v = v;
        public static int Count => Vector128<float>.Count;
        public static V128 Broadcast(float value) => new(Vector128.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Load(float* p) => new(Vector128.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V128 v, float* p) => v._v.Store(p);
        public static V128 Add(V128 a, V128 b) => new(a._v + b._v);
        public static V128 Sub(V128 a, V128 b) => new(a._v - b._v);
        public static V128 Mul(V128 a, V128 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Fma(V128 a, V128 b, V128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
        public static V128 Div(V128 a, V128 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 ReciprocalOfAtLeastOne(V128 a)
        {
            if (!System.Runtime.Intrinsics.X86.Sse.IsSupported)
            {
                return new(Vector128<float>.One / a._v);
            }

            var r = System.Runtime.Intrinsics.X86.Sse.Reciprocal(a._v);
            return new(Vector128.FusedMultiplyAdd(r, Vector128.FusedMultiplyAdd(-a._v, r, Vector128<float>.One), r));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 GatherStrided(float* p, int stride)
        {
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            {
                return new(System.Runtime.Intrinsics.X86.Avx2.GatherVector128(p, Vector128<int>.Indices * stride, 4));
            }

            return new(Vector128.Create(p[0], p[stride], p[2 * stride], p[3 * stride]));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 LogOfNormal(V128 xv)
        {
            var bits = xv._v.AsInt32();
            // m in [0.5, 1) with the exponent e; then m in [√½, √2) by moving one factor 2 between them.
            var e = Vector128.ConvertToSingle(Vector128.ShiftRightArithmetic(bits, 23) - Vector128.Create(126));
            var m = ((bits & Vector128.Create(0x007FFFFF)) | Vector128.Create(0x3F000000)).AsSingle();
            var small = Vector128.LessThan(m, Vector128.Create(SqrtHalf));
            e -= Vector128.ConditionalSelect(small, Vector128<float>.One, Vector128<float>.Zero);
            var f = m + Vector128.ConditionalSelect(small, m, Vector128<float>.Zero) - Vector128<float>.One;
            var z = f * f;
            var y = Vector128.FusedMultiplyAdd(Vector128.Create(L0), f, Vector128.Create(L1));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L2));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L3));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L4));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L5));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L6));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L7));
            y = Vector128.FusedMultiplyAdd(y, f, Vector128.Create(L8));
            y = y * f * z;
            y = Vector128.FusedMultiplyAdd(e, Vector128.Create(Ln2Lo), y);
            y = Vector128.FusedMultiplyAdd(z, Vector128.Create(-0.5f), y);
            return new(Vector128.FusedMultiplyAdd(e, Vector128.Create(Ln2Hi), f + y));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void AddWidened(V128 v, double* acc)
        {
            (Vector128.Load(acc) + Vector128.WidenLower(v._v)).Store(acc);
            (Vector128.Load(acc + 2) + Vector128.WidenUpper(v._v)).Store(acc + 2);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 ZeroFirst(V128 v, int count) =>
            new(Vector128.ConditionalSelect(Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle(), Vector128<float>.Zero, v._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 MaxAsUInt32(V128 a, V128 b) => new(Vector128.Max(a._v.AsUInt32(), b._v.AsUInt32()).AsSingle());
        public static bool AnyAboveAsUInt32(V128 v, uint limit) => Vector128.GreaterThanAny(v._v.AsUInt32(), Vector128.Create(limit));
        public static V128 Min(V128 a, V128 b) => new(Vector128.Min(a._v, b._v));
        public static V128 Abs(V128 a) => new(Vector128.Abs(a._v));
        public static V128 Neg(V128 a) => new(-a._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 SelectGreaterOrEqual(V128 a, V128 b, V128 whenTrue, V128 whenFalse) =>
            new(Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 SelectEqual(V128 a, V128 b, V128 whenTrue, V128 whenFalse) =>
            new(Vector128.ConditionalSelect(Vector128.Equals(a._v, b._v), whenTrue._v, whenFalse._v));
        public static V128 Max(V128 a, V128 b) => new(Vector128.Max(a._v, b._v));

        /// <summary>The largest lane by halving with vector max (IEEE maximum: a NaN lane gives NaN).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MaxAcross(V128 v)
        {
            var m = Vector128.Max(v._v, Vector128.Shuffle(v._v, Vector128.Create(2, 3, 0, 1)));
            m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
            return m.ToScalar();
        }

        public static float SumAcross(V128 v) => Vector128.Sum(v._v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 Exp(V128 xv) => ExpCore(xv, clampHigh: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 ExpNonPositive(V128 xv) => ExpCore(xv, clampHigh: false);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 NegativeAbs(V128 a) => new(Vector128.BitwiseOr(a._v, Vector128.Create(-0.0f)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static V128 ExpCore(V128 xv, bool clampHigh)
        {
            var x = xv._v;
            // Without the clamps (arguments ≤ 0) an argument below MinArg, -∞ included, may leave garbage or NaN in
            // its lane; the final select replaces it by 0.
            var xc = clampHigh ? Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(MinArg)), Vector128.Create(MaxArg)) : x;
            var t = Vector128.FusedMultiplyAdd(xc, Vector128.Create(Log2E), Vector128.Create(RoundMagic));
            var n = t - Vector128.Create(RoundMagic);
            var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Hi), xc);
            r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Lo), r);
            var p = Vector128.FusedMultiplyAdd(Vector128.Create(C6), r, Vector128.Create(C5));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C4));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C3));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(C2));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128<float>.One);
            p = Vector128.FusedMultiplyAdd(p, r, Vector128<float>.One);
            var pow = (Vector128.ShiftLeft(t.AsInt32(), 23) + Vector128.Create(127 << 23)).AsSingle();
            var result = p * pow;
            return new(Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(MinArg)), Vector128<float>.Zero, result));
        }
    }
}
