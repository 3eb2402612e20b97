namespace ClassLoss.MLNet.Tests;

/// <summary>
/// The adapters' values against the formulas of their doc comments, written out here in double as independent oracles,
/// and their label convention.
/// </summary>
public sealed class FormulaTests
{
    private static readonly float[] Scores = [-9f, -3.25f, -1f, -0.3f, 0f, 0.45f, 1f, 2.75f, 8.5f];

    private static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"{what}: formula {expected}, adapter {actual}");

    [Theory]
    [InlineData(1.0, 0.0)]
    [InlineData(3.0, 0.0)]
    [InlineData(0.4, 0.2)]
    [InlineData(2.5, 1.0)]
    public void Log_loss_is_weighted_smoothed_binary_cross_entropy(double positiveWeight, double smoothing)
    {
        var loss = new ClassLossLogLoss(positiveWeight, smoothing);
        foreach (float label in new[] { 0f, 1f })
        {
            double y = label * (1 - smoothing) + smoothing / 2;
            foreach (float z in Scores)
            {
                AssertClose(positiveWeight * y * Softplus(-z) + (1 - y) * Softplus(z), loss.Loss(z, label), $"pw {positiveWeight}, ε {smoothing}, label {label}, z {z}");
            }
        }
    }

    [Theory]
    [InlineData(2.0, 0.25, true)]
    [InlineData(0.5, 0.8, true)]
    [InlineData(2.0, 0.25, false)]
    [InlineData(0.0, 0.3, true)]
    public void Focal_is_alpha_weighted_modulated_cross_entropy(double gamma, double alpha, bool balancing)
    {
        var loss = new ClassLossFocal(gamma, alpha, balancing);
        foreach (float label in new[] { 0f, 1f })
        {
            foreach (float z in Scores)
            {
                double p = Sigmoid(z);
                double pt = label * p + (1 - label) * (1 - p);
                double at = balancing ? alpha * label + (1 - alpha) * (1 - label) : 1;
                double ce = Softplus(z) - label * z;
                double expected = at * Math.Pow(1 - pt, gamma) * ce;
                Assert.True(Math.Abs(expected - loss.Loss(z, label)) <= 1e-10 * Math.Max(1e-3, expected),
                    $"γ {gamma}, α {alpha}, balancing {balancing}, label {label}, z {z}: formula {expected}, adapter {loss.Loss(z, label)}");
            }
        }
    }

    [Fact]
    public void Focal_with_gamma_zero_and_no_alpha_is_the_log_loss()
    {
        var focal = new ClassLossFocal(gamma: 0, applyClassBalancing: false);
        var log = new ClassLossLogLoss();
        foreach (float label in new[] { 0f, 1f })
        {
            foreach (float z in Scores)
            {
                AssertClose(log.Loss(z, label), focal.Loss(z, label), $"loss, label {label}, z {z}");
                Assert.Equal(log.Derivative(z, label), focal.Derivative(z, label), 6);
            }
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public void Hinge_family_values_are_their_piecewise_formulas(double margin)
    {
        var hinge = new ClassLossHinge(margin);
        var squared = new ClassLossSquaredHinge(margin);
        var smoothed = new ClassLossSmoothedHinge(0.6, margin);
        foreach (float label in new[] { 0f, 1f })
        {
            double s = label > 0 ? 1 : -1;
            foreach (float z in Scores)
            {
                double v = margin - s * z;
                AssertClose(Math.Max(0, v), hinge.Loss(z, label), $"hinge, label {label}, z {z}");
                AssertClose(Math.Max(0, v) * Math.Max(0, v), squared.Loss(z, label), $"squared hinge, label {label}, z {z}");
                double expected = v <= 0 ? 0 : v < 0.6 ? v * v / (2 * 0.6) : v - 0.3;
                Assert.True(Math.Abs(expected - smoothed.Loss(z, label)) <= 1e-9, $"smoothed hinge, label {label}, z {z}: formula {expected}, adapter {smoothed.Loss(z, label)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LossCases.AllNames), MemberType = typeof(LossCases))]
    public void Labels_above_zero_are_positive_and_the_rest_negative(string name)
    {
        var (loss, _) = LossCases.All[name];
        foreach (float z in Scores)
        {
            Assert.Equal(loss.Loss(z, 0f), loss.Loss(z, -1f));
            Assert.Equal(loss.Derivative(z, 0f), loss.Derivative(z, -1f));
            Assert.Equal(loss.Loss(z, 1f), loss.Loss(z, 0.5f));
            Assert.Equal(loss.Derivative(z, 1f), loss.Derivative(z, 0.5f));
        }

        // The two labels do differ (a loss that ignored them would pass the lines above).
        Assert.NotEqual(loss.Loss(-3.25f, 0f), loss.Loss(-3.25f, 1f));
    }
}
