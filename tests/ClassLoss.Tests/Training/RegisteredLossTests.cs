using ClassLoss.Losses;
using ClassLoss.Training;

namespace ClassLoss.Tests.Training;

/// <summary>Every loss the lab can name is wired to its kernel consistently: value and gradient agree.</summary>
public class RegisteredLossTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var entry in LossFactory.Losses)
        {
            data.Add(entry.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_OfEveryRegisteredLoss_MatchesFiniteDifferencesOfItsValue(string name)
    {
        const int n = 4, k = 5;
        var loss = LossFactory.Create(name, new LossContext(k, [10, 5, 3, 2, 1]));
        var rng = new Random(7);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(rng.NextDouble() * 4 - 2);
        }

        int[] y = [0, 3, 1, 4];
        var g = new float[n * k];
        loss.Evaluate(z, LossTargets.FromLabels(y), k, g, default);
        double Value(float[] x) => loss.Evaluate(x, LossTargets.FromLabels(y), k, default, default).Value;

        const float h = 1e-2f;
        for (int i = 0; i < z.Length; i++)
        {
            float saved = z[i];
            z[i] = saved + h;
            double up = Value(z);
            z[i] = saved - h;
            double down = Value(z);
            z[i] = saved;
            double numeric = (up - down) / (2 * h);
            // Float inputs and a step of 1e-2: agreement to ~1e-3 shows the wiring (reduction, one-hot expansion,
            // option mapping) is right; the kernels' exact gradients are checked in double elsewhere.
            Assert.True(Math.Abs(numeric - g[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{name}: entry {i}: numeric {numeric}, analytic {g[i]}");
        }
    }

    [Fact]
    public void UnknownLoss_ListsTheValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => LossFactory.Create("nope", new LossContext(3)));
        Assert.Contains("focal", ex.Message, StringComparison.Ordinal);
        Assert.Contains("brier", ex.Message, StringComparison.Ordinal);
    }
}
