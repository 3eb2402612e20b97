using ClassLoss.Activations;
using ClassLoss.Diagnostics;
using ClassLoss.Tests.TestUtilities;
using CsCheck;

namespace ClassLoss.Tests.Activations;

public class SparsemaxTests
{
    private static double[] Forward(double[] x, int k)
    {
        var y = new double[x.Length];
        Sparsemax.Forward<double>(x, k, y);
        return y;
    }

    [Fact]
    public void WorkedExamples_ByHand()
    {
        // Algorithm 1 of Martins & Astudillo (2016) by hand:
        // [1, 0.8, 0.1]: k(z) = 2 (1 + 2·0.8 = 2.6 > 1.8; 1 + 3·0.1 = 1.3 < 1.9), τ = (1.8 - 1)/2 = 0.4 → [0.6, 0.4, 0].
        // [0.5, 0.2, -0.1]: k(z) = 3 (1 - 0.3 = 0.7 > 0.6), τ = (0.6 - 1)/3 = -2/15 → [19/30, 1/3, 1/30].
        // [3, 0, 0]: k(z) = 1 (1 + 0 < 3), τ = 2 → [1, 0, 0] (a large gap gives the hardmax).
        double[] y = Forward([1, 0.8, 0.1, 0.5, 0.2, -0.1, 3, 0, 0], 3);
        ActivationReference.AllClose([0.6, 0.4, 0, 19.0 / 30, 1.0 / 3, 1.0 / 30, 1, 0, 0], y, 1e-15);
        Assert.Equal(0.0, y[2]);
    }

    [Fact]
    public void Output_LiesOnTheSimplex_AndMatchesBisectionReference()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Double[0.01, 20], Gen.Int[0, 1_000_000]).Sample((k, scale, seed) =>
        {
            double[] x = Reference.RandomLogits(seed, k, scale);
            double[] y = Forward(x, k);
            double s = 0;
            foreach (double v in y)
            {
                Assert.True(v >= 0, $"negative entry {v}");
                s += v;
            }

            Assert.Equal(1.0, s, 1e-12);
            ActivationReference.AllClose(ActivationReference.Sparsemax(x), y, 1e-12);
        }, iter: 300);
    }

    [Fact]
    public void Output_IsInvariantToRowShift()
    {
        Gen.Select(Gen.Int[1, 20], Gen.Double[-1e3, 1e3], Gen.Int[0, 1_000_000]).Sample((k, shift, seed) =>
        {
            double[] x = Reference.RandomLogits(seed, k, 2);
            double[] shifted = Array.ConvertAll(x, v => v + shift);
            ActivationReference.AllClose(Forward(x, k), Forward(shifted, k), 1e-11);
        }, iter: 200);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferenceVjp()
    {
        const int n = 4, k = 6;
        double[] x = Reference.RandomLogits(51, n * k, 1.5);
        double[] g = Reference.RandomLogits(52, n * k);
        double[] y = Forward(x, k);
        int support = Array.FindAll(y, v => v > 0).Length;
        Assert.InRange(support, n + 1, n * k - 1); // the check covers entries on and off the support
        var dx = new double[n * k];
        Sparsemax.Backward<double>(y, g, k, dx);
        var check = GradientChecker.CheckVectorJacobianProduct(p => Forward(p, k), x, g, dx);
        Assert.True(check.Passes(dx, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Backward_OfWorkedExample_ByHand()
    {
        // y = [0.6, 0.4, 0], support {0, 1}, g = [1, 2, 3]: mean over the support 1.5 → dx = [-0.5, 0.5, 0].
        var dx = new double[3];
        Sparsemax.Backward<double>([0.6, 0.4, 0], [1.0, 2, 3], 3, dx);
        Assert.Equal([-0.5, 0.5, 0.0], dx);
    }

    [Fact]
    public void ScratchOverload_AndPooledPathForLargeRows_AgreeWithReference()
    {
        foreach (int k in (int[])[7, Sparsemax.MaxStackClasses, Sparsemax.MaxStackClasses + 476])
        {
            double[] x = Reference.RandomLogits(53 + k, 2 * k, 4);
            double[] y = Forward(x, k);
            var y2 = new double[2 * k];
            var scratch = new double[k + 3];
            Sparsemax.Forward<double>(x, k, y2, scratch);
            Assert.Equal(y, y2);
            double[] expected = ActivationReference.Rows(x, k, r => ActivationReference.Sparsemax(r));
            ActivationReference.AllClose(expected, y, 1e-12, $"K={k}");
        }
    }

    [Fact]
    public void Float_MatchesDoubleReference()
    {
        float[] xf = Reference.ToFloat(Reference.RandomLogits(54, 5 * 9, 3));
        var yf = new float[xf.Length];
        Sparsemax.Forward<float>(xf, 9, yf);
        double[] expected = ActivationReference.Rows(Reference.ToDouble(xf), 9, r => ActivationReference.Sparsemax(r));
        ActivationReference.AllClose(expected, Reference.ToDouble(yf), 1e-7);
    }

    [Fact]
    public void MaskedEntries_GiveZero_AndNaNOrAllMaskedRowIsNaN()
    {
        double ninf = double.NegativeInfinity;
        double[] y = Forward([ninf, 0.3, 0.1, ninf, ninf, ninf, 1, double.NaN, 0], 3);
        ActivationReference.AllClose([0, 0.6, 0.4], y[..3], 1e-15);
        Assert.All(y[3..], v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void InPlace_GivesTheSameResult()
    {
        double[] x = Reference.RandomLogits(55, 12);
        double[] expected = Forward(x, 4);
        Sparsemax.Forward<double>(x, 4, x);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Sparsemax.Forward<double>(new double[4], 2, new double[3])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Sparsemax.Forward<double>(new double[5], 2, new double[5])).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => Sparsemax.Forward<double>(new double[4], 2, new double[4], new double[1])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sparsemax.Forward<double>(new double[4], 0, new double[4]));
        Assert.Equal("upstream", Assert.Throws<ArgumentException>(() => Sparsemax.Backward<double>(new double[4], new double[3], 2, new double[4])).ParamName);
    }
}
