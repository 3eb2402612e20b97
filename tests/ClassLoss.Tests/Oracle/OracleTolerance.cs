using System.Numerics;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// Tolerances and conversions shared by the oracle tests of the non-cross-entropy kernels (same values as
/// <see cref="CrossEntropyOracleTests"/>): double within a few ulps (kernels compute in double like torch), float
/// within 1e-5 relative (float32-exact inputs, computed in double, rounded once on output).
/// </summary>
internal static class OracleTolerance
{
    public const double DoubleRelative = 1e-9;
    public const double DoubleAbsolute = 1e-12;
    public const double FloatRelative = 1e-5;
    // Not 1e-30 as for cross-entropy: torch's float64 formulas cancel (σ(x) - y with σ(x) ≈ 1, max(x, 0) - x y +
    // log1p(e^-|x|) at large |x|), so golden entries of size ~1e-16 carry an absolute error of about ulp(1) = 2.2e-16
    // times the weights. Our kernels are exact there; 1e-12 is still 5 orders below float resolution at O(1) values.
    public const double FloatAbsolute = 1e-12;

    public static T[] To<T>(double[] x)
        where T : unmanaged, IFloatingPointIeee754<T> => Array.ConvertAll(x, T.CreateTruncating);

    public static double[] ToDouble<T>(T[] x)
        where T : unmanaged, IFloatingPointIeee754<T> => Array.ConvertAll(x, double.CreateTruncating);
}
