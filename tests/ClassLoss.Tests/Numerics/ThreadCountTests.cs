using ClassLoss.Losses;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// Every fused float path gives the same bits for any <see cref="LossOptions.MaxDegreeOfParallelism"/>: value,
/// gradient and row losses, on a batch large enough to be split across threads.
/// </summary>
public class ThreadCountTests
{
    private const int N = 700;
    private const int K = 333; // N·K = 233,100 > the parallel threshold; K not a multiple of any vector width

    private static (float[] Logits, int[] Labels, float[] Soft, float[] Multi) Data()
    {
        var rng = new Random(77);
        var z = new float[N * K];
        var soft = new float[N * K];
        var multi = new float[N * K];
        var labels = new int[N];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(rng.NextDouble() * 16 - 8);
            multi[i] = rng.Next(3) switch { 0 => 0f, 1 => 1f, _ => (float)rng.NextDouble() };
        }

        for (int r = 0; r < N; r++)
        {
            labels[r] = r % 97 == 0 ? -100 : rng.Next(K);
            double sum = 0;
            for (int c = 0; c < K; c++)
            {
                soft[r * K + c] = (float)rng.NextDouble();
                sum += soft[r * K + c];
            }

            for (int c = 0; c < K; c++)
            {
                soft[r * K + c] = (float)(soft[r * K + c] / sum);
            }
        }

        z[5 * K + 3] = float.NegativeInfinity; // a masked class
        return (z, labels, soft, multi);
    }

    private delegate LossResult Loss(int threads, float[] gradient, float[] rows);

    private static void AssertSameBitsForAnyThreadCount(Loss loss)
    {
        var g1 = new float[N * K];
        var r1 = new float[N];
        double v1 = loss(1, g1, r1).Value;
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var g = new float[N * K];
            var r = new float[N];
            double v = loss(threads, g, r).Value;
            Assert.Equal(BitConverter.DoubleToInt64Bits(v1), BitConverter.DoubleToInt64Bits(v));
            Assert.True(g1.AsSpan().SequenceEqual(g), $"gradient differs with {threads} threads");
            Assert.True(r1.AsSpan().SequenceEqual(r), $"row losses differ with {threads} threads");
        }

        Assert.False(double.IsNaN(v1)); // (+∞ where smoothing or a soft target puts mass on the masked class, as PyTorch)
    }

    [Fact]
    public void SoftmaxCrossEntropyWithIndexTargets()
    {
        var (z, y, _, _) = Data();
        AssertSameBitsForAnyThreadCount((t, g, r) => SoftmaxCrossEntropy.Evaluate<float>(z, y, K, new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = t }, g, r));
    }

    [Fact]
    public void SoftmaxCrossEntropyWithSmoothingAndWeights()
    {
        var (z, y, _, _) = Data();
        var w = Enumerable.Range(0, K).Select(c => 0.5 + (c % 5)).ToArray();
        AssertSameBitsForAnyThreadCount((t, g, r) => SoftmaxCrossEntropy.Evaluate<float>(z, y, K,
            new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, ClassWeights = w, MaxDegreeOfParallelism = t }, g, r));
    }

    [Fact]
    public void SoftmaxCrossEntropyWithProbabilityTargets()
    {
        var (z, _, p, _) = Data();
        AssertSameBitsForAnyThreadCount((t, g, r) => SoftmaxCrossEntropy.Evaluate<float>(z, p, K, new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = t }, g, r));
    }

    [Fact]
    public void SoftmaxFocalWithIndexTargets()
    {
        var (z, y, _, _) = Data();
        AssertSameBitsForAnyThreadCount((t, g, r) => SoftmaxFocal.Evaluate<float>(z, y, K, new SoftmaxFocalOptions { Gamma = 2, Alpha = 0.25, MaxDegreeOfParallelism = t }, g, r));
    }

    [Fact]
    public void SoftmaxFocalWithProbabilityTargets()
    {
        var (z, _, p, _) = Data();
        AssertSameBitsForAnyThreadCount((t, g, r) => SoftmaxFocal.Evaluate<float>(z, p, K, new SoftmaxFocalOptions { Gamma = 2, Alpha = 0.25, MaxDegreeOfParallelism = t }, g, r));
    }

    [Theory]
    [InlineData(2.0, false)]
    [InlineData(1.5, true)]
    public void SigmoidFocal(double gamma, bool withRowLosses)
    {
        var (z, _, _, m) = Data();
        AssertSameBitsForAnyThreadCount((t, g, r) => ClassLoss.Losses.SigmoidFocal.Evaluate<float>(z, m, K,
            new SigmoidFocalOptions { Gamma = gamma, Alpha = 0.25, MaxDegreeOfParallelism = t }, g, withRowLosses ? r : default));
    }

    [Fact]
    public void SigmoidBinaryCrossEntropy()
    {
        var (z, _, _, m) = Data();
        AssertSameBitsForAnyThreadCount((t, g, _) => ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<float>(z, m, K,
            new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = t }, g, default));
    }
}
