using System.Numerics;
using ClassLoss.Activations;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="LogSoftmax"/> against PyTorch 1.13's <c>torch.log_softmax(x, 1)</c> on every case of <c>golden/log_softmax.json</c> (float64):
/// the forward output, and the VJP (our <c>Backward</c> with the stored upstream vector) against autograd's
/// gradient of <c>sum(output * upstream)</c>.
/// </summary>
public class LogSoftmaxOracleTests
{
    private const string Function = "log_softmax";

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
        LogSoftmax.Forward<T>(x, c.Classes, y);
        LogSoftmax.Backward<T>(y, up, c.Classes, dx);
        CrossEntropyOracleTests.Compare(name, "output", OracleTolerance.ToDouble(y), c.Output!, relative, absolute);
        CrossEntropyOracleTests.Compare(name, "vjp", OracleTolerance.ToDouble(dx), c.Grad, relative, absolute);
    }
}
