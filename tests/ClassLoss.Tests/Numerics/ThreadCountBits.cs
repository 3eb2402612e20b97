namespace ClassLoss.Tests.Numerics;

/// <summary>The double SIMD kernels' thread-count property, written once: the call with 2, 3 and 8 threads gives the
/// one-thread call's value, gradient and losses bit for bit.</summary>
internal static class ThreadCountBits
{
    /// <summary><paramref name="call"/>(threads, gradient, losses) runs the loss and returns its value.</summary>
    public static void AssertSame(int gradientLength, int lossesLength, Func<int, double[], double[], double> call)
    {
        var g1 = new double[gradientLength];
        var l1 = new double[lossesLength];
        double v1 = call(1, g1, l1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var g = new double[gradientLength];
            var l = new double[lossesLength];
            double v = call(threads, g, l);
            Assert.Equal(BitConverter.DoubleToInt64Bits(v1), BitConverter.DoubleToInt64Bits(v));
            Assert.True(g1.AsSpan().SequenceEqual(g), $"gradient differs with {threads} threads");
            Assert.True(l1.AsSpan().SequenceEqual(l), $"losses differ with {threads} threads");
        }
    }
}
