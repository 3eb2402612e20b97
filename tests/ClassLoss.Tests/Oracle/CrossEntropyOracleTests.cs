using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="SoftmaxCrossEntropy"/> against PyTorch 1.13's <c>torch.nn.functional.cross_entropy</c> on every case
/// of <c>golden/cross_entropy.json</c> (written by <c>generate_golden.py</c>, float64, gradients by autograd).
/// The temperature is fed to torch as <c>cross_entropy(logits / T, ...)</c>; a mean over zero weight is compared
/// with <see cref="EmptyMean.NaN"/>, which is torch's 0 / 0.
/// </summary>
public class CrossEntropyOracleTests
{
    private const string Function = "cross_entropy";

    // Double: the kernel computes in double like torch, so only a few ulps of rounding separate them.
    private const double DoubleRelative = 1e-9;
    private const double DoubleAbsolute = 1e-12;

    // Float: inputs are float32-exact, the kernel computes in double and rounds its outputs once, so 1e-5 is ample.
    // The absolute floor only covers entries in float's subnormal range (below 1.2e-38), where relative error is moot.
    private const double FloatRelative = 1e-5;
    private const double FloatAbsolute = 1e-30;

    public static TheoryData<string> Cases => GoldenFile.CaseNames(Function);

    [Fact]
    public void GoldenFile_HasAtLeast300CasesFromTorch()
    {
        var file = GoldenFile.Load(Function);
        Assert.Equal(Function, file.Function);
        Assert.StartsWith("1.", file.TorchVersion, StringComparison.Ordinal);
        Assert.True(file.Cases.Count >= 300, $"only {file.Cases.Count} cases");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_MatchesTorch(string name)
    {
        var c = GoldenFile.Load(Function)[name];
        var o = Options(c, EmptyMean.NaN);
        var g = new double[c.Input.Length];
        var rows = new double[c.Rows];
        var r = c.Options["target_kind"].GetString() == "index"
            ? SoftmaxCrossEntropy.Evaluate<double>(c.Input, c.Labels, c.Classes, o, g, rows)
            : SoftmaxCrossEntropy.Evaluate<double>(c.Input, c.Target, c.Classes, o, g, rows);

        double absolute = DoubleAbsolute;
        Compare(name, "loss", [r.Value], [c.Loss], DoubleRelative, absolute);
        if (c.RowLosses is not null)
        {
            Compare(name, "row loss", rows, c.RowLosses, DoubleRelative, absolute);
        }

        Compare(name, "gradient", g, c.Grad, DoubleRelative, absolute);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_MatchesTorch(string name)
    {
        var c = GoldenFile.Load(Function)[name];
        var o = Options(c, EmptyMean.NaN);
        float[] z = ToFloat(c.Input);
        var g = new float[z.Length];
        var rows = new float[c.Rows];
        var r = c.Options["target_kind"].GetString() == "index"
            ? SoftmaxCrossEntropy.Evaluate<float>(z, c.Labels, c.Classes, o, g, rows)
            : SoftmaxCrossEntropy.Evaluate<float>(z, ToFloat(c.Target!), c.Classes, o, g, rows);

        // The float path (the fused SIMD kernel for unweighted index targets) sums exp in float lanes flushed to double,
        // and forms p_y - 1 in float, as float32 libtorch does: its absolute error is about one float ulp of 1 (2^-23)
        // per row in the loss and of the largest gradient entry in the gradient. Relative 1e-5 applies above that.
        const double floatUlpOfOne = 1.0 / (1 << 23);
        double lossAbsolute = Math.Max(FloatAbsolute, 2 * floatUlpOfOne * c.Rows);
        double gradientAbsolute = Math.Max(FloatAbsolute, 2 * floatUlpOfOne * MaxAbs(c.Grad));
        Compare(name, "loss", [r.Value], [c.Loss], FloatRelative, lossAbsolute);
        if (c.RowLosses is not null)
        {
            Compare(name, "row loss", ToDouble(rows), c.RowLosses, FloatRelative, 2 * floatUlpOfOne);
        }

        Compare(name, "gradient", ToDouble(g), c.Grad, FloatRelative, gradientAbsolute);
    }

    private static double MaxAbs(double[] values)
    {
        double m = 0;
        foreach (double v in values)
        {
            if (double.IsFinite(v))
            {
                m = Math.Max(m, Math.Abs(v));
            }
        }

        return m;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DefaultEmptyMean_IsZeroWhereTorchGivesNaN(string name)
    {
        // Torch's mean over zero weight (every row ignored, or every counted row of weight 0) is 0 / 0 = NaN with a
        // zero gradient; our default EmptyMean.Zero turns exactly those cases into 0 and leaves the rest unchanged.
        var c = GoldenFile.Load(Function)[name];
        var o = Options(c, EmptyMean.Zero);
        var g = new double[c.Input.Length];
        var r = c.Options["target_kind"].GetString() == "index"
            ? SoftmaxCrossEntropy.Evaluate<double>(c.Input, c.Labels, c.Classes, o, g, default)
            : SoftmaxCrossEntropy.Evaluate<double>(c.Input, c.Target, c.Classes, o, g, default);
        bool torchEmpty = o.Reduction == Reduction.Mean && double.IsNaN(c.Loss) && r.Denominator == 0;
        if (torchEmpty)
        {
            Assert.Equal(0.0, r.Value);
            Assert.All(g, v => Assert.Equal(0.0, v));
        }
        else
        {
            Compare(name, "loss", [r.Value], [c.Loss], DoubleRelative, DoubleAbsolute);
        }
    }

    [Fact]
    public void AllIgnoredMean_IsNaNInTorch_AndCovered()
    {
        var file = GoldenFile.Load(Function);
        var empty = file.Cases.FindAll(c => c.Name.StartsWith("all_ignored_mean", StringComparison.Ordinal));
        Assert.NotEmpty(empty);
        Assert.All(empty, c => Assert.True(double.IsNaN(c.Loss), c.Name));
    }

    [Fact]
    public void MaskedClassWithZeroTarget_IsNaNInTorch_ButFiniteHere()
    {
        // Convention difference (documented, not a bug): with probability targets torch evaluates 0 * (-inf) = NaN
        // for a masked (-inf) logit whose target is 0. We follow 0 log 0 = 0 (Optax, DESIGN.md numerics 4); the
        // golden value of these cases is torch's formula with that term taken as 0 (torch.where), compared above.
        var masked = GoldenFile.Load(Function).Cases.FindAll(c => c.Name.StartsWith("masked_prob_", StringComparison.Ordinal));
        Assert.NotEmpty(masked);
        foreach (var c in masked)
        {
            var native = c.TorchNativeLoss!.Value;
            bool torchNaN = native.ValueKind == System.Text.Json.JsonValueKind.Array
                ? native.EnumerateArray().Any(e => double.IsNaN(LenientDoubleConverter.Parse(e)))
                : double.IsNaN(LenientDoubleConverter.Parse(native));
            Assert.True(torchNaN, c.Name);
            var r = SoftmaxCrossEntropy.Evaluate<double>(c.Input, c.Target, c.Classes, Options(c, EmptyMean.NaN), default, default);
            Assert.True(double.IsFinite(r.Value), c.Name);
        }
    }

    internal static SoftmaxCrossEntropyOptions Options(GoldenCase c, EmptyMean whenEmpty) => new()
    {
        Reduction = ParseReduction(c.String("reduction")),
        WhenEmpty = whenEmpty,
        ClassWeights = c.Doubles("weight"),
        IgnoreIndex = c.Int("ignore_index"),
        LabelSmoothing = c.Double("label_smoothing"),
        Temperature = c.Double("temperature"),
    };

    internal static Reduction ParseReduction(string s) => s switch
    {
        "none" => Reduction.None,
        "sum" => Reduction.Sum,
        "mean" => Reduction.Mean,
        "batchmean" => Reduction.BatchMean,
        _ => throw new ArgumentException($"Unknown reduction '{s}'.", nameof(s)),
    };

    internal static void Compare(string name, string what, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected,
        double relative, double absolute)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual[i], e = expected[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a)
                : double.IsInfinity(e) ? a == e
                : Math.Abs(a - e) <= absolute + relative * Math.Abs(e);
            if (!ok)
            {
                Assert.Fail($"{name}: {what}[{i}] = {a:R}, torch {e:R} (abs diff {Math.Abs(a - e):R}, rel {Math.Abs(a - e) / Math.Abs(e):R})");
            }
        }
    }

    internal static float[] ToFloat(double[] x) => Array.ConvertAll(x, v => (float)v);

    internal static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);
}
