using BenchmarkDotNet.Attributes;
using ClassLoss.Losses;
using ClassLoss.Numerics;
using ClassLoss.Training;
using ClassLoss.Training.Models;
using ClassLoss.Training.Optimizers;
using TorchSharp;
using static global::TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// The lab's training step, MLP 784-256-10 (ReLU), batch 128: forward, softmax CE loss + gradient, backward, Adam step
/// (lr 1e-3) — ClassLoss.Training (Mlp, LossFactory "ce", Adam) vs TorchSharp (nn.Linear/ReLU, optim.Adam), one thread
/// and two; and the GEMMs behind it, ours vs torch.matmul: the forward [128x784]·[784x256], the weight gradient
/// Xᵀ·δ [784x128]·[128x256] (A transposed) and the input gradient δ·W₂ᵀ [128x10]·[10x256] (B transposed).
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private const int Batch = 128;
    private const int Inputs = 784;
    private const int HiddenWidth = 256;
    private const int Classes = 10;

    // The GEMMs' thread bound of the two-thread step.
    private static readonly Compute TwoThreads = new(2);

    private float[] _x = [];
    private int[] _labels = [];
    private float[] _logits = [];
    private float[] _gradient = [];
    private float[] _b = [];
    private float[] _c = [];
    private float[] _delta = [];
    private float[] _dw = [];
    private float[] _d2 = [];
    private float[] _w2 = [];
    private float[] _dx = [];
    private Mlp _mlp = null!;
    private Adam _adam = null!;
    private ILogitLoss _loss = null!;

    private Tensor _tx = null!;
    private Tensor _ty = null!;
    private Tensor _ta = null!;
    private Tensor _tb = null!;
    private Tensor _tdelta = null!;
    private Tensor _td2 = null!;
    private Tensor _tw2 = null!;
    private Mlp _mlp2 = null!;
    private Adam _adam2 = null!;
    private nn.Module<Tensor, Tensor> _model2 = null!;
    private optim.Optimizer _opt2 = null!;
    private nn.Module<Tensor, Tensor> _model = null!;
    private optim.Optimizer _opt = null!;

    /// <summary>Random inputs in [0, 1), uniform labels, fixed seed; both models built once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _x = new float[Batch * Inputs];
        for (int i = 0; i < _x.Length; i++)
        {
            _x[i] = (float)rng.NextDouble();
        }

        _labels = new int[Batch];
        var labels64 = new long[Batch];
        for (int i = 0; i < Batch; i++)
        {
            _labels[i] = rng.Next(Classes);
            labels64[i] = _labels[i];
        }

        _b = new float[Inputs * HiddenWidth];
        for (int i = 0; i < _b.Length; i++)
        {
            _b[i] = (float)(rng.NextDouble() - 0.5);
        }

        _c = new float[Batch * HiddenWidth];
        _delta = new float[Batch * HiddenWidth];
        for (int i = 0; i < _delta.Length; i++)
        {
            _delta[i] = (float)(rng.NextDouble() - 0.5);
        }

        _dw = new float[Inputs * HiddenWidth];
        _d2 = new float[Batch * Classes];
        for (int i = 0; i < _d2.Length; i++)
        {
            _d2[i] = (float)(rng.NextDouble() - 0.5);
        }

        _w2 = new float[HiddenWidth * Classes];
        for (int i = 0; i < _w2.Length; i++)
        {
            _w2[i] = (float)(rng.NextDouble() - 0.5);
        }

        _dx = new float[Batch * HiddenWidth];
        _mlp2 = new Mlp(Inputs, [HiddenWidth], Classes, Activation.Relu, seed: 1);
        _adam2 = new Adam(_mlp2.Parameters.Length, 1e-3);
        _logits = new float[Batch * Classes];
        _gradient = new float[Batch * Classes];
        _mlp = new Mlp(Inputs, [HiddenWidth], Classes, Activation.Relu, seed: 1);
        _adam = new Adam(_mlp.Parameters.Length, 1e-3);
        _loss = LossCatalog.Create("ce", new LossContext(Classes));

        torch.set_num_threads(1);
        torch.manual_seed(1);
        _tx = tensor(_x, [Batch, Inputs]);
        _ty = tensor(labels64);
        _ta = tensor(_x, [Batch, Inputs]);
        _tb = tensor(_b, [Inputs, HiddenWidth]);
        _tdelta = tensor(_delta, [Batch, HiddenWidth]);
        _td2 = tensor(_d2, [Batch, Classes]);
        _tw2 = tensor(_w2, [HiddenWidth, Classes]);
        _model = nn.Sequential(("fc1", nn.Linear(Inputs, HiddenWidth)), ("relu", nn.ReLU()), ("fc2", nn.Linear(HiddenWidth, Classes)));
        _opt = optim.Adam(_model.parameters(), 1e-3);
        torch.manual_seed(1);
        _model2 = nn.Sequential(("fc1", nn.Linear(Inputs, HiddenWidth)), ("relu", nn.ReLU()), ("fc2", nn.Linear(HiddenWidth, Classes)));
        _opt2 = optim.Adam(_model2.parameters(), 1e-3);
    }

    /// <summary>Frees the libtorch objects.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _tx.Dispose();
        _ty.Dispose();
        _ta.Dispose();
        _tb.Dispose();
        _tdelta.Dispose();
        _td2.Dispose();
        _tw2.Dispose();
        _model.Dispose();
        _model2.Dispose();
    }

    /// <summary>One training step with ClassLoss.Training.</summary>
    [Benchmark(Baseline = true)]
    public double MlpStep()
    {
        _mlp.Forward(_x, Batch, _logits, Compute.SingleThread);
        var r = _loss.Evaluate(_logits, LossTargets.FromLabels(_labels), Classes, _gradient, default);
        _mlp.Backward(_gradient, Compute.SingleThread);
        _adam.Step(_mlp.Parameters, _mlp.Gradients, 1e-3);
        return r.Value;
    }

    /// <summary>One training step with TorchSharp, one thread.</summary>
    [Benchmark]
    public float TorchMlpStep()
    {
        torch.set_num_threads(1);
        using var scope = NewDisposeScope();
        _opt.zero_grad();
        var loss = nn.functional.cross_entropy(_model.forward(_tx), _ty);
        loss.backward();
        _opt.step();
        return loss.item<float>();
    }

    /// <summary>Our GEMM, C[128x256] = A[128x784]·B[784x256].</summary>
    [Benchmark]
    public float Gemm128x784x256()
    {
        Gemm.Multiply(_x, _b, _c, Batch, Inputs, HiddenWidth);
        return _c[0];
    }

    /// <summary>torch.matmul at the same shape, one thread.</summary>
    [Benchmark]
    public float TorchGemm128x784x256()
    {
        torch.set_num_threads(1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = matmul(_ta, _tb);
        return c[0, 0].item<float>();
    }

    /// <summary>Our weight-gradient GEMM, dW[784x256] = Xᵀ·δ with X [128x784] (A transposed).</summary>
    [Benchmark]
    public float GemmXtDelta784x128x256()
    {
        Gemm.Multiply(_x, _delta, _dw, Inputs, Batch, HiddenWidth, transposeA: true);
        return _dw[0];
    }

    /// <summary>torch.matmul(Xᵀ, δ) at the same shape (a transposed view), one thread.</summary>
    [Benchmark]
    public float TorchGemmXtDelta784x128x256()
    {
        torch.set_num_threads(1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = matmul(_ta.t(), _tdelta);
        return c[0, 0].item<float>();
    }

    /// <summary>Our input-gradient GEMM, dH[128x256] = δ₂·W₂ᵀ with W₂ [256x10] (B transposed).</summary>
    [Benchmark]
    public float GemmDeltaWt128x10x256()
    {
        Gemm.Multiply(_d2, _w2, _dx, Batch, Classes, HiddenWidth, transposeB: true);
        return _dx[0];
    }

    /// <summary>torch.matmul(δ₂, W₂ᵀ) at the same shape (a transposed view), one thread.</summary>
    [Benchmark]
    public float TorchGemmDeltaWt128x10x256()
    {
        torch.set_num_threads(1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var c = matmul(_td2, _tw2.t());
        return c[0, 0].item<float>();
    }

    /// <summary>One training step with ClassLoss.Training, GEMMs on two threads (<see cref="TwoThreads"/>).</summary>
    [Benchmark]
    public double MlpStep2Threads()
    {
        _mlp2.Forward(_x, Batch, _logits, TwoThreads);
        var r = _loss.Evaluate(_logits, LossTargets.FromLabels(_labels), Classes, _gradient, default);
        _mlp2.Backward(_gradient, TwoThreads);
        _adam2.Step(_mlp2.Parameters, _mlp2.Gradients, 1e-3);
        return r.Value;
    }

    /// <summary>One training step with TorchSharp, two threads.</summary>
    [Benchmark]
    public float TorchMlpStep2Threads()
    {
        torch.set_num_threads(2);
        try
        {
            using var scope = NewDisposeScope();
            _opt2.zero_grad();
            var loss = nn.functional.cross_entropy(_model2.forward(_tx), _ty);
            loss.backward();
            _opt2.step();
            return loss.item<float>();
        }
        finally
        {
            torch.set_num_threads(1);
        }
    }
}
