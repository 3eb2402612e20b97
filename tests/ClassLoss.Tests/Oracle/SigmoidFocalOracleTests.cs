using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="SigmoidFocal"/> against torchvision's <c>sigmoid_focal_loss</c> formula (written in PyTorch 1.13,
/// gradients by autograd) on every case of <c>golden/sigmoid_focal_loss.json</c>. Convention difference
/// (documented, not a bug): torchvision's default reduction is <c>"none"</c>, ours is Mean; every case sets the
/// reduction explicitly from the JSON. <c>alpha = -1</c> disables α in both. For <c>"none"</c> torch's golden holds
/// the N·K element losses while our row buffer holds N row sums, so the golden elements are summed per row.
/// </summary>
public class SigmoidFocalOracleTests
{
    private const string Function = "sigmoid_focal_loss";

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
        var o = new SigmoidFocalOptions
        {
            Reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction")),
            Alpha = Math.Max(c.Double("alpha"), 0), ApplyClassBalancing = c.Double("alpha") >= 0, // torchvision's alpha=-1 is the switch off
            Gamma = c.Double("gamma"),
        };
        T[] x = OracleTolerance.To<T>(c.Input);
        var g = new T[x.Length];
        var rows = new T[c.Rows];
        var r = SigmoidFocal.Evaluate<T>(x, OracleTolerance.To<T>(c.Target!), c.Classes, o, g, rows);

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [c.Loss], relative, absolute);
        if (c.RowLosses is not null)
        {
            var expectedRows = new double[c.Rows];
            for (int i = 0; i < c.Rows; i++)
            {
                for (int k = 0; k < c.Classes; k++)
                {
                    expectedRows[i] += c.RowLosses[i * c.Classes + k];
                }
            }

            CrossEntropyOracleTests.Compare(name, "row loss", OracleTolerance.ToDouble(rows), expectedRows, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }
}
