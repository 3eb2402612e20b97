using System.Numerics;
using ClassLoss.Activations;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="Softmax"/> against PyTorch 1.13's <c>torch.softmax(x, 1)</c> on every case of <c>golden/softmax.json</c> (float64):
/// the forward output, and the VJP (our <c>Backward</c> with the stored upstream vector) against autograd's
/// gradient of <c>sum(output * upstream)</c>.
/// </summary>
public class SoftmaxOracleTests
{
    private const string Function = "softmax";

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
        Softmax.Forward<T>(x, c.Classes, y);
        Softmax.Backward<T>(y, up, c.Classes, dx);
        CrossEntropyOracleTests.Compare(name, "output", OracleTolerance.ToDouble(y), c.Output!, relative, absolute);

        // Backward takes the forward OUTPUT y (as torch's softmax_backward_data): dx_i = y_i (g_i - Σ_j g_j y_j). In
        // float each y_j is rounded (absolute error up to 2^-24 y_j), and where y_i ≈ 1 the bracket cancels, so the
        // float VJP carries an absolute error of about 2^-24 y_i Σ_j |g_j| that no kernel can undo (torch's own
        // float32 backward has it too). The float VJP is held to that extra 2^-22 y_i Σ_j |g_j| (zero in double).
        double outputRounding = typeof(T) == typeof(float) ? Math.ScaleB(1.0, -22) : 0.0;
        for (int row = 0; row < c.Rows; row++)
        {
            double l1 = 0;
            for (int k = 0; k < c.Classes; k++)
            {
                l1 += Math.Abs(c.Upstream![row * c.Classes + k]);
            }

            for (int k = 0; k < c.Classes; k++)
            {
                int i = row * c.Classes + k;
                CrossEntropyOracleTests.Compare(name, $"vjp[{i}]", [double.CreateTruncating(dx[i])], [c.Grad[i]], relative,
                    absolute + outputRounding * Math.Abs(c.Output![i]) * l1);
            }
        }
    }
}
