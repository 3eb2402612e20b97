using System.Numerics;
using ClassLoss.Activations;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="Softplus"/> against PyTorch 1.13's <c>F.softplus(x, beta, threshold)</c> on every case of <c>golden/softplus.json</c> (float64):
/// the forward output, and the VJP (our <c>Backward</c> with the stored upstream vector) against autograd's
/// gradient of <c>sum(output * upstream)</c>.
/// Convention difference (documented in <see cref="Softplus"/>, not a bug): torch returns x (gradient 1) where
/// <c>βx &gt; threshold</c>; ours is exact there, <c>x + log1p(e^-βx) / β</c> with gradient <c>σ(βx)</c>. Those
/// entries are compared with torch within exactly that documented difference, <c>log1p(e^-βx) / β</c> for the
/// output and <c>|g| σ(-βx)</c> for the VJP (≈ 2e-9 / β at torch's default threshold 20; up to 1.3e-2 for the
/// <c>beta0.5_threshold5</c> cases), and also against the exact formula at full tolerance. Everything else is
/// compared at full tolerance.
/// </summary>
public class SoftplusOracleTests
{
    private const string Function = "softplus";

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
        T[] x = OracleTolerance.To<T>(c.Input);
        T[] up = OracleTolerance.To<T>(c.Upstream!);
        var y = new T[x.Length];
        var dx = new T[x.Length];
        double beta = c.Double("beta"), threshold = c.Double("threshold");
        Softplus.Forward<T>(x, beta, y);
        Softplus.Backward<T>(x, up, beta, dx);
        for (int i = 0; i < x.Length; i++)
        {
            double xi = c.Input[i], bx = beta * xi;
            double outTol = absolute, gradTol = absolute;
            if (bx > threshold)
            {
                // torch's threshold branch: exact value and the documented gap to torch's x.
                double exact = xi + Math.Log(1 + Math.Exp(-bx)) / beta;
                double exactGrad = c.Upstream![i] / (1 + Math.Exp(-bx));
                CrossEntropyOracleTests.Compare(name, $"exact output[{i}]", [double.CreateTruncating(y[i])], [exact], relative, absolute);
                CrossEntropyOracleTests.Compare(name, $"exact vjp[{i}]", [double.CreateTruncating(dx[i])], [exactGrad], relative, absolute);
                outTol += Math.Log(1 + Math.Exp(-bx)) / beta;
                gradTol += Math.Abs(c.Upstream[i]) / (1 + Math.Exp(bx));
            }

            CrossEntropyOracleTests.Compare(name, $"output[{i}]", [double.CreateTruncating(y[i])], [c.Output![i]], relative, outTol);
            CrossEntropyOracleTests.Compare(name, $"vjp[{i}]", [double.CreateTruncating(dx[i])], [c.Grad[i]], relative, gradTol);
        }
    }
}
