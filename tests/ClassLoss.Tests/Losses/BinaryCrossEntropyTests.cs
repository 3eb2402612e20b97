using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class BinaryCrossEntropyTests
{
    private static double[] RandomTargets(int seed, int length)
    {
        var rng = new Random(seed);
        var t = new double[length];
        for (int i = 0; i < length; i++)
        {
            t[i] = i % 3 == 2 ? rng.NextDouble() : rng.Next(2);
        }

        return t;
    }

    /// <summary>The naive definition -[pw y log σ(x) + (1 - y) log(1 - σ(x))], for moderate logits only.</summary>
    private static double NaiveElement(double x, double y, double pw, double w)
    {
        double s = 1 / (1 + Math.Exp(-x));
        return -w * (pw * y * Math.Log(s) + (1 - y) * Math.Log(1 - s));
    }

    public static TheoryData<bool, bool, double, bool, Reduction> SigmoidOptions => new()
    {
        { false, false, 0.0, false, Reduction.Mean },
        { true, false, 0.0, false, Reduction.Mean },
        { true, true, 0.1, false, Reduction.Sum },
        { false, true, 0.2, true, Reduction.BatchMean },
        { true, true, 0.0, true, Reduction.None },
    };

    [Theory]
    [MemberData(nameof(SigmoidOptions))]
    public void SigmoidGradient_MatchesFiniteDifferences(bool posWeight, bool classWeight, double smoothing, bool elementWeight, Reduction reduction)
    {
        const int n = 4, k = 3;
        double[] x = Reference.RandomLogits(31, n * k, 4);
        double[] y = RandomTargets(32, n * k);
        double[] ew = elementWeight ? Reference.RandomProbabilities(33, n, k) : [];
        var o = new SigmoidBinaryCrossEntropyOptions
        {
            PositiveWeights = posWeight ? [2, 0.5, 3] : null,
            ClassWeights = classWeight ? [1, 0, 0.5] : null,
            LabelSmoothing = smoothing,
            Reduction = reduction,
        };
        var g = new double[n * k];
        SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, k, o, g, default, sampleWeights: ew);
        var check = GradientChecker.Check(v => SigmoidBinaryCrossEntropy.Evaluate<double>(v, y, k, o, default, default, sampleWeights: ew).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(ProbabilityClamp.LogAtMinus100, false, 0.0, Reduction.Mean)]
    [InlineData(ProbabilityClamp.KerasClip, true, 0.1, Reduction.Sum)]
    [InlineData(ProbabilityClamp.None, true, 0.0, Reduction.BatchMean)]
    public void ProbabilityGradient_MatchesFiniteDifferences(ProbabilityClamp clamp, bool posWeight, double smoothing, Reduction reduction)
    {
        const int n = 3, k = 4;
        double[] p = Array.ConvertAll(Reference.RandomLogits(34, n * k), v => 1 / (1 + Math.Exp(-v)));
        double[] y = RandomTargets(35, n * k);
        var o = new BinaryCrossEntropyFromProbabilitiesOptions { Clamp = clamp, PositiveWeights = posWeight ? [2, 0.5, 3, 1] : null, LabelSmoothing = smoothing, Reduction = reduction };
        var g = new double[n * k];
        BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, k, o, g, default);
        var check = GradientChecker.Check(v => BinaryCrossEntropyFromProbabilities.Evaluate<double>(v, y, k, o, default, default).Value, p, g, 1e-8);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void KerasFromLogitsDocstringExample_Is0Point865()
    {
        // keras.losses.BinaryCrossentropy(from_logits=True) docstring: y_true [0,1,0,0],
        // y_pred [-18.6, 0.51, 2.94, -12.8] gives 0.865.
        double[] x = [-18.6, 0.51, 2.94, -12.8];
        double[] y = [0, 1, 0, 0];
        Assert.Equal(0.865, SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, 4, null, default, default).Value, 3);
        Assert.Equal(0.865, SigmoidBinaryCrossEntropy.Evaluate<float>([-18.6f, 0.51f, 2.94f, -12.8f], [0f, 1, 0, 0], 1, null, default, default).Value, 3);
    }

    [Fact]
    public void KerasProbabilityDocstringExample_Is0Point815()
    {
        // keras.losses.BinaryCrossentropy() docstring: y_true [[0,1],[0,0]], y_pred [[0.6,0.4],[0.4,0.6]] gives 0.815.
        double[] p = [0.6, 0.4, 0.4, 0.6];
        double[] y = [0, 1, 0, 0];
        Assert.Equal(0.815, BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, new BinaryCrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.KerasClip }, default, default).Value, 3);
        Assert.Equal(0.815, BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, null, default, default).Value, 3);
    }

    [Fact]
    public void WeightsAndPositiveWeights_MatchPyTorch()
    {
        // PyTorch 2.x: F.binary_cross_entropy_with_logits(x, y, weight=[1,2,.5], pos_weight=[2,.5,3]) with
        // x = [[.5,-1.2,2],[-.3,.8,-2.5]], y = [[1,0,1],[0,.3,1]] gives 1.3064453162698848 and the gradient below.
        double[] x = [0.5, -1.2, 2.0, -0.3, 0.8, -2.5];
        double[] y = [1, 0, 1, 0, 0.3, 1];
        var o = new SigmoidBinaryCrossEntropyOptions { ClassWeights = [1, 2, 0.5], PositiveWeights = [2, 0.5, 3] };
        var g = new double[6];
        var r = SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, 3, o, g, default);
        Assert.Equal(1.3064453162698848, r.Value, 12);
        double[] torchGrad = [-0.125846889599, 0.077158405500, -0.029800730506, 0.070926247198, 0.145492769653, -0.231035454995];
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(torchGrad[i], g[i], 10);
        }
    }

    [Fact]
    public void StableForm_MatchesNaiveDefinition_ForModerateLogits()
    {
        double[] x = Reference.RandomLogits(36, 12, 5);
        double[] y = RandomTargets(37, 12);
        double[] pw = [2, 0.5, 3];
        double[] w = [1, 2, 0.5];
        var losses = new double[12];
        SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, 3, new SigmoidBinaryCrossEntropyOptions { PositiveWeights = pw, ClassWeights = w, Reduction = Reduction.None }, default, losses);
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(NaiveElement(x[i], y[i], pw[i % 3], w[i % 3]), losses[i], 12);
        }
    }

    [Fact]
    public void LabelSmoothing_MovesTargetsTowardOneHalf()
    {
        // Keras: y' = y (1 - ε) + 0.5 ε; with ε = 0.2 a positive becomes 0.9, a negative 0.1.
        double[] x = [1.5, -0.7];
        var smoothed = SigmoidBinaryCrossEntropy.Evaluate<double>(x, [1.0, 0.0], 1, new SigmoidBinaryCrossEntropyOptions { LabelSmoothing = 0.2 }, default, default).Value;
        var explicitTargets = SigmoidBinaryCrossEntropy.Evaluate<double>(x, [0.9, 0.1], 1, null, default, default).Value;
        Assert.Equal(explicitTargets, smoothed, 14);
    }

    [Fact]
    public void Seed002_PerClassBinaryDecomposition_Gives3Point4And3Point3()
    {
        // Seed 002: true [1 0 0 0 0], predicted [.1 .5 .1 .1 .2] as five binary problems: -[ln .1 + ln .5 + ln .9 + ln .9 + ln .8] = 3.4;
        // multi-label true [1 0 0 0 1], predicted [.1 .5 .1 .1 .9]: 3.3.
        var sum = new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.Sum };
        double a = BinaryCrossEntropyFromProbabilities.Evaluate<double>([.1, .5, .1, .1, .2], [1.0, 0, 0, 0, 0], 5, sum, default, default).Value;
        double b = BinaryCrossEntropyFromProbabilities.Evaluate<double>([.1, .5, .1, .1, .9], [1.0, 0, 0, 0, 1], 5, sum, default, default).Value;
        Assert.Equal(3.4, a, 1);
        Assert.Equal(3.3, b, 1);
        Assert.Equal(-(Math.Log(.1) + Math.Log(.5) + Math.Log(.9) + Math.Log(.9) + Math.Log(.8)), a, 12);
    }

    [Fact]
    public void Seed002_ThousandClassesWithTwoPositives_NegativesDominate()
    {
        // Seed 002: 1000 classes, positives at 0 and 6 predicted 0.8, all others 0.1:
        // -2 ln 0.8 = 0.44 (positives) + -998 ln 0.9 = 105 (negatives).
        const int k = 1000;
        var p = new double[k];
        var y = new double[k];
        Array.Fill(p, 0.1);
        p[0] = p[6] = 0.8;
        y[0] = y[6] = 1;
        var elements = new double[k];
        var r = BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, k, new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.Sum }, default, elements);
        double positives = elements[0] + elements[6];
        double negatives = r.Value - positives;
        Assert.InRange(positives, 0.44, 0.45);
        Assert.Equal(105, Math.Round(negatives));
        Assert.Equal(r.Value / k, BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, k, null, default, default).Value, 14);
    }

    [Fact]
    public void PyTorchLogClampAtMinus100_MatchesBceLoss()
    {
        // PyTorch 2.x: F.binary_cross_entropy([[.2,.7,1e-50],[.9,.5,1]], [[0,1,1],[1,.5,1]]) = 16.89638769857845
        // (the 1e-50 positive is clamped to log = -100). The gradient is PyTorch's backward (p - y) / max(p (1 - p), 1e-12)
        // everywhere: -1.67e11 at the clamped 1e-50 (float32's eps 1e-12 over the 6 elements), 0 at p = 1, y = 1.
        double[] p = [0.2, 0.7, 1e-50, 0.9, 0.5, 1.0];
        double[] y = [0, 1, 1, 1, 0.5, 1];
        var g = new double[6];
        Assert.Equal(16.89638769857845, BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, 3, null, g, default).Value, 12);
        Assert.Equal(2.083333333333e-01, g[0], 12);
        Assert.Equal(-2.380952380952e-01, g[1], 12);
        Assert.Equal(-166666667332.63382, g[2], 1e-4); // torch 1.13's value; the clamp's derivative 0 before
        Assert.Equal(-1.851851851852e-01, g[3], 12);
        Assert.Equal(0.0, g[4], 14);
        Assert.Equal(0.0, g[5]); // torch's 0 / 1e-12; the exact -1/p of -y log p (-1/6) before
    }

    [Fact]
    public void LogitsOfTenThousand_GiveFiniteLossAndGradient()
    {
        float[] x = [1e4f, -1e4f, 1e4f, -1e4f];
        float[] y = [1f, 0f, 0f, 1f];
        var g = new float[4];
        var losses = new float[4];
        var r = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 2, new SigmoidBinaryCrossEntropyOptions { PositiveWeights = [3, 3], Reduction = Reduction.None }, g, losses);
        Assert.Equal(0f, losses[0]);
        Assert.Equal(0f, losses[1]);
        Assert.Equal(1e4f, losses[2]);
        Assert.Equal(3e4f, losses[3]);
        Assert.Equal(4e4, r.Value, 6);
        Assert.Equal([0f, 0f, 1f, -3f], g);
    }

    [Fact]
    public void FloatAndDouble_Agree()
    {
        double[] x = Reference.RandomLogits(38, 30, 6);
        double[] y = RandomTargets(39, 30);
        var o = new SigmoidBinaryCrossEntropyOptions { PositiveWeights = [1.5, 0.5, 2], LabelSmoothing = 0.05 };
        var gd = new double[30];
        var gf = new float[30];
        double d = SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, 3, o, gd, default).Value;
        double f = SigmoidBinaryCrossEntropy.Evaluate<float>(Reference.ToFloat(x), Reference.ToFloat(y), 3, o, gf, default).Value;
        Assert.Equal(d, f, 5);
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(gd[i], gf[i], 6);
        }
    }

    [Fact]
    public void BadInputs_Throw()
    {
        var t = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, 1.5], 2, null, default, default));
        Assert.Contains("targets row 0, column 1", t.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [double.NaN, 1.0], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, -0.1], 1, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0], 1, null, default, default));
        var pw = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, 1.0], 2, new SigmoidBinaryCrossEntropyOptions { PositiveWeights = [1, -2] }, default, default));
        Assert.Contains("PositiveWeights", pw.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, 1.0], 2, new SigmoidBinaryCrossEntropyOptions { PositiveWeights = [1] }, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, 1.0], 2, null, default, default, sampleWeights: [1.0, -1.0]));
        Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, 1.0], 2, null, default, new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SigmoidBinaryCrossEntropy.Evaluate<double>([0.0, 1.0], [0.0, 1.0], 2, new SigmoidBinaryCrossEntropyOptions { LabelSmoothing = -0.1 }, default, default));
        var p = Assert.Throws<ArgumentException>(() => BinaryCrossEntropyFromProbabilities.Evaluate<double>([0.5, 1.2], [0.0, 1.0], 2, null, default, default));
        Assert.Contains("input row 0, column 1", p.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BinaryCrossEntropyFromProbabilities.Evaluate<double>([0.5, double.NaN], [0.0, 1.0], 2, null, default, default));
    }
}
