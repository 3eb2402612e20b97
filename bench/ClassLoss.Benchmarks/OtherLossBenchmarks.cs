using BenchmarkDotNet.Attributes;
using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// Issue 4's remaining losses from float logits, [N, K] row-major, forward + backward (gradient materialised),
/// ours vs the same op in libtorch (TorchSharp, one thread), plus the copy floor (read N·K, write N·K floats):
/// soft-target CE, label-smoothed CE (0.1), softmax focal (γ 2, α 0.25, Keras convention), sigmoid focal
/// (γ 2, α 0.25, torchvision convention, summed over classes, mean over rows) and multi-label BCE with logits.
/// </summary>
[MemoryDiagnoser]
public class OtherLossBenchmarks
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

    private static readonly CrossEntropyOptions Smoothed = new() { LabelSmoothing = 0.1 };
    private static readonly SoftmaxFocalOptions SoftFocal = new() { Gamma = 2, Alpha = 0.25 };
    private static readonly SigmoidFocalOptions SigFocal = new() { Gamma = 2, Alpha = 0.25, Reduction = Reduction.BatchMean };
    private static readonly BinaryCrossEntropyOptions Bce = new();

    /// <summary>N x K.</summary>
    [Params("256x10", "4096x1000")]
    public string Shape { get; set; } = "256x10";

    /// <summary>Random logits in [-4, 4), uniform labels, random normalised soft targets, Bernoulli(0.5) multi-label targets; fixed seed.</summary>
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

    /// <summary>Memory floor: read N·K floats, write N·K floats.</summary>
    [Benchmark(Baseline = true)]
    public void CopyFloor() => _logits.AsSpan().CopyTo(_gradient);

    /// <summary><see cref="SoftmaxCrossEntropy"/> with probability targets, loss and gradient.</summary>
    [Benchmark]
    public double SoftTargetCe() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _soft, _k, null, _gradient, default).Value;

    /// <summary>libtorch F.cross_entropy with probability targets, forward + backward.</summary>
    [Benchmark]
    public float TorchSoftTargetCe() => Torch(() => nn.functional.cross_entropy(_x, _p));

    /// <summary><see cref="SoftmaxCrossEntropy"/> with index targets and label smoothing 0.1, loss and gradient.</summary>
    [Benchmark]
    public double SmoothedCe() => SoftmaxCrossEntropy.Evaluate<float>(_logits, _labels, _k, Smoothed, _gradient, default).Value;

    /// <summary>libtorch F.cross_entropy(label_smoothing: 0.1), forward + backward.</summary>
    [Benchmark]
    public float TorchSmoothedCe() => Torch(() => nn.functional.cross_entropy(_x, _y, label_smoothing: 0.1));

    /// <summary><see cref="SoftmaxFocal"/> with index targets, loss and gradient.</summary>
    [Benchmark]
    public double SoftmaxFocalLoss() => SoftmaxFocal.Evaluate<float>(_logits, _labels, _k, SoftFocal, _gradient, default).Value;

    /// <summary>Softmax focal in torch ops: -(α (1-p)^γ · log p_y), mean over rows; forward + backward.</summary>
    [Benchmark]
    public float TorchSoftmaxFocal() => Torch(() =>
    {
        var logp = nn.functional.log_softmax(_x, 1).gather(1, _y.unsqueeze(1));
        var p = logp.exp();
        return (-0.25 * (1 - p).pow(2) * logp).mean();
    });

    /// <summary><see cref="SigmoidFocal"/> (multi-label targets), loss and gradient.</summary>
    [Benchmark]
    public double SigmoidFocalLoss() => SigmoidFocal.Evaluate<float>(_logits, _multi, _k, SigFocal, _gradient, default).Value;

    /// <summary>torchvision sigmoid_focal_loss in torch ops, summed over classes, mean over rows; forward + backward.</summary>
    [Benchmark]
    public float TorchSigmoidFocal() => Torch(() =>
    {
        var p = _x.sigmoid();
        var ce = nn.functional.binary_cross_entropy_with_logits(_x, _t, reduction: nn.Reduction.None);
        var pt = p * _t + (1 - p) * (1 - _t);
        var at = 0.25 * _t + 0.75 * (1 - _t);
        return (at * ce * (1 - pt).pow(2)).sum() / _n;
    });

    /// <summary><see cref="SigmoidBinaryCrossEntropy"/> multi-label, mean over N·K, loss and gradient.</summary>
    [Benchmark]
    public double BceWithLogits() => SigmoidBinaryCrossEntropy.Evaluate<float>(_logits, _multi, _k, Bce, _gradient, default).Value;

    /// <summary>libtorch F.binary_cross_entropy_with_logits (mean), forward + backward.</summary>
    [Benchmark]
    public float TorchBceWithLogits() => Torch(() => nn.functional.binary_cross_entropy_with_logits(_x, _t));

    private float Torch(Func<Tensor> loss)
    {
        torch.set_num_threads(1);
        using var scope = NewDisposeScope();
        var l = loss();
        var g = autograd.grad([l], [_x])[0];
        return l.item<float>() + g[0, 0].item<float>();
    }
}
