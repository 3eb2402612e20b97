using System.Numerics;
using ClassLoss.Activations;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="Sigmoid"/> against PyTorch 1.13's <c>torch.sigmoid</c> on every case of <c>golden/sigmoid.json</c> (float64):
/// the forward output, and the VJP (our <c>Backward</c> with the stored upstream vector) against autograd's
/// gradient of <c>sum(output * upstream)</c>.
/// </summary>
public class SigmoidOracleTests
{
    private const string Function = "sigmoid";

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
        Sigmoid.Forward<T>(x, y);
        Sigmoid.Backward<T>(y, up, dx);
        CrossEntropyOracleTests.Compare(name, "output", OracleTolerance.ToDouble(y), c.Output!, relative, absolute);

        // Backward takes the forward OUTPUT y (as torch's sigmoid_backward), so in float it sees y rounded to float:
        // where y ≈ 1, 1 - y carries an absolute error up to 2^-24 that no kernel can undo (torch's own float32
        // backward has it too). The float VJP is therefore held to an extra absolute 2^-22 |g_i| (zero in double,
        // where the rounding of y is 2^-53).
        double outputRounding = typeof(T) == typeof(float) ? Math.ScaleB(1.0, -22) : 0.0;
        for (int i = 0; i < x.Length; i++)
        {
            CrossEntropyOracleTests.Compare(name, $"vjp[{i}]", [double.CreateTruncating(dx[i])], [c.Grad[i]], relative,
                absolute + outputRounding * Math.Abs(c.Upstream![i]));
        }
    }
}
