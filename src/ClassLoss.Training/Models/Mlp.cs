using System.Numerics;
using System.Runtime.InteropServices;

namespace ClassLoss.Training.Models;

/// <summary>
/// A multilayer perceptron of any depth and width producing logits: <c>Linear → act → … → Linear</c>. With no
/// hidden layers it is softmax (multinomial logistic) regression. All weights live in one flat parameter buffer
/// and all gradients in one flat gradient buffer of the same layout (layer by layer: W [in, out], then b [out]).
/// </summary>
/// <remarks>
/// <see cref="Forward"/> keeps the activations of the last batch; <see cref="Backward"/> then overwrites
/// <see cref="Gradients"/> with ∂L/∂θ given ∂L/∂logits. Deterministic: the GEMMs of a pass use up to the
/// <see cref="Compute.Threads"/> the caller passes, and give the same bits for any number.
/// </remarks>
public sealed class Mlp
{
    private readonly Linear[] _layers;
    private float[][] _acts = [];
    private float[] _delta = [];
    private float[] _delta2 = [];
    private int _rows;

    /// <summary>Creates the network and initialises it with <paramref name="seed"/>.</summary>
    /// <param name="inputs">D, the number of input features.</param>
    /// <param name="hidden">Widths of the hidden layers (empty for softmax regression).</param>
    /// <param name="outputs">K, the number of classes (logits).</param>
    /// <param name="activation">The hidden nonlinearity.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation = Activation.Relu, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        Hidden = [.. hidden];
        foreach (int h in Hidden)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(h, 1, nameof(hidden));
        }

        Inputs = inputs;
        Outputs = outputs;
        Activation = activation;
        _layers = new Linear[Hidden.Length + 1];
        int offset = 0;
        int fanIn = inputs;
        for (int l = 0; l < _layers.Length; l++)
        {
            int fanOut = l < Hidden.Length ? Hidden[l] : outputs;
            _layers[l] = new Linear(fanIn, fanOut, offset);
            offset += _layers[l].ParameterCount;
            fanIn = fanOut;
        }

        Parameters = new float[offset];
        Gradients = new float[offset];
        Initialize(seed);
    }

    /// <summary>D.</summary>
    public int Inputs { get; }

    /// <summary>K.</summary>
    public int Outputs { get; }

    /// <summary>Hidden widths.</summary>
    public int[] Hidden { get; }

    /// <summary>The hidden nonlinearity.</summary>
    public Activation Activation { get; }

    /// <summary>The flat parameter buffer.</summary>
    public float[] Parameters { get; }

    /// <summary>The flat gradient buffer (same layout as <see cref="Parameters"/>).</summary>
    public float[] Gradients { get; }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Linear> Layers => _layers;

    /// <summary>A short description, e.g. <c>mlp:256,128:relu</c> or <c>softmax</c>.</summary>
    public string Describe() => Hidden.Length == 0 ? "softmax" : $"mlp:{string.Join(',', Hidden)}:{Activation.ToString().ToUpperInvariant()}".ToLowerInvariant();

    /// <summary>
    /// Re-initialises the weights: He normal N(0, 2/fan_in) for ReLU layers, Xavier uniform
    /// U(±√(6/(fan_in+fan_out))) otherwise (tanh and the output layer); biases 0.
    /// </summary>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        Array.Clear(Parameters);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var w = Parameters.AsSpan(layer.Offset, layer.Inputs * layer.Outputs);
            bool he = Activation == Activation.Relu && l < Hidden.Length;
            if (he)
            {
                double sd = Math.Sqrt(2.0 / layer.Inputs);
                for (int i = 0; i < w.Length; i++)
                {
                    // Box-Muller: u1 in (0, 1].
                    double u1 = 1.0 - rng.NextDouble();
                    double u2 = rng.NextDouble();
                    w[i] = (float)(sd * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                }
            }
            else
            {
                double a = Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = (float)(((2 * rng.NextDouble()) - 1) * a);
                }
            }
        }
    }

    /// <summary>Computes [rows, K] logits of [rows, D] inputs and keeps the activations for <see cref="Backward"/>.</summary>
    /// <param name="x">[rows, D] inputs.</param>
    /// <param name="rows">The batch size.</param>
    /// <param name="logits">Receives [rows, K] logits.</param>
    /// <param name="compute">The threads the GEMMs may use (results do not depend on it).</param>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> logits, Compute compute)
    {
        if (x.Length < rows * Inputs || logits.Length < rows * Outputs)
        {
            throw new ArgumentException($"need {rows}x{Inputs} inputs and {rows}x{Outputs} logits; got {x.Length} and {logits.Length}.", nameof(x));
        }

        Ensure(rows);
        x[..(rows * Inputs)].CopyTo(_acts[0]);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            bool last = l == _layers.Length - 1;
            Span<float> y = last ? logits[..(rows * Outputs)] : _acts[l + 1].AsSpan(0, rows * layer.Outputs);
            layer.Forward(Parameters, _acts[l].AsSpan(0, rows * layer.Inputs), rows, y, compute);
            if (!last)
            {
                Activate(y);
            }
        }

        _rows = rows;
    }

    /// <summary>Overwrites <see cref="Gradients"/> with ∂L/∂θ given ∂L/∂logits of the last <see cref="Forward"/> batch.</summary>
    /// <param name="logitGradient">[rows, K] ∂L/∂logits.</param>
    /// <param name="compute">The threads the GEMMs may use (results do not depend on it).</param>
    public void Backward(ReadOnlySpan<float> logitGradient, Compute compute)
    {
        int rows = _rows;
        if (logitGradient.Length < rows * Outputs)
        {
            throw new ArgumentException($"need {rows}x{Outputs} logit gradients; got {logitGradient.Length}.", nameof(logitGradient));
        }

        ReadOnlySpan<float> dy = logitGradient[..(rows * Outputs)];
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            var layer = _layers[l];
            var x = _acts[l].AsSpan(0, rows * layer.Inputs);
            Span<float> dx = l == 0 ? default : _delta2.AsSpan(0, rows * layer.Inputs);
            layer.Backward(Parameters, x, dy, rows, Gradients, dx, compute);
            if (l > 0)
            {
                ActivateBackward(x, dx);
                dx.CopyTo(_delta);
                dy = _delta.AsSpan(0, dx.Length);
            }
        }
    }

    private void Activate(Span<float> y)
    {
        if (Activation == Activation.Relu)
        {
            // NaN stays NaN (as PyTorch's relu), so a poisoned input surfaces as a non-finite loss: NaN < 0 is false.
            var yv = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int i = 0; i < yv.Length; i++)
            {
                yv[i] = Vector.ConditionalSelect(Vector.LessThan(yv[i], Vector<float>.Zero), Vector<float>.Zero, yv[i]);
            }

            for (int i = yv.Length * Vector<float>.Count; i < y.Length; i++)
            {
                y[i] = y[i] < 0 ? 0f : y[i];
            }
        }
        else
        {
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = MathF.Tanh(y[i]);
            }
        }
    }

    // dh *= act'(pre) written in terms of the output h: relu' = [h > 0], tanh' = 1 - h².
    private void ActivateBackward(ReadOnlySpan<float> h, Span<float> dh)
    {
        if (Activation == Activation.Relu)
        {
            // Branch-free: the sign pattern of h is data, so a branch would mispredict half the time.
            var hv = MemoryMarshal.Cast<float, Vector<float>>(h);
            var dv = MemoryMarshal.Cast<float, Vector<float>>(dh);
            for (int i = 0; i < dv.Length; i++)
            {
                dv[i] = Vector.ConditionalSelect(Vector.GreaterThan(hv[i], Vector<float>.Zero), dv[i], Vector<float>.Zero);
            }

            for (int i = dv.Length * Vector<float>.Count; i < dh.Length; i++)
            {
                dh[i] = h[i] > 0 ? dh[i] : 0f;
            }
        }
        else
        {
            for (int i = 0; i < dh.Length; i++)
            {
                dh[i] *= 1f - (h[i] * h[i]);
            }
        }
    }

    private void Ensure(int rows)
    {
        if (_acts.Length > 0 && _acts[0].Length >= rows * Inputs)
        {
            return;
        }

        _acts = new float[_layers.Length][];
        int widest = 0;
        for (int l = 0; l < _layers.Length; l++)
        {
            _acts[l] = new float[rows * _layers[l].Inputs];
            widest = Math.Max(widest, _layers[l].Inputs);
        }

        _delta = new float[rows * widest];
        _delta2 = new float[rows * widest];
    }
}
