using System.Numerics;
using System.Runtime.InteropServices;

namespace ClassLoss.Training.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019), as PyTorch's <c>torch.optim.Adam</c> /
/// <c>AdamW</c>: <c>m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)</c>.
/// Adam adds λθ to g (L2); AdamW instead decays <c>θ ← θ(1 − lr·λ)</c> before the step.
/// </summary>
/// <remarks>
/// The moments are flushed to zero when they fall below the smallest normal float (2⁻¹²⁶), as flush-to-zero hardware
/// would do: a weight whose gradient has stopped (e.g. one fed by a pixel that is almost always 0) has m decaying
/// by β₁ per step into the subnormal range, where every operation on it can take a microcode assist (the update of
/// 200k parameters became several times slower within a few epochs of Fashion-MNIST). The update such a moment would make,
/// lr·m/(√v̂ + ε) ≤ 10⁻³·2⁻¹²⁶/ε ≈ 10⁻³³, is below the rounding of any parameter larger than about 10⁻²⁶, so only
/// the stored moments differ from an unflushed run. Vectors and the scalar tail apply the same IEEE operations in
/// the same order (no fused multiply-add), so the result does not depend on the vector width.
/// </remarks>
public sealed class Adam(int size, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
    double weightDecay = 0, bool decoupled = false) : IOptimizer
{
    // 2^-126: moments below it are flushed to zero (see remarks).
    private const float MinNormal = 1.17549435E-38f;

    private readonly float[] _m = new float[size];
    private readonly float[] _v = new float[size];
    private long _t;

    /// <inheritdoc/>
    public string Name => $"{(decoupled ? "adamw" : "adam")}:lr={learningRate:R},beta1={beta1:R},beta2={beta2:R},eps={epsilon:R},wd={weightDecay:R}";

    /// <inheritdoc/>
    public double LearningRate => learningRate;

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, double lr)
    {
        _t++;
        double c1 = 1 - Math.Pow(beta1, _t);
        double c2 = 1 - Math.Pow(beta2, _t);
        float b1 = (float)beta1;
        float b2 = (float)beta2;
        float stepSize = (float)(lr / c1);
        float sqrtC2 = (float)Math.Sqrt(c2);
        float eps = (float)epsilon;
        float l2 = decoupled ? 0f : (float)weightDecay;
        float decay = decoupled ? (float)(1 - (lr * weightDecay)) : 1f;
        // Vectors first, then the scalar tail; both apply the same IEEE operations in the same order.
        var pv = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        var gv = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        var mv = MemoryMarshal.Cast<float, Vector<float>>(_m.AsSpan(0, parameters.Length));
        var vv = MemoryMarshal.Cast<float, Vector<float>>(_v.AsSpan(0, parameters.Length));
        var b1v = new Vector<float>(b1);
        var b2v = new Vector<float>(b2);
        var ob1 = new Vector<float>(1 - b1);
        var ob2 = new Vector<float>(1 - b2);
        var stepv = new Vector<float>(stepSize);
        var sqrtC2v = new Vector<float>(sqrtC2);
        var epsv = new Vector<float>(eps);
        var l2v = new Vector<float>(l2);
        var decayv = new Vector<float>(decay);
        var tiny = new Vector<float>(MinNormal);
        for (int i = 0; i < pv.Length; i++)
        {
            var p = pv[i] * decayv;
            var g = gv[i] + (l2v * p);
            var m = (b1v * mv[i]) + (ob1 * g);
            var v = (b2v * vv[i]) + (ob2 * g * g);
            m = Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(m), tiny), Vector<float>.Zero, m);
            v = Vector.ConditionalSelect(Vector.LessThan(v, tiny), Vector<float>.Zero, v);
            mv[i] = m;
            vv[i] = v;
            pv[i] = p - (stepv * m / ((Vector.SquareRoot(v) / sqrtC2v) + epsv));
        }

        for (int i = pv.Length * Vector<float>.Count; i < parameters.Length; i++)
        {
            float p = parameters[i] * decay;
            float g = gradients[i] + (l2 * p);
            float m = (b1 * _m[i]) + ((1 - b1) * g);
            float v = (b2 * _v[i]) + ((1 - b2) * g * g);
            m = MathF.Abs(m) < MinNormal ? 0f : m;
            v = v < MinNormal ? 0f : v;
            _m[i] = m;
            _v[i] = v;
            parameters[i] = p - (stepSize * m / ((MathF.Sqrt(v) / sqrtC2) + eps));
        }
    }

    /// <inheritdoc/>
    public void Save(BinaryWriter writer)
    {
        OptimizerState.Write(writer, _t, _m);
        OptimizerState.Write(writer, _t, _v);
    }

    /// <inheritdoc/>
    public void Load(BinaryReader reader)
    {
        OptimizerState.Read(reader, out _t, _m);
        OptimizerState.Read(reader, out _, _v);
    }
}
