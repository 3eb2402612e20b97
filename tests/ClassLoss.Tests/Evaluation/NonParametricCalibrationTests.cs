using ClassLoss.Evaluation;
using R = ClassLoss.Tests.Evaluation.SklearnReference;

namespace ClassLoss.Tests.Evaluation;

/// <summary>Isotonic (against sklearn's CalibratedClassifierCV), histogram binning, beta calibration, the JSON round trip and the fit warnings.</summary>
public class NonParametricCalibrationTests
{
    private static readonly string[] Three = ["a", "b", "c"];

    private static double[] Logs(double[] p) => [.. p.Select(v => Math.Log(Math.Max(v, 1e-300)))];

    private static double[] ApplyAll(Calibrator c, double[] logits)
    {
        int k = c.ClassNames.Count;
        var output = new double[logits.Length];
        for (int i = 0; i < logits.Length / k; i++)
        {
            c.Apply(logits.AsSpan(i * k, k), output.AsSpan(i * k, k));
        }

        return output;
    }

    private static void AllClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void Isotonic_MatchesScikitLearnCalibratedClassifierCV_OneVsRestThenRenormalised()
    {
        var c = IsotonicCalibration.Fit(Logs(R.IsoFitP), R.IsoFitY, Three, PredictionValues.Probabilities);
        Assert.Equal(3, c.Knots!.Count);
        AllClose(R.IsoExpected, ApplyAll(c, Logs(R.IsoTestP)), 1e-9);
    }

    [Fact]
    public void Isotonic_Binary_FitsThePositiveColumnOnly_AsScikitLearn()
    {
        var fit = R.BinaryP.SelectMany(p => new[] { 1 - p, p }).ToArray();
        var y = R.BinaryLabels.Select(l => l == "spam" ? 1 : 0).ToArray();
        var c = IsotonicCalibration.Fit(Logs(fit), y, ["ham", "spam"], PredictionValues.Probabilities);
        Assert.Single(c.Knots!);
        AllClose(R.IsoBinaryExpected, ApplyAll(c, Logs(R.IsoBinaryTestP)), 1e-9);
    }

    [Fact]
    public void Pava_PoolsAdjacentViolators_AndMergesTiedScores()
    {
        var (x, y) = IsotonicCalibration.Pava([1, 2, 3, 4, 4], [1, 3, 2, 1, 0]);
        // Tied scores at 4 merge to 0.5 (weight 2); then 3, 2, 0.5 with weights 1, 1, 2 pool to 1.5; the inner
        // point (3, 1.5) of the constant run is dropped.
        Assert.Equal([1.0, 2, 4], x);
        Assert.Equal([1.0, 1.5, 1.5], y);
    }

    [Fact]
    public void HistogramBinning_MapsEachBinToTheFrequencyOfItsClass()
    {
        // Binary: p_1 of 0.1, 0.15 (bin 0 of 4) with labels 1, 0; 0.9 (bin 3) with label 1; bins 1, 2 empty.
        double[] p = [0.9, 0.1, 0.85, 0.15, 0.1, 0.9];
        var c = HistogramBinning.Fit(Logs(p), [1, 0, 1], ["n", "y"], bins: 4);
        Assert.Equal([0.5, 0.375, 0.625, 1.0], c.KnotValues![0]);
        var q = new double[2];
        c.Apply(Logs([0.8, 0.2]), q);
        Assert.Equal(0.5, q[1], 12);
        Assert.Equal(0.5, q[0], 12);
    }

    [Fact]
    public void Beta_MatchesTheBetacalRecipe_LogisticRegressionOnLogFeatures()
    {
        var logits = R.BetaP.SelectMany(p => new[] { Math.Log(1 - p), Math.Log(p) }).ToArray();
        var c = BetaCalibration.Fit(logits, R.BetaY, ["0", "1"]);
        Assert.Equal(R.BetaA, c.A!.Value, 5);
        Assert.Equal(R.BetaB, c.B!.Value, 5);
        Assert.Equal(R.BetaC, c.C!.Value, 5);
        Assert.True(c.FitNllAfter < c.FitNllBefore);
    }

    [Fact]
    public void Beta_RefitsWithAZero_WhenTheUnconstrainedAIsNegative_AndSaysSo()
    {
        // The label gets likelier as p falls at small p: the free fit wants a < 0.
        var rng = new Random(8);
        const int n = 2000;
        var z = new double[2 * n];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            double p = 0.01 + 0.98 * rng.NextDouble();
            z[2 * i] = Math.Log(1 - p);
            z[2 * i + 1] = Math.Log(p);
            double truth = p < 0.3 ? 0.6 - p : p;
            y[i] = rng.NextDouble() < truth ? 1 : 0;
        }

