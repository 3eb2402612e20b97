using ClassLoss.Activations;
using ClassLoss.Diagnostics;
using ClassLoss.Tests.TestUtilities;
using CsCheck;

namespace ClassLoss.Tests.Activations;

public class LogSoftmaxTests
{
    private static double[] Forward(double[] x, int k, double temperature)
    {
        var y = new double[x.Length];
        LogSoftmax.Forward<double>(x, k, temperature, y);
        return y;
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.25)]
    [InlineData(3.0)]
    public void Backward_MatchesFiniteDifferenceVjp(double temperature)
    {
        const int n = 4, k = 3;
        double[] x = Reference.RandomLogits(31, n * k);
        double[] g = Reference.RandomLogits(32, n * k);
        double[] y = Forward(x, k, temperature);
        var dx = new double[n * k];
        LogSoftmax.Backward<double>(y, g, k, temperature, dx);
        var check = GradientChecker.CheckVectorJacobianProduct(p => Forward(p, k, temperature), x, g, dx);
        Assert.True(check.Passes(dx, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Output_EqualsLogitsMinusLogSumExp()
    {
        Gen.Select(Gen.Int[1, 16], Gen.Int[0, 1_000_000]).Sample((k, seed) =>
        {
            double[] z = Reference.RandomLogits(seed, k, 30);
            // The naive log-sum-exp is safe here: |z| ≤ 30.
            double s = 0;
            foreach (double v in z)
            {
                s += Math.Exp(v);
            }

            double lse = Math.Log(s);
            double[] y = Forward(z, k, 1.0);
            for (int c = 0; c < k; c++)
            {
                Assert.Equal(z[c] - lse, y[c], 1e-12);
            }
        }, iter: 200);
    }

    [Fact]
    public void Exp_EqualsSoftmax()
    {
        double[] x = Reference.RandomLogits(33, 20, 10);
        double[] y = Forward(x, 5, 0.5);
        var p = new double[20];
        Softmax.Forward<double>(x, 5, 0.5, p);
        ActivationReference.AllClose(p, Array.ConvertAll(y, Math.Exp), 1e-14);
    }

    [Fact]
    public void LogitGapOf120_InFloat_GivesMinus120_WhereNaiveLogOfSoftmaxGivesMinusInfinity()
    {
        float[] x = [0f, -120f];
        // The naive way in float: exp(-120) underflows (float's smallest subnormal is e^-103.3).
        float naive = MathF.Log(MathF.Exp(x[1]) / (MathF.Exp(x[0]) + MathF.Exp(x[1])));
        Assert.Equal(float.NegativeInfinity, naive);
        var y = new float[2];
        LogSoftmax.Forward<float>(x, 2, y);
        Assert.Equal(-120f, y[1]);
        Assert.Equal(0f, y[0]);
    }

    [Fact]
    public void LargeOffset_KeepsSmallDifferences()
    {
        // By hand: log_softmax([c, c - 1]) = [-log(1 + e^-1), -1 - log(1 + e^-1)] for any c.
        double[] y = Forward([1e4, 1e4 - 1], 2, 1.0);
        double a = -Math.Log(1 + Math.Exp(-1));
        Assert.Equal(a, y[0], 1e-14);
        Assert.Equal(a - 1, y[1], 1e-14);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryRowLength_1To48_MatchesSlowReference(bool single)
    {
        const int n = 3;
        for (int k = 1; k <= 48; k++)
        {
            double[] x = Reference.RandomLogits(200 + k, n * k, 20);
            if (single)
            {
                float[] xf = Reference.ToFloat(x);
                double[] expected = ActivationReference.Rows(Reference.ToDouble(xf), k, r => ActivationReference.LogSoftmax(r, 1.5));
                var yf = new float[n * k];
                LogSoftmax.Forward<float>(xf, k, 1.5, yf);
                ActivationReference.AllClose(expected, Reference.ToDouble(yf), 2e-7, $"float K={k}");
            }
            else
            {
                double[] expected = ActivationReference.Rows(x, k, r => ActivationReference.LogSoftmax(r, 1.5));
                ActivationReference.AllClose(expected, Forward(x, k, 1.5), 1e-13, $"double K={k}");
            }
        }
    }

    [Fact]
    public void MaskedEntries_GiveMinusInfinity_AndAllMaskedRowIsNaN()
    {
        double ninf = double.NegativeInfinity;
        double[] y = Forward([ninf, 0.0, 0.0, ninf, ninf, ninf], 3, 1.0);
        Assert.Equal(ninf, y[0]);
        Assert.Equal(-Math.Log(2), y[1], 1e-15);
        Assert.All(y[3..], v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void InPlace_GivesTheSameResult()
    {
        double[] x = Reference.RandomLogits(34, 12);
        double[] expected = Forward(x, 3, 2.0);
        LogSoftmax.Forward<double>(x, 3, 2.0, x);
        Assert.Equal(expected, x);
        double[] g = Reference.RandomLogits(35, 12);
        var dx = new double[12];
        LogSoftmax.Backward<double>(x, g, 3, 2.0, dx);
        LogSoftmax.Backward<double>(x, g, 3, 2.0, g);
        Assert.Equal(dx, g);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => LogSoftmax.Forward<double>(new double[4], 2, 0.0, new double[4])).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => LogSoftmax.Backward<double>(new double[4], new double[4], 2, -2.0, new double[4])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LogSoftmax.Forward<double>(new double[4], 2, new double[2])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LogSoftmax.Forward<double>(new double[5], 2, new double[5])).ParamName);
        Assert.Equal("upstream", Assert.Throws<ArgumentException>(() => LogSoftmax.Backward<double>(new double[4], new double[2], 2, new double[4])).ParamName);
    }
}
