using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="BinaryCrossEntropyFromProbabilities"/> (probability input) against PyTorch 1.13's
/// <c>torch.nn.functional.binary_cross_entropy</c> on every case of <c>golden/binary_cross_entropy.json</c>
/// (float64, gradients by autograd). Both clamp the log at -100 (<see cref="ProbabilityClamp.LogAtMinus100"/>),
/// so the losses agree everywhere, including the <c>edges_*</c> cases with p exactly 0 and 1.
/// </summary>
/// <remarks>
/// Convention difference in the gradient (documented in <see cref="BinaryCrossEntropyFromProbabilities"/>, not a bug): torch's backward
/// is <c>w (p - y) / max(p (1 - p), 1e-12)</c>, ours is the derivative of the clamped loss,
/// <c>-w [y / p - (1 - y) / (1 - p)]</c> with each term 0 where its log clamp (<c>log &lt; -100</c>) is active. They
/// agree wherever torch's eps is inactive; where <c>p (1 - p) &lt; 1e-12</c> the expected gradient is that documented
/// formula (<see cref="DocumentedGradient"/>), e.g. p = 0, y = 1 gives torch -1e12 and ours 0; p = 1e-30, y = 0
/// gives torch 1e-18 and ours 1 (times the reduction's scale).
/// </remarks>
public class BinaryCrossEntropyOracleTests
{
    private const string Function = "binary_cross_entropy";
    private const double TorchEps = 1e-12;

    public static TheoryData<string> Cases => GoldenFile.CaseNames(Function);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_MatchesTorch(string name) => Check<double>(name, OracleTolerance.DoubleRelative, OracleTolerance.DoubleAbsolute);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_MatchesTorch(string name) => Check<float>(name, OracleTolerance.FloatRelative, OracleTolerance.FloatAbsolute);

    [Fact]
    public void EdgeCases_TorchEpsIsActive_AndGradientsDifferAsDocumented()
    {
        var c = GoldenFile.Load(Function)["edges_none"];
        // p = 0, y = 1: torch (0 - 1) / 1e-12 ≈ -1e12 (its eps is float32's 1e-12); ours 0 (the clamp of log p is active).
        Assert.InRange(c.Grad[2], -1.00001e12, -0.99999e12);
        var g = new double[c.Input.Length];
        BinaryCrossEntropyFromProbabilities.Evaluate<double>(c.Input, c.Target, c.Classes,
            new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.None }, g, default);
        Assert.Equal(0.0, g[2]);
    }

    private static void Check<T>(string name, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = GoldenFile.Load(Function)[name];
        var reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction"));
        var o = new BinaryCrossEntropyFromProbabilitiesOptions
        {
            Reduction = reduction,
            ClassWeights = c.Doubles("weight"),
            LabelSmoothing = 0,
            Clamp = ProbabilityClamp.LogAtMinus100,
        };
        T[] p = OracleTolerance.To<T>(c.Input);
        var g = new T[p.Length];
        var losses = new T[c.RowLosses?.Length ?? 0];
        var r = BinaryCrossEntropyFromProbabilities.Evaluate<T>(p, OracleTolerance.To<T>(c.Target!), c.Classes, o, g, losses);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "element loss", OracleTolerance.ToDouble(losses), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), DocumentedGradient(c, reduction), relative, absolute);
    }

    /// <summary>Torch's gradient, with the entries where torch's eps is active replaced by our documented clamp derivative.</summary>
    private static double[] DocumentedGradient(GoldenCase c, Reduction reduction)
    {
        double[]? w = c.Doubles("weight");
        double scale = reduction == Reduction.Mean ? 1.0 / c.Input.Length : 1.0;
        var expected = (double[])c.Grad.Clone();
        for (int at = 0; at < expected.Length; at++)
        {
            double p = c.Input[at], y = c.Target![at];
            if (p * (1 - p) >= TorchEps)
            {
                continue;
            }

            double positive = y == 0 || Math.Log(p) < -100 ? 0.0 : y / p;
            double negative = y == 1 || Math.Log(1 - p) < -100 ? 0.0 : (1 - y) / (1 - p);
            expected[at] = -(w is null ? 1.0 : w[at % c.Classes]) * (positive - negative) * scale;
        }

        return expected;
    }
}
