namespace ClassLoss.MLNet.Tests;

/// <summary>Every adapter's <c>Derivative</c> is the derivative of its <c>Loss</c> in the score.</summary>
public sealed class DerivativeTests
{
    private const double Step = 1.0 / 128;

    [Theory]
    [MemberData(nameof(LossCases.AllNames), MemberType = typeof(LossCases))]
    public void Derivative_matches_central_differences_of_the_loss(string name)
    {
        var (loss, kinks) = LossCases.All[name];
        int checkedPoints = 0;
        foreach (float label in LossCases.Labels)
        {
            double sign = label > 0 ? 1 : -1;
            for (double z = -6.1; z <= 6.1; z += 0.37)
            {
                // A kink of the margin loss sits at s z = k; central differences straddling it mean nothing.
                if (kinks.Any(k => Math.Abs(sign * z - k) < 2 * Step))
                {
                    continue;
                }

                // z ± Step are exact in float for |z| < 8 at this step, so the difference sees the loss at those scores.
                float x = (float)Math.Round(z * 128) / 128;
                double numeric = (loss.Loss(x + (float)Step, label) - loss.Loss(x - (float)Step, label)) / (2 * Step);
                double exact = loss.Derivative(x, label);
                Assert.True(Math.Abs(numeric - exact) <= 1e-4 * Math.Max(1, Math.Abs(exact)),
                    $"{name}, label {label}, score {x}: derivative {exact}, central difference {numeric}");
                checkedPoints++;
            }
        }

        Assert.True(checkedPoints > 50);
    }

    [Theory]
    [MemberData(nameof(LossCases.AllNames), MemberType = typeof(LossCases))]
    public void Loss_and_derivative_are_finite_at_extreme_scores(string name)
    {
        var (loss, _) = LossCases.All[name];
        foreach (float label in LossCases.Labels)
        {
            foreach (float z in new[] { -1e4f, -200f, -40f, 40f, 200f, 1e4f })
            {
                Assert.True(float.IsFinite(loss.Derivative(z, label)), $"{name}, label {label}, score {z}: derivative {loss.Derivative(z, label)}");
                Assert.True(double.IsFinite(loss.Loss(z, label)), $"{name}, label {label}, score {z}: loss {loss.Loss(z, label)}");
            }
        }
    }
}
