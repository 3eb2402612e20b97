using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

/// <summary>
/// The debiased L2 calibration error (Kumar, Liang and Ma 2019; their calibration/utils.py): a worked example by hand,
/// the unbiasedness the estimator is for, its consistency on a miscalibrated model with a known error, the bootstrap
/// interval around it, the marginal form, and the argument checks.
/// </summary>
public class DebiasedCalibrationErrorTests
{
    /// <summary>
    /// By hand, n = 8, B = 2: sorted confidences 0.1, 0.2, 0.3, 0.4 | 0.9 x 4 (part size 4, boundary (0.4 + 0.9) / 2 =
    /// 0.65), correct 0, 0, 1, 0 | 1, 0, 0, 0. Bin 1: p̄ = ȳ = 0.25, plug-in 0, variance 0.25·0.75/3 = 0.0625; bin 2:
    /// p̄ = 0.9, ȳ = 0.25, plug-in 0.65² = 0.4225, variance 0.0625. Plug-in √(0.4225 / 2) = 0.459619...; debiased
    /// √((-0.0625 + 0.36) / 2) = √0.14875 = 0.385681...
    /// </summary>
    [Fact]
    public void WorkedExample_MatchesTheFormulaByHand()
    {
        float[] conf = [0.9f, 0.1f, 0.9f, 0.2f, 0.9f, 0.3f, 0.9f, 0.4f];
        bool[] correct = [true, false, false, false, false, true, false, false];
        // float confidences: the bins see 0.1f etc., so compare with the formula on those values (1e-7 apart from the decimals)
        Assert.Equal(Math.Sqrt(0.4225 / 2), DebiasedCalibrationError.TopLabelPlugIn(conf, correct, bins: 2), 6);
        Assert.Equal(Math.Sqrt(0.14875), DebiasedCalibrationError.TopLabel(conf, correct, bins: 2), 6);
    }

    [Fact]
    public void CalibratedModel_DebiasedEstimateIsNearZero_WherePlugInIsNot()
    {
        // y ~ Bernoulli(p): the true calibration error is 0. The plug-in estimate's bias is about √(B·E[p(1-p)]/n).
        var rng = new Random(7);
        double plugIn = 0, debiased = 0;
        const int draws = 40, n = 3000;
        var conf = new float[n];
        var correct = new bool[n];
        for (int d = 0; d < draws; d++)
        {
            for (int i = 0; i < n; i++)
            {
                conf[i] = (float)rng.NextDouble();
                correct[i] = rng.NextDouble() < conf[i];
            }

            plugIn += DebiasedCalibrationError.TopLabelPlugIn(conf, correct) / draws;
            debiased += DebiasedCalibrationError.TopLabel(conf, correct) / draws;
        }

        double bias = Math.Sqrt(15 * (1.0 / 6) / n);
        Assert.InRange(plugIn, 0.6 * bias, 1.4 * bias);
        Assert.True(debiased < plugIn / 3, $"debiased {debiased}, plug-in {plugIn}");
    }

    [Fact]
    public void OverconfidentModel_EstimateConvergesToTheBinnedError_AndTheIntervalHoldsIt()
    {
        // p ~ U(0, 1), y ~ Bernoulli(p²): per equal-width bin [a, b] (the equal-mass bins of a uniform) the mean gap is
        // E[p - p²] = (a + b)/2 - (a² + ab + b²)/3; the binned L2 error is √(mean over bins of gap²) (0.18257 unbinned).
        double truth = 0;
        for (int b = 0; b < 15; b++)
        {
            double lo = b / 15.0, hi = (b + 1) / 15.0;
            double gap = ((lo + hi) / 2) - (((lo * lo) + (lo * hi) + (hi * hi)) / 3);
            truth += gap * gap / 15;
        }

        truth = Math.Sqrt(truth);
        var rng = new Random(11);
        const int n = 40_000;
        var conf = new float[n];
        var correct = new bool[n];
        for (int i = 0; i < n; i++)
        {
            conf[i] = (float)rng.NextDouble();
            correct[i] = rng.NextDouble() < conf[i] * conf[i];
        }

        double estimate = DebiasedCalibrationError.TopLabel(conf, correct);
        Assert.InRange(estimate, truth - 0.01, truth + 0.01);
        var interval = DebiasedCalibrationError.TopLabelInterval(conf, correct, resamples: 100, seed: 3);
        Assert.True(interval.Low < truth && truth < interval.High, $"{interval} does not hold {truth}");
        Assert.True(interval.High - interval.Low < 0.03, $"{interval} is wider than a 40,000-row sample should give");
        Assert.Equal(interval, DebiasedCalibrationError.TopLabelInterval(conf, correct, resamples: 100, seed: 3));
    }

    [Fact]
    public void Marginal_OfTwoClasses_IsEachClassesErrorWhenTheyMirror()
    {
        // K = 2 with p_0 = 1 - p_1 and n a multiple of B: the bins of class 0 mirror those of class 1, so CE_0 = CE_1.
        var rng = new Random(5);
        const int n = 300;
        var p = new double[n * 2];
        var labels = new int[n];
        var conf = new float[n];
        var positive = new bool[n];
        for (int i = 0; i < n; i++)
        {
            double q = Math.Round(rng.NextDouble(), 6);
            p[(2 * i) + 1] = q;
            p[2 * i] = 1 - q;
            labels[i] = rng.NextDouble() < q * q ? 1 : 0;
            conf[i] = (float)q;
            positive[i] = labels[i] == 1;
        }

        double marginal = DebiasedCalibrationError.Marginal(p, labels, 2);
        Assert.True(marginal > 0.05, $"{marginal}");
        // Class 1's error alone (predictions q against [y = 1]; the float confidences keep q's order and bins).
        Assert.Equal(DebiasedCalibrationError.TopLabel(conf, positive), marginal, 6);
    }

    [Fact]
    public void BadArguments_ThrowArgumentException_NamingArgumentAndRow()
    {
        var e = Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.TopLabel([0.5f, 1.5f], [true, false]));
        Assert.Equal("confidences", e.ParamName);
        Assert.Contains("row 1", e.Message, StringComparison.Ordinal);
        Assert.Equal("confidences", Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.TopLabel([], [])).ParamName);
        Assert.Equal("correct", Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.TopLabel([0.5f], [true, false])).ParamName);
        Assert.Equal("bins", Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.TopLabel([0.5f], [true], bins: 0)).ParamName);
        Assert.Equal("resamples", Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.TopLabelInterval([0.5f], [true], resamples: 1)).ParamName);
        var m = Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.Marginal([0.5, 0.5, -0.2, 0.9], [0, 1], 2));
        Assert.Contains("row 1, column 0", m.Message, StringComparison.Ordinal);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => DebiasedCalibrationError.Marginal([0.5, 0.5], [2], 2)).ParamName);
    }
}
