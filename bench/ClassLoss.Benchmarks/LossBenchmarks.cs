using BenchmarkDotNet.Attributes;
using ClassLoss.Losses;
using TorchSharp;
using static global::TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// Issue 4's matrix: every loss case from float logits, [N, K] row-major, at five shapes and 1 or 2 threads, ours
/// (the public API, the gradient written into a preallocated buffer, <c>MaxDegreeOfParallelism = Threads</c>) next
/// to the same op in libtorch (TorchSharp-cpu, <c>torch.set_num_threads(Threads)</c>, gradient materialised with
/// <c>autograd.grad</c>) and two memory floors: copy N·K floats (read + write, the floor of a forward+backward) and
/// read N·K floats (the floor of a forward). A method <c>X</c> is paired with <c>TorchX</c> by the report.
/// </summary>
[MemoryDiagnoser]
public class LossBenchmarks
{
    private float[] _logits = [];
    private int[] _labels = [];
    private float[] _soft = [];
    private float[] _multi = [];
    private float[] _gradient = [];
    private Tensor _x = null!;
    private Tensor _y = null!;
    private Tensor _p = null!;
    private Tensor _t = null!;
    private int _n;
    private int _k;
    private SoftmaxCrossEntropyOptions _ce = SoftmaxCrossEntropyOptions.Default;
    private SoftmaxCrossEntropyOptions _smoothed = SoftmaxCrossEntropyOptions.Default;
    private SoftmaxFocalOptions _softmaxFocal = SoftmaxFocalOptions.Default;
    private SigmoidFocalOptions _sigmoidFocal = SigmoidFocalOptions.Default;
    private SigmoidBinaryCrossEntropyOptions _bce = SigmoidBinaryCrossEntropyOptions.Default;

    /// <summary>N x K.</summary>
    [Params("256x10", "4096x10", "4096x1000", "1024x32000", "128x128000")]
    public string Shape { get; set; } = "256x10";

    /// <summary>Threads allowed to both sides (ours: MaxDegreeOfParallelism; libtorch: set_num_threads).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Logits uniform in [-4, 4), uniform labels, random normalised soft targets, Bernoulli(0.5) multi-label
    /// targets; fixed seed; libtorch tensors built once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        _n = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        _k = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var rng = new Random(42);
        _logits = new float[_n * _k];
        _soft = new float[_n * _k];
        _multi = new float[_n * _k];
        for (int i = 0; i < _logits.Length; i++)
        {
            _logits[i] = (float)(rng.NextDouble() * 8 - 4);
            _multi[i] = rng.Next(2);
        }

        for (int r = 0; r < _n; r++)
        {
            double sum = 0;
            var row = _soft.AsSpan(r * _k, _k);
            for (int c = 0; c < _k; c++)
            {
                row[c] = (float)(rng.NextDouble() + 1e-3);
                sum += row[c];
            }

            for (int c = 0; c < _k; c++)
            {
                row[c] = (float)(row[c] / sum);
            }
        }

        _labels = new int[_n];
        var labels64 = new long[_n];
        for (int i = 0; i < _n; i++)
        {
            _labels[i] = rng.Next(_k);
            labels64[i] = _labels[i];
        }

