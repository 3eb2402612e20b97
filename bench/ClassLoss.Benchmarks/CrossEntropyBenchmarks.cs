using BenchmarkDotNet.Attributes;
using ClassLoss.Losses;
using ClassLoss.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// Softmax cross-entropy from float logits with class-index targets, mean reduction, [N, K] row-major:
/// our generic kernel, our fused float kernel, libtorch (TorchSharp) and a memory floor (copy N·K floats).
/// </summary>
[MemoryDiagnoser]
public class CrossEntropyBenchmarks
{
    private float[] _logits = [];
    private int[] _labels = [];
    private float[] _gradient = [];
    private Tensor _x = null!;
    private Tensor _y = null!;
    private int _n;
    private int _k;

    /// <summary>N x K.</summary>
    [Params("256x10", "4096x10", "4096x1000", "1024x32000", "128x128000")]
    public string Shape { get; set; } = "256x10";

    /// <summary>Random logits in [-4, 4), uniform labels, fixed seed; libtorch tensors built once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        _n = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        _k = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var rng = new Random(42);
        _logits = new float[_n * _k];
        for (int i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(rng.NextDouble() * 8 - 4);
        }

        _labels = new int[_n];
        var labels64 = new long[_n];
        for (int i = 0; i < _n; i++)
        {
            _labels[i] = rng.Next(_k);
            labels64[i] = _labels[i];
        }

        _gradient = new float[_n * _k];
        _x = tensor(_logits, [_n, _k]).requires_grad_(true);
        _y = tensor(labels64);
    }

    /// <summary>Frees the libtorch tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _y.Dispose();
    }

    /// <summary>Memory floor: read N·K floats, write N·K floats.</summary>
    [Benchmark(Baseline = true)]
    public void CopyFloor() => _logits.AsSpan().CopyTo(_gradient);

    /// <summary>Generic <see cref="SoftmaxCrossEntropy"/> (double internally), loss only.</summary>
    [Benchmark]
    public double GenericForward() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _labels, _k, null, default, default).Value;

    /// <summary>Generic <see cref="SoftmaxCrossEntropy"/>, loss and gradient.</summary>
    [Benchmark]
    public double GenericForwardBackward() =>
        SoftmaxCrossEntropy.Evaluate<float>(_logits, _labels, _k, null, _gradient, default).Value;

    /// <summary>Fused float kernel, loss only, one thread.</summary>
    [Benchmark]
    public double FusedForward() =>
        FusedSoftmaxCrossEntropy.Evaluate(_logits, _labels, _k, Reduction.Mean, EmptyMean.Zero, -100, default, default, 1).Value;

    /// <summary>Fused float kernel, loss and gradient, one thread.</summary>
    [Benchmark]
    public double FusedForwardBackward1T() =>
        FusedSoftmaxCrossEntropy.Evaluate(_logits, _labels, _k, Reduction.Mean, EmptyMean.Zero, -100, _gradient, default, 1).Value;

    /// <summary>Fused float kernel, loss and gradient, up to two threads (large batches only).</summary>
    [Benchmark]
    public double FusedForwardBackward2T() =>
        FusedSoftmaxCrossEntropy.Evaluate(_logits, _labels, _k, Reduction.Mean, EmptyMean.Zero, -100, _gradient, default, 2).Value;

    /// <summary>libtorch F.cross_entropy, loss only, one thread (no autograd graph).</summary>
    [Benchmark]
    public float TorchForward1T()
    {
        torch.set_num_threads(1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return nn.functional.cross_entropy(_x, _y).item<float>();
    }

    /// <summary>libtorch F.cross_entropy forward + backward, gradient materialised (autograd.grad), one thread.</summary>
    [Benchmark]
    public float TorchForwardBackward1T() => TorchForwardBackward(1);

    /// <summary>libtorch F.cross_entropy forward + backward, gradient materialised, two threads.</summary>
    [Benchmark]
    public float TorchForwardBackward2T() => TorchForwardBackward(2);

    private float TorchForwardBackward(int threads)
    {
        torch.set_num_threads(threads);
        using var scope = NewDisposeScope();
        var loss = nn.functional.cross_entropy(_x, _y);
        var g = autograd.grad([loss], [_x])[0];
        return loss.item<float>() + g[0, 0].item<float>();
    }
}
