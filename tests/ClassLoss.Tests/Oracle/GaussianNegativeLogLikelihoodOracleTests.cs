using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="GaussianNegativeLogLikelihood"/> against PyTorch 1.13's <c>torch.nn.functional.gaussian_nll_loss</c> on every
/// case of <c>golden/gaussian_nll_loss.json</c> (float64, gradients of input and var by autograd): <c>full</c>,
/// <c>eps</c> (<see cref="GaussianNegativeLogLikelihoodOptions.MinimumVariance"/>), variance per element or per row,
/// variances of 0 and eps/4 that torch clamps. Torch's variance gradient at a clamped entry is its straight-through
/// value (<see cref="ClampedVarianceGradient.StraightThrough"/>); with the default (<see cref="ClampedVarianceGradient.Zero"/>)
/// it is 0 there and torch's elsewhere.
/// </summary>
public class GaussianNegativeLogLikelihoodOracleTests
{
    private const string Function = "gaussian_nll_loss";

    public static TheoryData<string> Cases => GoldenFile.CaseNames(Function);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_MatchesTorch(string name)
    {
        Check<double>(name, ClampedVarianceGradient.StraightThrough, OracleTolerance.DoubleRelative, OracleTolerance.DoubleAbsolute);
        Check<double>(name, ClampedVarianceGradient.Zero, OracleTolerance.DoubleRelative, OracleTolerance.DoubleAbsolute);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_MatchesTorch(string name)
    {
        Check<float>(name, ClampedVarianceGradient.StraightThrough, OracleTolerance.FloatRelative, OracleTolerance.FloatAbsolute);
        Check<float>(name, ClampedVarianceGradient.Zero, OracleTolerance.FloatRelative, OracleTolerance.FloatAbsolute);
    }

    private static void Check<T>(string name, ClampedVarianceGradient clamp, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = GoldenFile.Load(Function)[name];
        var o = new GaussianNegativeLogLikelihoodOptions
        {
            Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")),
            Full = c.Bool("full"),
            MinimumVariance = c.Double("eps"),
            ClampedGradient = clamp,
        };
        T[] x = OracleTolerance.To<T>(c.Input);
        T[] t = OracleTolerance.To<T>(c.Target!);
        T[] v = OracleTolerance.To<T>(c.Variance!);
        var g = new T[x.Length];
        var gv = new T[v.Length];
        var elements = new T[c.RowLosses?.Length ?? 0];
        var r = GaussianNegativeLogLikelihood.Evaluate<T>(x, t, v, c.Classes, o, g, gv, elements);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "element loss", OracleTolerance.ToDouble(elements), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
        double[] expected = (double[])c.VarianceGrad!.Clone();
        if (clamp == ClampedVarianceGradient.Zero)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = c.Variance![i] < o.MinimumVariance ? 0 : expected[i];
            }
        }

        CrossEntropyOracleTests.Compare(name, "variance gradient", OracleTolerance.ToDouble(gv), expected, relative, absolute);
    }
}
