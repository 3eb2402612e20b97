using ClassLoss.Activations;
using ClassLoss.Diagnostics;
using ClassLoss.Tests.TestUtilities;
using CsCheck;

namespace ClassLoss.Tests.Activations;

public class SigmoidTests
{
    private delegate void Kernel(ReadOnlySpan<double> x, Span<double> y);

    private static double[] Apply(Kernel f, double[] x)
    {
        var y = new double[x.Length];
        f(x, y);
        return y;
    }

    private static void AssertVjp(Func<double[], double[]> f, double[] x, double[] g, double[] dx)
    {
        var check = GradientChecker.CheckVectorJacobianProduct(f, x, g, dx);
        Assert.True(check.Passes(dx, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void SigmoidBackward_MatchesFiniteDifferenceVjp()
    {
        double[] x = Reference.RandomLogits(41, 12, 8);
        double[] g = Reference.RandomLogits(42, 12);
        double[] y = Apply(Sigmoid.Forward, x);
        var dx = new double[12];
        Sigmoid.Backward<double>(y, g, dx);
        AssertVjp(p => Apply(Sigmoid.Forward, p), x, g, dx);
    }

    [Fact]
    public void LogSigmoidBackward_MatchesFiniteDifferenceVjp()
    {
        double[] x = Reference.RandomLogits(43, 12, 8);
        double[] g = Reference.RandomLogits(44, 12);
        var dx = new double[12];
        LogSigmoid.Backward<double>(x, g, dx);
        AssertVjp(p => Apply(LogSigmoid.Forward, p), x, g, dx);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void SoftplusBackward_MatchesFiniteDifferenceVjp(double beta)
    {
        double[] x = Reference.RandomLogits(45, 12, 8);
        double[] g = Reference.RandomLogits(46, 12);
        var dx = new double[12];
        Softplus.Backward<double>(x, g, beta, dx);
        AssertVjp(p =>
        {
            var y = new double[p.Length];
            Softplus.Forward<double>(p, beta, y);
            return y;
        }, x, g, dx);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.1)]
    public void LogitBackward_MatchesFiniteDifferenceVjp(double eps)
    {
        double? e = eps < 0 ? null : eps;
        // Inside (0, 1) and, with the clamp, points on both sides of [0.1, 0.9] (kept away from the kinks).
        double[] x = [0.3, 0.5, 0.02, 0.97, 0.75, 0.15, 0.05, 0.6];
        double[] g = Reference.RandomLogits(47, x.Length);
        var dx = new double[x.Length];
        Logit.Backward<double>(x, g, e, dx);
        AssertVjp(p =>
        {
            var y = new double[p.Length];
            Logit.Forward<double>(p, e, y);
            return y;
        }, x, g, dx);
        if (e is not null)
        {
            Assert.Equal(0.0, dx[2]);
            Assert.Equal(0.0, dx[3]);
        }
    }

    [Fact]
    public void SigmoidOfLogit_IsIdentity()
    {
        Gen.Double[1e-9, 1 - 1e-9].Array[1, 32].Sample(p =>
        {
            double[] y = Apply(Logit.Forward, p);
            double[] back = Apply(Sigmoid.Forward, y);
            ActivationReference.AllClose(p, back, 1e-12);
        }, iter: 200);
    }

    [Fact]
    public void KnownValues_ByHand()
    {
        // σ(0) = 1/2, σ(1) = e/(1+e) = 0.7310585786300049; log σ(0) = -ln 2; softplus(0) = ln 2;
        // softplus_β=2(1) = ln(1 + e²)/2 = 1.0634640055214863; logit(0.25) = -ln 3.
        ActivationReference.AllClose([0.5, 0.7310585786300049], Apply(Sigmoid.Forward, [0.0, 1.0]), 1e-15);
        Assert.Equal(-Math.Log(2), Apply(LogSigmoid.Forward, [0.0])[0], 1e-15);
        Assert.Equal(Math.Log(2), Apply(Softplus.Forward, [0.0])[0], 1e-15);
        var sp = new double[1];
        Softplus.Forward<double>([1.0], 2.0, sp);
        Assert.Equal(Math.Log(1 + Math.Exp(2)) / 2, sp[0], 1e-15);
        Assert.Equal(1.0634640055214863, sp[0], 1e-14);
        ActivationReference.AllClose([-Math.Log(3), 0.0, Math.Log(3)], Apply(Logit.Forward, [0.25, 0.5, 0.75]), 1e-15);
    }

    [Fact]
    public void ExtremeInputs_StayFinite()
    {
        // Naive log(sigmoid(-104)) in float: exp(104) overflows float, 1/inf = 0, log 0 = -inf.
        float naive = MathF.Log(1f / (1f + MathF.Exp(104f)));
        Assert.Equal(float.NegativeInfinity, naive);
        var y = new float[2];
        LogSigmoid.Forward<float>([-104f, 104f], y);
        Assert.Equal(-104f, y[0]);
        Assert.Equal(0f, y[1]);
        // softplus(1000) = 1000 (log(1 + e^1000) overflows the naive way); softplus(-1000) = e^-1000 = 0.
        Assert.Equal([1000.0, 0.0], Apply(Softplus.Forward, [1000.0, -1000.0]));
        Assert.Equal([1.0, 0.0], Apply(Sigmoid.Forward, [double.PositiveInfinity, double.NegativeInfinity]));
    }

    [Fact]
    public void Logit_WithoutClamp_FollowsTorch_AndClampUsesEps()
    {
        // torch.logit(torch.tensor([0., 1., 1.5])) = [-inf, inf, nan]; with eps=0.25: [-ln 3, ln 3, ln 3] (torch 2.x, checked);
        // torch's logit backward without eps at [0.5, 1.5, -0.1] is [4, nan, nan].
        double[] y = Apply(Logit.Forward, [0.0, 1.0, 1.5]);
        Assert.Equal(double.NegativeInfinity, y[0]);
        Assert.Equal(double.PositiveInfinity, y[1]);
        Assert.True(double.IsNaN(y[2]));
        var yc = new double[3];
        Logit.Forward<double>([0.0, 1.0, 1.5], 0.25, yc);
        ActivationReference.AllClose([-Math.Log(3), Math.Log(3), Math.Log(3)], yc, 1e-15);
        var dx = new double[3];
        Logit.Backward<double>([0.5, 1.5, -0.1], [1.0, 1.0, 1.0], dx);
        Assert.Equal(4.0, dx[0]);
        Assert.True(double.IsNaN(dx[1]) && double.IsNaN(dx[2]));
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Sigmoid.Forward<double>(new double[3], new double[2])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Sigmoid.Backward<double>(new double[3], new double[3], new double[2])).ParamName);
        Assert.Equal("upstream", Assert.Throws<ArgumentException>(() => LogSigmoid.Backward<double>(new double[3], new double[2], new double[3])).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => Softplus.Forward<double>(new double[3], 0.0, new double[3])).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => Softplus.Backward<double>(new double[3], new double[3], double.NaN, new double[3])).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => Logit.Forward<double>(new double[3], 0.6, new double[3])).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => Logit.Backward<double>(new double[3], new double[3], -0.1, new double[3])).ParamName);
    }
}