        var c = BetaCalibration.Fit(z, y, ["0", "1"]);
        Assert.Equal(0, c.A!.Value);
        Assert.True(c.B >= 0);
        Assert.Contains(c.Warnings!, w => w.Contains("a = 0", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("isotonic")]
    [InlineData("histogram")]
    [InlineData("beta")]
    [InlineData("dirichlet")]
    public void Calibrators_RoundTripThroughJson_GivingTheSameProbabilities(string method)
    {
        var (z, y) = CalibrationTests.OverConfident(5, 500, method == "beta" ? 2 : 3, 2.0);
        string[] names = method == "beta" ? ["n", "y"] : Three;
        var c = method switch
        {
            "isotonic" => IsotonicCalibration.Fit(z, y, names, PredictionValues.Logits),
            "histogram" => HistogramBinning.Fit(z, y, names),
            "dirichlet" => DirichletCalibration.Fit(z, y, names),
            _ => BetaCalibration.Fit(z, y, names),
        };
        var back = Calibrator.FromJson(c.ToJson());
        Assert.Equal(ApplyAll(c, z), ApplyAll(back, z));
        Assert.True(c.FitNllAfter < c.FitNllBefore, $"{method}: {c.FitNllBefore} -> {c.FitNllAfter}");
        foreach (double v in ApplyAll(c, z))
        {
            Assert.InRange(v, 0, 1);
        }
    }

    /// <summary>Labels drawn from softmax(A ln q + c) for a known A and c: the unregularised fit recovers them.</summary>
    [Fact]
    public void Dirichlet_WithoutRegularisation_RecoversTheGeneratingMatrixAndBiases()
    {
        double[,] a = { { 1.5, 0.3, 0 }, { 0, 0.8, 0.4 }, { -0.3, 0, 1.2 } };
        double[] bias = [0.2, -0.4, 0.2];
        var rng = new Random(9);
        const int n = 30000;
        var z = new double[3 * n];
        var y = new int[n];
        var lq = new double[3];
        var p = new double[3];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                z[3 * i + c] = 2 * (rng.NextDouble() - 0.5) * 3;
            }

            ClassLoss.Activations.LogSoftmax.Forward<double>(z.AsSpan(3 * i, 3), 3, lq);
            for (int c = 0; c < 3; c++)
            {
                p[c] = bias[c] + a[c, 0] * lq[0] + a[c, 1] * lq[1] + a[c, 2] * lq[2];
            }

            ClassLoss.Activations.Softmax.Forward<double>(p, 3, p);
            double u = rng.NextDouble();
            y[i] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
        }

        var cal = DirichletCalibration.Fit(z, y, Three, lambda: 0, mu: 0);

        // The fit is a maximum of the likelihood: no worse on the fitting rows than the generating map itself.
        var truth = cal with { Matrix = [.. Enumerable.Range(0, 3).Select(c => (IReadOnlyList<double>)[a[c, 0], a[c, 1], a[c, 2]])], Biases = bias };
        double trueNll = 0;
        var q = new double[3];
        for (int i = 0; i < n; i++)
        {
            truth.Apply(z.AsSpan(3 * i, 3), q);
            trueNll -= Math.Log(q[y[i]]) / n;
        }

        Assert.True(cal.FitNllAfter <= trueNll + 1e-12, $"fitted NLL {cal.FitNllAfter} > generating map's {trueNll}");
        // softmax is unchanged by adding one vector to every row of W (ln q's rows differ by a constant only
        // through lse, absorbed by the matrix's row sums) and one constant to b: compare differences between rows.
        for (int c = 1; c < 3; c++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.InRange(cal.Matrix![c][j] - cal.Matrix[0][j], a[c, j] - a[0, j] - 0.25, a[c, j] - a[0, j] + 0.25);
            }

            Assert.InRange(cal.Biases![c] - cal.Biases[0], bias[c] - bias[0] - 0.25, bias[c] - bias[0] + 0.25);
        }
    }

    [Fact]
    public void Dirichlet_OdirLambda_ShrinksTheOffDiagonal_AndUnregularisedBeatsTemperatureOnTheFitSet()
    {
        var (z, y) = CalibrationTests.OverConfident(7, 1500, 3, 2.5);
        var free = DirichletCalibration.Fit(z, y, Three, lambda: 0, mu: 0);
        var shrunk = DirichletCalibration.Fit(z, y, Three, lambda: 1e4, mu: 0);
        double OffDiagonal(Calibrator c) => Enumerable.Range(0, 3).SelectMany(r => Enumerable.Range(0, 3).Where(j => j != r).Select(j => Math.Abs(c.Matrix![r][j]))).Max();
        Assert.True(OffDiagonal(shrunk) < 0.1 * OffDiagonal(free), $"{OffDiagonal(shrunk)} vs {OffDiagonal(free)}");
        Assert.True(free.FitNllAfter <= TemperatureScaling.Fit(z, y, Three).FitNllAfter + 1e-9);
    }

    [Fact]
    public void FromJson_RefusesIsotonicKnotsThatAreNotSorted()
    {
        const string json = """{ "method": "isotonic", "class_names": ["a", "b"], "input": "probabilities", "knots": [[0.5, 0.2]], "knot_values": [[0.1, 0.3]] }""";
        Assert.Throws<InvalidDataException>(() => Calibrator.FromJson(json));
    }

    [Fact]
    public void TemperatureScaling_OnTwoSeparatedRows_SaysTheTemperatureIsABound()
    {
        var c = TemperatureScaling.Fit([2.0, 0.0, 0.0, 2.0], [0, 1], ["a", "b"]);
        Assert.Contains(c.Warnings!, w => w.Contains("search bound", StringComparison.Ordinal) && w.Contains("not an estimate", StringComparison.Ordinal));
        Assert.Contains(c.Warnings!, w => w.Contains("only 2 fitting rows", StringComparison.Ordinal));
    }

    [Fact]
    public void TemperatureScaling_OnEnoughInformativeRows_HasNoWarnings()
    {
        var (z, y) = CalibrationTests.OverConfident(6, 2000, 3, 2.0);
        Assert.Null(TemperatureScaling.Fit(z, y, Three).Warnings);
    }
}
