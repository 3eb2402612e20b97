using ClassLoss.Activations;
using ClassLoss.Diagnostics;
using ClassLoss.Tests.TestUtilities;
using CsCheck;

namespace ClassLoss.Tests.Activations;

public class SoftmaxTests
{
    private static double[] Forward(double[] x, int k, double temperature)
    {
        var y = new double[x.Length];
        Softmax.Forward<double>(x, k, temperature, y);
        return y;
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(0.1)]
    public void Backward_MatchesFiniteDifferenceVjp(double temperature)
    {
        const int n = 3, k = 5;
        double[] x = Reference.RandomLogits(11, n * k);
        double[] g = Reference.RandomLogits(12, n * k);
        double[] y = Forward(x, k, temperature);
        var dx = new double[n * k];
        Softmax.Backward<double>(y, g, k, temperature, dx);
        var check = GradientChecker.CheckVectorJacobianProduct(p => Forward(p, k, temperature), x, g, dx);
        Assert.True(check.Passes(dx, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Backward_DefaultTemperature_EqualsTemperatureOne()
    {
        double[] x = Reference.RandomLogits(13, 8);
        double[] g = Reference.RandomLogits(14, 8);
        double[] y = Forward(x, 4, 1.0);
        var a = new double[8];
        var b = new double[8];
        Softmax.Backward<double>(y, g, 4, a);
        Softmax.Backward<double>(y, g, 4, 1.0, b);
        Assert.Equal(b, a);
        var y1 = new double[8];
        Softmax.Forward<double>(x, 4, y1);
        Assert.Equal(y, y1);
    }

    [Fact]
    public void Rows_SumToOne_AndAreInvariantToRowShift()
    {
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 4], Gen.Double[-1e3, 1e3], Gen.Int[0, 1_000_000])
            .Sample((k, n, shift, seed) =>
            {
                double[] x = Reference.RandomLogits(seed, n * k, 50);
                double[] y = Forward(x, k, 1.0);
                double[] shifted = (double[])x.Clone();
                for (int i = 0; i < shifted.Length; i++)
                {
                    // The same shift for every entry of a row; a different one per row.
                    shifted[i] += shift * (1 + (i / k));
                }

                double[] ys = Forward(shifted, k, 1.0);
                for (int r = 0; r < n; r++)
                {
                    double s = 0;
                    for (int c = 0; c < k; c++)
                    {
                        s += y[r * k + c];
                        Assert.InRange(y[r * k + c], 0.0, 1.0);
                    }

                    Assert.Equal(1.0, s, 1e-12);
                }

                ActivationReference.AllClose(y, ys, 1e-9, "shifted");
            }, iter: 200);
    }

    [Fact]
    public void TemperatureToZero_ApproachesHardmax()
    {
        Gen.Select(Gen.Int[1, 10], Gen.Int[0, 1_000_000]).Sample((k, seed) =>
        {
            double[] x = Reference.RandomLogits(seed, k, 5);
            var sorted = (double[])x.Clone();
            Array.Sort(sorted);
            if (k > 1 && sorted[k - 1] - sorted[k - 2] < 1e-2)
            {
                return; // a near-tie converges too slowly to test with a fixed temperature
            }

            var hard = new double[k];
            Hardmax.Forward<double>(x, k, hard);
            double previousError = double.PositiveInfinity;
            foreach (double t in (double[])[1.0, 0.1, 0.01, 1e-4])
            {
                double[] y = Forward(x, k, t);
                double error = 0;
                for (int c = 0; c < k; c++)
                {
                    error = Math.Max(error, Math.Abs(y[c] - hard[c]));
                }

                Assert.True(error <= previousError + 1e-15, $"error grew to {error} at temperature {t}");
                previousError = error;
            }

            Assert.True(previousError < 1e-12, $"softmax at temperature 1e-4 is {previousError} from hardmax");
        }, iter: 200);
    }

    [Fact]
    public void SoftmaxOf_100_99_0_IsFiniteInFloat()
    {
        // TensorPrimitives.SoftMax([100, 99, 0]) in float is NaN, NaN, 0 (exp(100) overflows float).
        // By hand: e^0 / (1 + e^-1 + e^-100) = 0.7310585786..., e^-1 / (...) = 0.2689414213..., e^-100 / (...) = 2.7e-44.
        // torch.softmax(torch.tensor([100., 99., 0.]), 0) = [0.7310586, 0.2689414, 2.8026e-44].
        float[] y = new float[3];
        Softmax.Forward<float>([100f, 99f, 0f], 3, y);
        Assert.Equal(0.7310585786f, y[0], 6);
        Assert.Equal(0.2689414213f, y[1], 6);
        Assert.True(y[2] >= 0 && y[2] < 1e-40f, $"y[2] = {y[2]}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryRowLength_1To48_MatchesSlowReference(bool single)
    {
        const int n = 3;
        for (int k = 1; k <= 48; k++)
        {
            double[] x = Reference.RandomLogits(100 + k, n * k, 20);
            double[] expected = ActivationReference.Rows(x, k, r => ActivationReference.Softmax(r, 0.7));
            if (single)
            {
                float[] xf = Reference.ToFloat(x);
                x = Reference.ToDouble(xf);
                expected = ActivationReference.Rows(x, k, r => ActivationReference.Softmax(r, 0.7));
                var yf = new float[n * k];
                Softmax.Forward<float>(xf, k, 0.7, yf);
                ActivationReference.AllClose(expected, Reference.ToDouble(yf), 2e-7, $"float K={k}");
            }
            else
            {
                ActivationReference.AllClose(expected, Forward(x, k, 0.7), 1e-13, $"double K={k}");
            }
        }
    }

    [Fact]
    public void MaskedEntries_GiveZero_AndAllMaskedRowIsNaN()
    {
        double ninf = double.NegativeInfinity;
        double[] y = Forward([ninf, 0.0, 0.0, ninf, ninf, ninf], 3, 1.0);
        Assert.Equal([0.0, 0.5, 0.5], y[..3]);
        Assert.All(y[3..], v => Assert.True(double.IsNaN(v)));
        double[] nan = Forward([1.0, double.NaN, 2.0], 3, 1.0);
        Assert.All(nan, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void InPlace_GivesTheSameResult()
    {
        double[] x = Reference.RandomLogits(21, 12);
        double[] expected = Forward(x, 4, 0.5);
        Softmax.Forward<double>(x, 4, 0.5, x);
        Assert.Equal(expected, x);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonPositiveOrNonFiniteTemperature_Throws(double temperature)
    {
        var y = new double[4];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Forward<double>(new double[4], 2, temperature, y));
        Assert.Equal("temperature", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Backward<double>(new double[4], new double[4], 2, temperature, y));
    }

    [Fact]
    public void ShapeMismatch_Throws()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Softmax.Forward<double>(new double[6], 3, new double[5])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Softmax.Forward<double>(new double[7], 3, new double[7])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Forward<double>(new double[6], 0, new double[6]));
        Assert.Equal("upstream", Assert.Throws<ArgumentException>(() => Softmax.Backward<double>(new double[6], new double[3], 3, new double[6])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Softmax.Backward<double>(new double[6], new double[6], 3, new double[3])).ParamName);
    }

    [Fact]
    public void EmptyBatch_WritesNothing()
    {
        Softmax.Forward<double>([], 3, []);
        Softmax.Backward<double>([], [], 3, []);
    }
}
