using System.Numerics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="KlDivergence"/> against PyTorch 1.13's <c>torch.nn.functional.kl_div</c> on every case of
/// <c>golden/kl_div.json</c> (float64, gradients by autograd); <c>log_target</c> maps to
/// <see cref="KlDivergenceOptions.LogTarget"/>, mean divides by N·K and batchmean by N in both.
/// </summary>
/// <remarks>
/// Convention difference (documented in <see cref="KlDivergence"/>, not a bug): a zero target contributes 0 here,
/// while torch's <c>log_target=True</c> formula <c>exp(lt) (lt - x)</c> gives <c>0 · (-∞) = NaN</c> for
/// <c>lt = -∞</c> (and <c>xlogy</c> gives NaN at <c>x = -∞</c>). Where torch's value is NaN and such a zero target
/// exists, the expected value is recomputed by <see cref="Reference"/>, a slow element loop that drops the
/// zero-target terms (0 log 0 = 0) and otherwise follows torch's formula.
/// </remarks>
public class KlDivergenceOracleTests
{
    private const string Function = "kl_div";

    public static TheoryData<string> Cases => GoldenFile.CaseNames(Function);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_MatchesTorch(string name) => Check<double>(name, OracleTolerance.DoubleRelative, OracleTolerance.DoubleAbsolute);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_MatchesTorch(string name) => Check<float>(name, OracleTolerance.FloatRelative, OracleTolerance.FloatAbsolute);

    [Fact]
    public void ZeroLogTarget_IsNaNInTorch_ButFiniteHere()
    {
        var file = GoldenFile.Load(Function);
        var nan = file.Cases.FindAll(c => double.IsNaN(c.Loss));
        Assert.NotEmpty(nan);
        Assert.All(nan, c => Assert.True(c.Bool("log_target") && Array.Exists(c.Target!, double.IsNegativeInfinity), c.Name));
    }

    private static void Check<T>(string name, double relative, double absolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c = GoldenFile.Load(Function)[name];
        var reduction = CrossEntropyOracleTests.ParseReduction(c.String("reduction"));
        bool logTarget = c.Bool("log_target");
        var o = new KlDivergenceOptions { Reduction = reduction, LogTarget = logTarget };
        T[] x = OracleTolerance.To<T>(c.Input);
        var g = new T[x.Length];
        var losses = new T[c.RowLosses?.Length ?? 0];
        var r = KlDivergence.Evaluate<T>(x, OracleTolerance.To<T>(c.Target!), c.Classes, o, g, losses);

        double expectedLoss = c.Loss;
        double[]? expectedElements = c.RowLosses;
        if (double.IsNaN(c.Loss))
        {
            // Documented convention difference: torch's NaN from a zero target; ours drops that term.
            (expectedLoss, expectedElements) = Reference(c, reduction, logTarget);
            if (c.RowLosses is null)
            {
                expectedElements = null;
            }
        }

        CrossEntropyOracleTests.Compare(name, "loss", [r.Value], [expectedLoss], relative, absolute);
        if (expectedElements is not null)
        {
            CrossEntropyOracleTests.Compare(name, "element loss", OracleTolerance.ToDouble(losses), expectedElements, relative, absolute);
        }

        CrossEntropyOracleTests.Compare(name, "gradient", OracleTolerance.ToDouble(g), c.Grad, relative, absolute);
    }

    private static (double Loss, double[] Elements) Reference(GoldenCase c, Reduction reduction, bool logTarget)
    {
        var elements = new double[c.Input.Length];
        double sum = 0;
        for (int at = 0; at < elements.Length; at++)
        {
            double t = logTarget ? Math.Exp(c.Target![at]) : c.Target![at];
            double logT = logTarget ? c.Target[at] : Math.Log(t);
            elements[at] = t == 0 ? 0.0 : t * (logT - c.Input[at]);
            sum += elements[at];
        }

        double loss = reduction switch
        {
            Reduction.Mean => sum / elements.Length,
            Reduction.BatchMean => sum / c.Rows,
            _ => sum,
        };
        return (loss, elements);
    }
}
