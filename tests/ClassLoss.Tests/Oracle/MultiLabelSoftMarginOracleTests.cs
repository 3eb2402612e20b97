using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="MultiLabelSoftMargin"/> against PyTorch 1.13's <c>torch.nn.functional.multilabel_soft_margin_loss</c> on
/// every case of <c>golden/multilabel_soft_margin_loss.json</c> (float64, gradients by autograd): <c>weight</c> maps to
/// <see cref="LossOptions.ClassWeights"/>; multi-hot and soft targets; logits up to ±1e4.
/// </summary>
public class MultiLabelSoftMarginOracleTests
{
    private const string Function = "multilabel_soft_margin_loss";

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
        var o = new MultiLabelSoftMarginOptions
        {
            Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")),
            ClassWeights = c.Doubles("weight"),
        };
        T[] x = OracleTolerance.To<T>(c.Input);
        T[] t = OracleTolerance.To<T>(c.Target!);
        var g = new T[x.Length];
        var rows = new T[c.Rows];
        var r = MultiLabelSoftMargin.Evaluate<T>(x, t, c.Classes, o, g, rows);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "row loss", OracleTolerance.ToDouble(rows), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
