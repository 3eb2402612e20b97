using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="MultiLabelMargin"/> against PyTorch 1.13's <c>torch.nn.functional.multilabel_margin_loss</c> on every case
/// of <c>golden/multilabel_margin_loss.json</c> (float64, gradients by autograd): torch's targets (class indices ended
/// by -1, entries after it ignored, duplicates counted twice) as given, and, where no class is listed twice, the same
/// targets as multi-hot rows. Cases include scores 1e4 apart, integer scores (hinges exactly at 0) and masked classes.
/// </summary>
public class MultiLabelMarginOracleTests
{
    private const string Function = "multilabel_margin_loss";

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
        var o = new MultiLabelMarginOptions { Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")) };
        int n = c.Rows, k = c.Classes;
        int[] targets = Array.ConvertAll(c.Target!, v => (int)v);
        T[] x = OracleTolerance.To<T>(c.Input);
        var g = new T[x.Length];
        var rows = new T[n];
        var r = MultiLabelMargin.Evaluate<T>(x, targets, k, o, g, rows);
        Compare(name, c, r, g, rows, relative, absolute);

        // The same targets as multi-hot rows, unless a class is listed twice (which a multi-hot row cannot say).
        var multiHot = new T[n * k];
        bool duplicates = false;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k && targets[(i * k) + j] >= 0; j++)
            {
                ref T slot = ref multiHot[(i * k) + targets[(i * k) + j]];
                duplicates |= slot == T.One;
                slot = T.One;
            }
        }

        if (!duplicates)
        {
            Array.Clear(g);
            r = MultiLabelMargin.Evaluate<T>(x, multiHot, k, o, g, rows);
            Compare(name + " (multi-hot)", c, r, g, rows, relative, absolute);
        }
    }

    private static void Compare<T>(string name, GoldenCase c, LossResult r, T[] g, T[] rows, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            CrossEntropyOracleTests.Compare(name, "row loss", OracleTolerance.ToDouble(rows), c.RowLosses, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
