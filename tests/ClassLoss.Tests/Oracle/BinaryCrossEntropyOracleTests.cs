using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="BinaryCrossEntropyFromProbabilities"/> (probability input) against PyTorch 1.13's
/// <c>torch.nn.functional.binary_cross_entropy</c> on every case of <c>golden/binary_cross_entropy.json</c>
/// (float64, gradients by autograd). Both clamp the log at -100 (<see cref="ProbabilityClamp.LogAtMinus100"/>),
/// so the losses agree everywhere, including the <c>edges_*</c> cases with p exactly 0 and 1; and the gradient is
/// torch's backward, <c>w (p - y) / max(p (1 - p), 1e-12)</c>, so it agrees everywhere too.
/// </summary>
public class BinaryCrossEntropyOracleTests
{
    private const string Function = "binary_cross_entropy";

    public static TheoryData<string> Cases => GoldenFile.CaseNames(Function);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_MatchesTorch(string name) => Check<double>(name, OracleTolerance.DoubleRelative, OracleTolerance.DoubleAbsolute);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_MatchesTorch(string name) => Check<float>(name, OracleTolerance.FloatRelative, OracleTolerance.FloatAbsolute);

    [Fact]
    public void EdgeCases_TorchEpsIsActive_AndGradientsAgree()
    {
        var c = GoldenFile.Load(Function)["edges_none"];
        // p = 0, y = 1: torch (0 - 1) / 1e-12 = -1e12 (its eps is float32's 1e-12), ours the same bound.
        Assert.InRange(c.Grad[2], -1.00001e12, -0.99999e12);
        var g = new double[c.Input.Length];
        BinaryCrossEntropyFromProbabilities.Evaluate<double>(c.Input, c.Target, c.Classes,
            new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.None }, g, default);
        Assert.Equal(c.Grad[2], g[2], 1e12 * 1e-7);
        for (int at = 0; at < g.Length; at++)
        {
            Assert.Equal(c.Grad[at], g[at], (Math.Abs(c.Grad[at]) * 1e-7) + 1e-12);
        }
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

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
