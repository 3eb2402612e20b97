using ClassLoss.Activations;
using ClassLoss.Diagnostics;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Activations;

public class Entmax15Tests
{
    private static double[] Forward(double[] x, int k)
    {
        var y = new double[x.Length];
        Entmax15.Forward<double>(x, k, y);
        return y;
    }

    /// <summary>An independent reference: τ of one row by bisection on Σ [x/2 - τ]_+² = 1 (200 halvings), no sort.</summary>
    private static double[] Bisection(double[] x)
    {
        double max = x.Max();
        double lo = (max / 2) - 1, hi = max / 2; // f(lo) ≥ 1 (the top entry alone gives 1), f(hi) = 0
        for (int i = 0; i < 200; i++)
        {
            double mid = (lo + hi) / 2;
            double f = x.Sum(v => Math.Pow(Math.Max((v / 2) - mid, 0), 2));
            if (f >= 1)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return Array.ConvertAll(x, v => Math.Pow(Math.Max((v / 2) - lo, 0), 2));
    }

    [Fact]
    public void EntmaxReadmeExample_Gives0_0_3260_0_6740()
    {
        // The entmax package's README (deep-spin/entmax): x = [-2, 0, 0.5] -> softmax [0.0486, 0.3592, 0.5922],
        // sparsemax [0.0000, 0.2500, 0.7500], entmax15 [0.0000, 0.3260, 0.6740].
        double[] x = [-2, 0, 0.5];
        double[] y = Forward(x, 3);
        Assert.Equal(0.0, y[0]);
        Assert.Equal(0.3260, y[1], 4);
        Assert.Equal(0.6740, y[2], 4);
        var sparse = new double[3];
        Sparsemax.Forward<double>(x, 3, sparse);
        ActivationReference.AllClose([0, 0.25, 0.75], sparse, 1e-15);
        ActivationReference.AllClose([0.0486, 0.3592, 0.5922], ActivationReference.Softmax(x), 5e-5);
        // By hand (the class remarks): τ = -0.125 - √(0.484375), y_1 = (-0.25 - τ)², y_2 = τ².
        double tau = -0.125 - Math.Sqrt(0.484375);
        ActivationReference.AllClose([0, (-0.25 - tau) * (-0.25 - tau), tau * tau], y, 1e-15);
    }

    [Fact]
    public void Output_LiesOnTheSimplex_AndMatchesABisectionReference()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            int k = 1 + (seed % 40);
            double scale = new[] { 0.01, 0.3, 1, 3, 20, 1e4 }[seed % 6];
            double[] x = Reference.RandomLogits(1000 + seed, k, scale);
            double[] y = Forward(x, k);
            Assert.All(y, v => Assert.True(v >= 0, $"negative entry {v}"));
            Assert.Equal(1.0, y.Sum(), 1e-12);
            ActivationReference.AllClose(Bisection(x), y, 1e-11, $"seed {seed}");
        }
    }

    [Fact]
    public void Sparsity_LiesBetweenSoftmaxAndSparsemax_WithNestedSupports()
    {
        // Softmax is dense; 1.5-entmax keeps every class sparsemax keeps, and more (at most all).
        int strictlyBetween = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            int k = 2 + (seed % 30);
            double[] x = Reference.RandomLogits(2000 + seed, k, new[] { 0.5, 2, 5 }[seed % 3]);
            double[] entmax = Forward(x, k);
            var sparse = new double[k];
            Sparsemax.Forward<double>(x, k, sparse);
            for (int c = 0; c < k; c++)
            {
                Assert.True(sparse[c] == 0 || entmax[c] > 0, $"seed {seed}: class {c} kept by sparsemax, dropped by entmax");
            }

            int nnzEntmax = entmax.Count(v => v > 0), nnzSparse = sparse.Count(v => v > 0);
            Assert.InRange(nnzEntmax, nnzSparse, k);
            Assert.All(ActivationReference.Softmax(x), v => Assert.True(v > 0));
            strictlyBetween += nnzSparse < nnzEntmax && nnzEntmax < k ? 1 : 0;
        }

        Assert.True(strictlyBetween > 30, $"only {strictlyBetween} rows strictly between");
    }

    [Fact]
    public void Output_IsInvariantToRowShift_AndHandlesLargeAndMaskedLogits()
    {
        double[] x = Reference.RandomLogits(31, 12, 2);
        ActivationReference.AllClose(Forward(x, 12), Forward(Array.ConvertAll(x, v => v + 1e3), 12), 1e-11);
        ActivationReference.AllClose([1, 0, 0, 0], Forward([1e4, -1e4, 0, 9997], 4), 0);
        double[] masked = Forward([double.NegativeInfinity, 0, 0.5, double.NegativeInfinity], 4);
        ActivationReference.AllClose([0, 0.3260073636615617, 0.6739926363384381, 0], masked, 1e-15);
        Assert.All(Forward([double.NaN, 1], 2), v => Assert.True(double.IsNaN(v)));
        Assert.All(Forward([double.PositiveInfinity, 1], 2), v => Assert.True(double.IsNaN(v)));
        Assert.All(Forward([double.NegativeInfinity, double.NegativeInfinity], 2), v => Assert.True(double.IsNaN(v)));
        Assert.Equal([1.0], Forward([-7.5], 1));
        ActivationReference.AllClose([0.5, 0.5], Forward([3, 3], 2), 1e-15); // a tie: the two classes share equally
    }

    [Fact]
    public void Backward_MatchesFiniteDifferenceVjp_OnAndOffTheSupport()
    {
        const int n = 8, k = 9;
        double[] x = Reference.RandomLogits(41, n * k, 2.5);
        double[] y = Forward(x, k);
        int support = y.Count(v => v > 0);
        Assert.InRange(support, n + 1, (n * k) - 1);
        double[] g = Reference.RandomLogits(42, n * k, 1);
        var dx = new double[n * k];
        Entmax15.Backward<double>(y, g, k, dx);
        var check = GradientChecker.CheckVectorJacobianProduct(p => Forward(p, k), x, g, dx);
        Assert.True(check.Passes(dx, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Backward_OfAConstantUpstream_IsZero_AndFloatMatchesDouble()
    {
        double[] x = Reference.RandomLogits(43, 20, 3);
        double[] y = Forward(x, 5);
        var dx = new double[20];
        Entmax15.Backward<double>(y, Enumerable.Repeat(0.7, 20).ToArray(), 5, dx);
        Assert.All(dx, v => Assert.Equal(0.0, v, 15));

        float[] xf = Reference.ToFloat(x);
        var yf = new float[20];
        Entmax15.Forward<float>(xf, 5, yf);
        ActivationReference.AllClose(Forward(Reference.ToDouble(xf), 5), Reference.ToDouble(yf), 1e-6);
        var nan = new double[2];
        Entmax15.Backward<double>([0.0, 0.0], [1.0, 2.0], 2, nan);
        Assert.All(nan, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void BadShapes_Throw()
    {
        Assert.Throws<ArgumentException>(() => Entmax15.Forward<double>(new double[5], 2, new double[5]));
        Assert.Throws<ArgumentException>(() => Entmax15.Forward<double>(new double[4], 2, new double[3]));
        Assert.Throws<ArgumentException>(() => Entmax15.Forward<double>(new double[4], 2, new double[4], new double[1]));
        Assert.Throws<ArgumentException>(() => Entmax15.Backward<double>(new double[4], new double[3], 2, new double[4]));
    }
}
