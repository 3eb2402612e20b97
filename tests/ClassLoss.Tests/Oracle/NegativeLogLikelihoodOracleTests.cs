using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="NegativeLogLikelihood"/> against PyTorch 1.13's <c>torch.nn.functional.nll_loss</c> on every case of
/// <c>golden/nll_loss.json</c> (float64, gradients by autograd). Torch's mean over zero weight (every row ignored)
/// is 0 / 0 = NaN, so the cases run with <see cref="EmptyMean.NaN"/> (our default is <see cref="EmptyMean.Zero"/>).
/// </summary>
public class NegativeLogLikelihoodOracleTests
{
    private const string Function = "nll_loss";

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
        var o = new NegativeLogLikelihoodOptions
        {
            Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")),
            WhenEmpty = EmptyMean.NaN,
            ClassWeights = c.Doubles("weight"),
            IgnoreIndex = c.Int("ignore_index"),
        };
        T[] x = OracleTolerance.To<T>(c.Input);
        var g = new T[x.Length];
        var rows = new T[c.Rows];
        var r = NegativeLogLikelihood.Evaluate<T>(x, c.Labels, c.Classes, o, g, rows);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "row loss", OracleTolerance.ToDouble(rows), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