        _gradient = new float[_n * _k];
        _ce = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = Threads };
        _smoothed = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, MaxDegreeOfParallelism = Threads };
        _softmaxFocal = new SoftmaxFocalOptions { Gamma = 2, Alpha = 0.25, MaxDegreeOfParallelism = Threads };
        _sigmoidFocal = new SigmoidFocalOptions { Gamma = 2, Alpha = 0.25, Reduction = Reduction.BatchMean, MaxDegreeOfParallelism = Threads };
        _bce = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = Threads };
        _x = tensor(_logits, [_n, _k]).requires_grad_(true);
        _y = tensor(labels64);
        _p = tensor(_soft, [_n, _k]);
        _t = tensor(_multi, [_n, _k]);
    }

    /// <summary>Frees the libtorch tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _y.Dispose();
        _p.Dispose();
        _t.Dispose();
    }

    /// <summary>Memory floor of a forward+backward: read N·K floats, write N·K floats (one thread).</summary>
    [Benchmark(Baseline = true)]
    public void CopyFloor() => _logits.AsSpan().CopyTo(_gradient);

    /// <summary>Memory floor of a forward: read N·K floats (a plain vector sum with four accumulators, one thread).</summary>
    [Benchmark]
    public float ReadFloor() => Floors.Read(_logits);

    /// <summary>Softmax CE, class-index targets, mean: loss only.</summary>
    [Benchmark]
    public double CeForward() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _labels, _k, _ce, default, default).Value;

    /// <summary>libtorch F.cross_entropy under no_grad.</summary>
    [Benchmark]
    public float TorchCeForward()
    {
        torch.set_num_threads(Threads);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return nn.functional.cross_entropy(_x, _y).item<float>();
    }

    /// <summary>Softmax CE, class-index targets, mean: loss and gradient.</summary>
    [Benchmark]
    public double CeForwardBackward() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _labels, _k, _ce, _gradient, default).Value;

    /// <summary>libtorch F.cross_entropy + autograd.grad.</summary>
    [Benchmark]
    public float TorchCeForwardBackward() => Torch(() => nn.functional.cross_entropy(_x, _y));

    /// <summary>Softmax CE with probability targets: loss and gradient.</summary>
    [Benchmark]
    public double CeSoftTargets() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _soft, _k, _ce, _gradient, default).Value;

    /// <summary>libtorch F.cross_entropy(x, probs) + autograd.grad.</summary>
    [Benchmark]
    public float TorchCeSoftTargets() => Torch(() => nn.functional.cross_entropy(_x, _p));

    /// <summary>Softmax CE, index targets, label smoothing 0.1: loss and gradient.</summary>
    [Benchmark]
    public double CeSmoothed() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _labels, _k, _smoothed, _gradient, default).Value;

    /// <summary>libtorch F.cross_entropy(label_smoothing: 0.1) + autograd.grad.</summary>
    [Benchmark]
    public float TorchCeSmoothed() => Torch(() => nn.functional.cross_entropy(_x, _y, label_smoothing: 0.1));

    /// <summary>Softmax focal (Keras), γ 2, α 0.25, index targets: loss and gradient.</summary>
    [Benchmark]
    public double SoftmaxFocal() => Losses.SoftmaxFocal.Evaluate<float>(_logits, _labels, _k, _softmaxFocal, _gradient, default).Value;

    /// <summary>Softmax focal in torch ops: mean of -α (1 - p_y)^γ log p_y, + autograd.grad.</summary>
    [Benchmark]
    public float TorchSoftmaxFocal() => Torch(() =>
    {
        var logp = nn.functional.log_softmax(_x, 1).gather(1, _y.unsqueeze(1));
        var p = logp.exp();
        return (-0.25 * (1 - p).pow(2) * logp).mean();
    });

    /// <summary>Sigmoid focal (torchvision), γ 2, α 0.25, multi-label targets, summed over classes, mean over rows.</summary>
    [Benchmark]
    public double SigmoidFocal() => Losses.SigmoidFocal.Evaluate<float>(_logits, _multi, _k, _sigmoidFocal, _gradient, default).Value;

    /// <summary>torchvision's sigmoid_focal_loss in torch ops, + autograd.grad.</summary>
    [Benchmark]
    public float TorchSigmoidFocal() => Torch(() =>
    {
        var p = _x.sigmoid();
        var ce = nn.functional.binary_cross_entropy_with_logits(_x, _t, reduction: nn.Reduction.None);
        var pt = p * _t + (1 - p) * (1 - _t);
        var at = 0.25 * _t + 0.75 * (1 - _t);
        return (at * ce * (1 - pt).pow(2)).sum() / _n;
    });

    /// <summary>BCE with logits, multi-label, mean over N·K: loss and gradient.</summary>
    [Benchmark]
    public double Bce() => SigmoidBinaryCrossEntropy.Evaluate<float>(_logits, _multi, _k, _bce, _gradient, default).Value;

    /// <summary>libtorch F.binary_cross_entropy_with_logits + autograd.grad.</summary>
    [Benchmark]
    public float TorchBce() => Torch(() => nn.functional.binary_cross_entropy_with_logits(_x, _t));

    private float Torch(Func<Tensor> loss)
    {
        torch.set_num_threads(Threads);
        using var scope = NewDisposeScope();
        var l = loss();
        var g = autograd.grad([l], [_x])[0];
        return l.item<float>() + g[0, 0].item<float>();
    }
}
