using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="MultiMarginHinge"/> against PyTorch 1.13's <c>torch.nn.functional.multi_margin_loss</c> on every case
/// of <c>golden/multi_margin_loss.json</c> (float64, gradients by autograd): <c>p</c> maps to
/// <see cref="MultiMarginHingeOptions.Power"/>, <c>margin</c> to <see cref="MultiMarginHingeOptions.Margin"/>,
/// <c>weight</c> to <see cref="LossOptions.ClassWeights"/>; mean divides by N in both.
/// </summary>
public class MultiMarginHingeOracleTests
{
    private const string Function = "multi_margin_loss";

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
        var o = new MultiMarginHingeOptions
        {
            Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")),
            Power = c.Int("p"),
            Margin = c.Double("margin"),
            ClassWeights = c.Doubles("weight"),
        };
        T[] x = OracleTolerance.To<T>(c.Input);
        var g = new T[x.Length];
        var rows = new T[c.Rows];
        var r = MultiMarginHinge.Evaluate<T>(x, c.Labels, c.Classes, o, g, rows);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "row loss", OracleTolerance.ToDouble(rows), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
