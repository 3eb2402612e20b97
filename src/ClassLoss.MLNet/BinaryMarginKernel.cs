using ClassLoss.Losses;

namespace ClassLoss.MLNet;

/// <summary>
/// The binary hinge and squared hinge, <c>max(0, m - s z)^p</c> with <c>s = ±1</c>, computed by
/// <see cref="MultiMarginHinge"/> on two classes.
/// </summary>
/// <remarks>
/// <see cref="MultiMarginHinge"/> of the scores <c>(0, z)</c> against class <c>y</c> (1 for a positive label, 0 for a
/// negative one) is <c>max(0, m - x_y + x_{1-y})^p / 2</c>, which is <c>max(0, m - z)^p / 2</c> for <c>y = 1</c> and
/// <c>max(0, m + z)^p / 2</c> for <c>y = 0</c>: half the binary hinge of margin <c>m - s z</c>. The factor 2 (its K)
/// is undone here, and <c>∂ℓ/∂z</c> is twice the kernel's gradient of the second score. The kernel's subgradient
/// counts a hinge exactly at 0 as inactive, as ML.NET's <see cref="Microsoft.ML.Trainers.HingeLoss"/> does.
/// </remarks>
internal sealed class BinaryMarginKernel
{
    private readonly MultiMarginHingeOptions _options;

    public BinaryMarginKernel(int power, double margin) =>
        _options = new MultiMarginHingeOptions { Power = power, Margin = margin, Reduction = Reduction.Sum };

    /// <summary>The loss at score <paramref name="z"/>, or its derivative with respect to z.</summary>
    public double Evaluate(double z, float label, bool derivative)
    {
        ReadOnlySpan<double> scores = [0.0, z];
        ReadOnlySpan<int> target = [MlNetConventions.IsPositive(label) ? 1 : 0];
        Span<double> g = [0.0, 0.0];
        LossResult result = MultiMarginHinge.Evaluate(scores, target, 2, _options, derivative ? g : default, default);
        return 2 * (derivative ? g[1] : result.Value);
    }
}
