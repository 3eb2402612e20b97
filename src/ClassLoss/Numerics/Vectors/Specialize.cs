using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClassLoss.Numerics;

/// <summary>A kernel body compiled once per vector width and up to three compile-time switches (see <see cref="Specialize"/>).</summary>
internal interface ISpecialized
{
    /// <summary>Runs block <paramref name="block"/> of the kernel with width <typeparamref name="TV"/> and switches
    /// <typeparamref name="TA"/>, <typeparamref name="TB"/>, <typeparamref name="TC"/> (unused ones are <see cref="No"/>);
    /// returns the block's sum.</summary>
    double Run<TV, TA, TB, TC>(int block)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;
}

/// <summary>A double kernel body compiled once per double vector width and up to two compile-time switches (see
/// <see cref="Specialize.RunDouble{TJob}"/>).</summary>
internal interface IDoubleSpecialized
{
    /// <summary>Runs block <paramref name="block"/> of the kernel with width <typeparamref name="TV"/> and switches
    /// <typeparamref name="TA"/>, <typeparamref name="TB"/> (unused ones are <see cref="No"/>); returns the block's sum.</summary>
    double Run<TV, TA, TB>(int block) where TV : struct, IVec<TV, double> where TA : struct, IConst where TB : struct, IConst;
}

/// <summary>
/// The one place where run-time facts become compile-time types: the vector width and a kernel's switches. A kernel
/// calls <see cref="Run{TJob}"/> once per block; everything below runs specialised (the JIT folds
/// <c>IsHardwareAccelerated</c>, so the ladder costs a compare or two per block, not per element).
/// </summary>
/// <remarks>
/// <para>The width rule: the widest vector the hardware accelerates whose lanes fit in <c>lanes</c> (a row's K for
/// row passes; <see cref="AnyLength"/> for kernels that put rows or elements in lanes), else <see cref="VScalar"/> —
/// which is also what runs with <c>DOTNET_EnableHWIntrinsic=0</c>.</para>
/// <para>Switch values: 0 → <see cref="No"/>, 1 → <see cref="Yes"/>, 2 → <see cref="C2"/>, 3 → <see cref="C3"/>.</para>
/// </remarks>
internal static class Specialize
{
    /// <summary>Lane count meaning "any length": the widest accelerated width.</summary>
    public const int AnyLength = int.MaxValue;

    /// <summary>Runs <c>job.Run&lt;TV, TA, TB, TC&gt;(block)</c> for the width rule and the switch values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Run<TJob>(in TJob job, int block, int lanes, int a = 0, int b = 0, int c = 0) where TJob : struct, ISpecialized
    {
        if (Vector512.IsHardwareAccelerated && lanes >= Vector512<float>.Count)
        {
            return A<TJob, V512>(job, block, a, b, c);
        }

        if (Vector256.IsHardwareAccelerated && lanes >= Vector256<float>.Count)
        {
            return A<TJob, V256>(job, block, a, b, c);
        }

        if (Vector128.IsHardwareAccelerated && lanes >= Vector128<float>.Count)
        {
            return A<TJob, V128>(job, block, a, b, c);
        }

        return A<TJob, VScalar>(job, block, a, b, c);
    }

    /// <summary>
    /// The double kernels' twin of <see cref="Run{TJob}"/>: <c>job.Run&lt;TV, TA, TB&gt;(block)</c> with the widest
    /// double vector (<see cref="D512"/>, <see cref="D256"/>, <see cref="D128"/>) the hardware accelerates whose lanes
    /// fit in <paramref name="lanes"/>, else <see cref="DScalar"/>; switch values as for <see cref="Run{TJob}"/> (0 or 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double RunDouble<TJob>(in TJob job, int block, int lanes, int a = 0, int b = 0) where TJob : struct, IDoubleSpecialized
    {
        if (Vector512.IsHardwareAccelerated && lanes >= Vector512<double>.Count)
        {
            return DoubleA<TJob, D512>(job, block, a, b);
        }

        if (Vector256.IsHardwareAccelerated && lanes >= Vector256<double>.Count)
        {
            return DoubleA<TJob, D256>(job, block, a, b);
        }

        if (Vector128.IsHardwareAccelerated && lanes >= Vector128<double>.Count)
        {
            return DoubleA<TJob, D128>(job, block, a, b);
        }

        return DoubleA<TJob, DScalar>(job, block, a, b);
    }

    private static double DoubleA<TJob, TV>(in TJob job, int block, int a, int b)
        where TJob : struct, IDoubleSpecialized where TV : struct, IVec<TV, double> =>
        a == 0 ? DoubleB<TJob, TV, No>(job, block, b) : DoubleB<TJob, TV, Yes>(job, block, b);

    private static double DoubleB<TJob, TV, TA>(in TJob job, int block, int b)
        where TJob : struct, IDoubleSpecialized where TV : struct, IVec<TV, double> where TA : struct, IConst =>
        b == 0 ? job.Run<TV, TA, No>(block) : job.Run<TV, TA, Yes>(block);

    /// <summary>True when <see cref="Run{TJob}"/> picks a vector (not <see cref="VScalar"/>) for <see cref="AnyLength"/>.</summary>
    public static bool HasVectors => Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated || Vector128.IsHardwareAccelerated;

    private static double A<TJob, TV>(in TJob job, int block, int a, int b, int c)
        where TJob : struct, ISpecialized where TV : struct, IVec<TV, float>
    {
        switch (a)
        {
            case 0: return B<TJob, TV, No>(job, block, b, c);
            case 1: return B<TJob, TV, Yes>(job, block, b, c);
            case 2: return B<TJob, TV, C2>(job, block, b, c);
            default: return B<TJob, TV, C3>(job, block, b, c);
        }
    }

    private static double B<TJob, TV, TA>(in TJob job, int block, int b, int c)
        where TJob : struct, ISpecialized where TV : struct, IVec<TV, float> where TA : struct, IConst
    {
        switch (b)
        {
            case 0: return C<TJob, TV, TA, No>(job, block, c);
            case 1: return C<TJob, TV, TA, Yes>(job, block, c);
            case 2: return C<TJob, TV, TA, C2>(job, block, c);
            default: return C<TJob, TV, TA, C3>(job, block, c);
        }
    }

    private static double C<TJob, TV, TA, TB>(in TJob job, int block, int c)
        where TJob : struct, ISpecialized where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst
    {
        switch (c)
        {
            case 0: return job.Run<TV, TA, TB, No>(block);
            case 1: return job.Run<TV, TA, TB, Yes>(block);
            case 2: return job.Run<TV, TA, TB, C2>(block);
            default: return job.Run<TV, TA, TB, C3>(block);
        }
    }

    /// <summary>A run-time flag as a switch value.</summary>
    public static int Flag(bool on) => on ? 1 : 0;
}
