using ClassLoss.Evaluation;
using ClassLoss.Numerics;

namespace ClassLoss.Tests.Evaluation;

public class CalibrationTests
{
    private static readonly string[] Four = ["a", "b", "c", "d"];

    /// <summary>
    /// Logits drawn so that softmax(u) is calibrated by construction (labels sampled from softmax(u)), then
    /// multiplied by <paramref name="overconfidence"/>: the right temperature is then that factor.
    /// </summary>
    internal static (double[] Logits, int[] Labels) OverConfident(int seed, int n, int k, double overconfidence)
    {
        var rng = new Random(seed);
        var z = new double[n * k];
        var y = new int[n];
        var p = new double[k];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                z[i * k + c] = 1.5 * Gaussian(rng);
                max = Math.Max(max, z[i * k + c]);
            }

            double s = 0;
            for (int c = 0; c < k; c++)
            {
                p[c] = Math.Exp(z[i * k + c] - max);
                s += p[c];
            }

            double u = rng.NextDouble() * s, acc = 0;
            y[i] = k - 1;
            for (int c = 0; c < k; c++)
            {
                acc += p[c];
                if (u < acc)
                {
                    y[i] = c;
                    break;
                }
            }

            for (int c = 0; c < k; c++)
            {
                z[i * k + c] *= overconfidence;
            }
        }

        return (z, y);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>Slow reference NLL of softmax(z / t), written directly (no kernel).</summary>
    private static double Nll(double[] z, int[] y, int k, double t)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                max = Math.Max(max, z[i * k + c] / t);
            }

            double s = 0;
            for (int c = 0; c < k; c++)
            {
                s += Math.Exp(z[i * k + c] / t - max);
            }

            sum += max + Math.Log(s) - z[i * k + y[i]] / t;
        }

        return sum / y.Length;
    }

    [Fact]
    public void TemperatureScaling_LowersNll_OnAnOverConfidentSet_AndFindsTheMinimum()
    {
        var (z, y) = OverConfident(1, 4000, 4, 3.0);
        var cal = TemperatureScaling.Fit(z, y, Four);
        double t = cal.Temperature!.Value;
        double before = Nll(z, y, 4, 1), after = Nll(z, y, 4, t);
        Assert.True(after < before - 0.1, $"NLL {before} -> {after}");
        Assert.InRange(t, 2.6, 3.4);
        Assert.Equal(before, cal.FitNllBefore, 10);
        Assert.Equal(after, cal.FitNllAfter, 10);
        // A minimum: the reference NLL is higher on both sides.
        Assert.True(Nll(z, y, 4, t * 1.001) >= after && Nll(z, y, 4, t / 1.001) >= after);
    }

    [Fact]
    public void TemperatureScaling_OnUnderConfidentLogits_SharpensThem()
    {
        var (z, y) = OverConfident(2, 3000, 4, 0.4);
        double t = TemperatureScaling.Fit(z, y, Four).Temperature!.Value;
        Assert.InRange(t, 0.3, 0.5);
    }

    [Fact]
    public void VectorScaling_IsAtLeastAsGoodAsTemperatureScalingOnTheFitSet()
    {
        var (z, y) = OverConfident(3, 2000, 4, 2.5);
        var temperature = TemperatureScaling.Fit(z, y, Four);
        var vector = VectorScaling.Fit(z, y, Four);
        Assert.True(vector.FitNllAfter <= temperature.FitNllAfter + 1e-9, $"{vector.FitNllAfter} vs {temperature.FitNllAfter}");
        var p = new double[4];
        vector.Apply(z.AsSpan(0, 4), p);
        Assert.Equal(1.0, p.Sum(), 12);
    }

    [Fact]
    public void PlattScaling_RecoversTheGeneratingSlopeAndIntercept()
    {
        var rng = new Random(4);
        const int n = 20000;
        var z = new double[2 * n];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            double s = 3 * Gaussian(rng);
            z[2 * i + 1] = s; // s = z1 - z0
            y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-(0.5 * s - 1.0))) ? 1 : 0;
        }

        var cal = PlattScaling.Fit(z, y, ["neg", "pos"]);
        Assert.InRange(cal.A!.Value, 0.45, 0.55);
        Assert.InRange(cal.B!.Value, -1.1, -0.9);

        // Stationary: a central finite difference of a plain logistic loss is ~0 at (a, b).
        double Loss(double a, double b)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double p = 1 / (1 + Math.Exp(-(a * z[2 * i + 1] + b)));
                sum -= y[i] == 1 ? Math.Log(p) : Math.Log(1 - p);
            }

            return sum / n;
        }

        const double h = 1e-5;
        Assert.True(Math.Abs((Loss(cal.A.Value + h, cal.B.Value) - Loss(cal.A.Value - h, cal.B.Value)) / (2 * h)) < 1e-6);
        Assert.True(Math.Abs((Loss(cal.A.Value, cal.B.Value + h) - Loss(cal.A.Value, cal.B.Value - h)) / (2 * h)) < 1e-6);
        Assert.Throws<ArgumentException>(() => PlattScaling.Fit(new double[6], new int[2], ["a", "b", "c"]));
    }

    [Fact]
    public void Calibrator_RoundTripsThroughJson()
    {
        var cal = new Calibrator { Method = CalibrationMethod.Temperature, ClassNames = ["x", "y"], Temperature = 2.5 };
        var back = Calibrator.FromJson(cal.ToJson());
        Assert.Equal(CalibrationMethod.Temperature, back.Method);
        Assert.Equal(2.5, back.Temperature);
        Assert.Contains("\"method\": \"temperature\"", cal.ToJson(), StringComparison.Ordinal);
        var p = new double[2];
        back.Apply([1.0, 3.0], p);
        Assert.Equal(StableMath.Sigmoid((3.0 - 1.0) / 2.5), p[1], 14);
        Assert.Throws<InvalidDataException>(() => Calibrator.FromJson("{\"method\": \"vector\", \"class_names\": [\"x\"]}"));
        Assert.Throws<InvalidDataException>(() => Calibrator.FromJson("not json"));
    }
}
