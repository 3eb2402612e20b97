using System.Runtime.Intrinsics;
using ClassLoss.Numerics;

namespace ClassLoss.Tests.Numerics;

/// <summary>The double SIMD kernels' exp and log1p (<see cref="VectorMathD"/>) against <see cref="Math.Exp"/> and
/// <see cref="StableMath.Log1p"/>, at every width the hardware has, subnormal results included.</summary>
public unsafe class DoubleSimdMathTests
{
    private static double[] ExpArguments()
    {
        var rng = new Random(11);
        var x = new List<double> { 0, -0.0, -1e-300, -5e-324, -1e-17, -0.5 * Math.Log(2), -Math.Log(2), -1, -10, -700, -708.39, -708.4, -709,
            -740, -744.4, -745.13, -745.14, -745.2, -746, -1e4, double.NegativeInfinity, double.NaN };
        for (int i = 0; i < 20000; i++)
        {
            x.Add(-rng.NextDouble() * (i % 3 == 0 ? 1 : i % 3 == 1 ? 50 : 746));
        }

        return [.. x];
    }

    private static void Map<TV>(double[] x, double[] y, bool exp) where TV : struct, IVec<TV, double>
    {
        fixed (double* px = x, py = y)
        {
            int i = 0;
            for (; i <= x.Length - TV.Count; i += TV.Count)
            {
                TV v = TV.Load(px + i);
                TV.Store(exp ? VectorMathD.ExpOfNonPositive(v) : VectorMathD.Log1pOfUnit(v), py + i);
            }

            for (; i < x.Length; i++)
            {
                py[i] = exp ? VectorMathD.ExpOfNonPositive(x[i]) : VectorMathD.Log1pOfUnit(x[i]);
            }
        }
    }

    private static IEnumerable<(string Name, Action<double[], double[], bool> Run)> Widths()
    {
        yield return ("scalar", Map<DScalar>);
        if (Vector128.IsHardwareAccelerated)
        {
            yield return ("128", Map<D128>);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            yield return ("256", Map<D256>);
        }

        if (Vector512.IsHardwareAccelerated)
        {
            yield return ("512", Map<D512>);
        }
    }

    [Fact]
    public void Exp_IsWithinTwoUlpsOfMathExp_SubnormalsIncluded_AtEveryWidth()
    {
        double[] x = ExpArguments();
        var scalar = new double[x.Length];
        Map<DScalar>(x, scalar, exp: true);
        foreach (var (name, run) in Widths())
        {
            var y = new double[x.Length];
            run(x, y, true);
            for (int i = 0; i < x.Length; i++)
            {
                double want = Math.Exp(x[i]);
                Assert.True(BitConverter.DoubleToInt64Bits(y[i]) == BitConverter.DoubleToInt64Bits(scalar[i]), $"{name}: lane differs from the scalar lane at {x[i]:R}");
                if (double.IsNaN(want))
                {
                    Assert.True(double.IsNaN(y[i]));
                    continue;
                }

                // Within 2 ulps of the result, or of the smallest subnormal where the result is subnormal.
                double tolerance = Math.Max(2 * Math.BitIncrement(want) - 2 * want, 2 * double.Epsilon);
                Assert.True(Math.Abs(y[i] - want) <= tolerance, $"{name}: exp({x[i]:R}) = {y[i]:R}, Math.Exp {want:R}");
            }
        }
    }

    [Fact]
    public void Log1pOfUnit_IsWithinTwoUlpsOfStableLog1p_AtEveryWidth()
    {
        var rng = new Random(12);
        var e = new List<double> { 0, 5e-324, 1e-300, 1e-17, 1e-8, 0.25, 0.4999999999999999, 0.5, 0.5000000000000001, 0.75, 0.9999999999999999, 1 };
        for (int i = 0; i < 20000; i++)
        {
            e.Add(i % 2 == 0 ? rng.NextDouble() : Math.Exp(-rng.NextDouble() * 700));
        }

        double[] x = [.. e];
        foreach (var (name, run) in Widths())
        {
            var y = new double[x.Length];
            run(x, y, false);
            for (int i = 0; i < x.Length; i++)
            {
                double want = StableMath.Log1p(x[i]);
                Assert.True(Math.Abs(y[i] - want) <= 2 * (Math.BitIncrement(want) - want), $"{name}: log1p({x[i]:R}) = {y[i]:R}, reference {want:R}");
            }
        }
    }
}
