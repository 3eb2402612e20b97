using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="SigmoidBinaryCrossEntropy"/> against PyTorch 1.13's
/// <c>torch.nn.functional.binary_cross_entropy_with_logits</c> on every case of
/// <c>golden/binary_cross_entropy_with_logits.json</c> (float64, gradients by autograd). The JSON's <c>weight</c>
/// and <c>pos_weight</c> (length K, broadcast over rows) map to <see cref="LossOptions.ClassWeights"/>
/// and <see cref="BinaryCrossEntropyOptions.PositiveWeights"/>; torch's mean divides by N·K as ours does. For
/// <c>reduction='none'</c> the golden row losses are torch's N·K element losses, which our loss buffer of length
/// N·K receives.
/// </summary>
public class SigmoidBinaryCrossEntropyOracleTests
{
    private const string Function = "binary_cross_entropy_with_logits";

    public static TheoryData<string> Cases => GoldenFile.CaseNames(Function);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_MatchesTorch(string name) => Check<double>(name, OracleTolerance.DoubleRelative, OracleTolerance.DoubleAbsolute);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_MatchesTorch(string name) => Check<float>(name, OracleTolerance.FloatRelative, OracleTolerance.FloatAbsolute);

    private static void Check<T>(string name, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = GoldenFile.Load(Function)[name];
        var o = new SigmoidBinaryCrossEntropyOptions
        {
            Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")),
            WhenEmpty = EmptyMean.NaN,
            ClassWeights = c.Doubles("weight"),
            PositiveWeights = c.Doubles("pos_weight"),
            LabelSmoothing = 0,
        };
        T[] x = OracleTolerance.To<T>(c.Input);
        var g = new T[x.Length];
        var losses = new T[c.RowLosses?.Length ?? 0];
        var r = SigmoidBinaryCrossEntropy.Evaluate<T>(x, OracleTolerance.To<T>(c.Target!), c.Classes, o, g, losses);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "element loss", OracleTolerance.ToDouble(losses), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
