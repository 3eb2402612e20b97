using TorchSharp;
using static TorchSharp.torch;

namespace ClassLoss.TorchSharp.Tests;

/// <summary>What the tests share: seeded inputs, a loss's value and input gradient, comparisons.</summary>
internal static class Probe
{
    public static Tensor Randn(int seed, long n, long k, double scale = 2.0, ScalarType type = ScalarType.Float64)
    {
        var g = new torch.Generator((ulong)seed);
        return (torch.randn([n, k], generator: g, dtype: ScalarType.Float64) * scale).to(type);
    }

    public static Tensor Labels(int seed, long n, long k)
    {
        var g = new torch.Generator((ulong)seed + 1000);
        return torch.randint(k, [n], generator: g, dtype: ScalarType.Int64);
    }

    public static Tensor Probabilities(int seed, long n, long k) => torch.softmax(Randn(seed + 2000, n, k), 1);

    /// <summary>N sample weights in [0, 2), two of them exactly 0.</summary>
    public static Tensor SampleWeights(int seed, long n)
    {
        var g = new torch.Generator((ulong)seed + 4000);
        var w = (2 * torch.rand([n], generator: g, dtype: ScalarType.Float64)).clone();
        w[1] = torch.tensor(0.0);
        w[n - 2] = torch.tensor(0.0);
        return w;
    }

    public static Tensor Bernoulli(int seed, long n, long k) => Randn(seed + 3000, n, k, 1.0).gt(0).to(ScalarType.Float64);

    /// <summary>The same values as <paramref name="x"/> in a non-contiguous [N, K] view (the transpose of a transposed copy).</summary>
    public static Tensor NonContiguous(Tensor x)
    {
        var v = x.detach().t().contiguous().t();
        Assert.False(v.is_contiguous());
        return v;
    }

    /// <summary>The loss's value (after <paramref name="upstream"/> for an unreduced loss: Σ up · ℓ) and its input gradient.</summary>
    public static (double Value, double[] Grad) Run(Tensor x, Func<Tensor, Tensor> loss, Tensor? upstream = null)
    {
        var leaf = x.detach().requires_grad_();
        var l = loss(leaf);
        if (upstream is not null)
        {
            l = (l * upstream).sum();
        }

        l.backward();
        double value = l.to(ScalarType.Float64).item<double>();
        return (value, leaf.grad!.to(ScalarType.Float64).contiguous().data<double>().ToArray());
    }

    public static void Same((double Value, double[] Grad) expected, (double Value, double[] Grad) actual, double tolerance, string what = "")
    {
        if (double.IsNaN(expected.Value))
        {
            Assert.True(double.IsNaN(actual.Value), $"{what}: value {actual.Value:R}, expected NaN");
        }
        else
        {
            double scale = Math.Max(1, Math.Abs(expected.Value));
            Assert.True(Math.Abs(expected.Value - actual.Value) <= tolerance * scale, $"{what}: value expected {expected.Value:R}, got {actual.Value:R}");
        }

        Assert.Equal(expected.Grad.Length, actual.Grad.Length);
        for (int i = 0; i < expected.Grad.Length; i++)
        {
            Assert.True(double.IsFinite(actual.Grad[i]), $"{what}: grad[{i}] is {actual.Grad[i]}");
            Assert.True(Math.Abs(expected.Grad[i] - actual.Grad[i]) <= tolerance, $"{what}: grad[{i}] expected {expected.Grad[i]:R}, got {actual.Grad[i]:R}");
        }
    }
}
