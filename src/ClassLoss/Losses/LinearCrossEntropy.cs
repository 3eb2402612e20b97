using System.Buffers;
using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>How <see cref="LinearCrossEntropy"/> trades memory for time.</summary>
public enum LinearCrossEntropyMethod
{
    /// <summary>
    /// Liger-Kernel's way (FusedLinearCrossEntropy): each chunk of tokens gets its full [rows, V] logits once, which
    /// are turned into their gradient in place and folded into the hidden, weight and bias gradients at once: three
    /// products per element, no recomputation; holds one token chunk's logits (<see cref="LinearCrossEntropyOptions.ChunkRows"/>).
    /// </summary>
    FusedGradient,

    /// <summary>
    /// Cut Cross-Entropy's way (Wijmans et al., ICLR 2025): blocks of [rows, vocabulary] logits with an online
    /// log-sum-exp; only the log-sum-exps are kept, and the backward recomputes each block: four products per element,
    /// holds one block (<see cref="LinearCrossEntropyOptions.ChunkRows"/> × <see cref="LinearCrossEntropyOptions.ChunkVocabulary"/>).
    /// </summary>
    Recompute,
}

/// <summary>Options of <see cref="LinearCrossEntropy"/> (PyTorch's <c>cross_entropy</c> on <c>linear(h, W, b)</c>, plus the
/// language-model head's extras).</summary>
public sealed record LinearCrossEntropyOptions : LossOptions
{
    /// <summary>The defaults: no smoothing, z-loss or soft-capping, ignore index -100, mean over counted tokens, chunks
    /// sized automatically, <see cref="LinearCrossEntropyMethod.FusedGradient"/>.</summary>
    public static LinearCrossEntropyOptions Default { get; } = new();

    /// <summary>Class weights (length V) and the ignore index.</summary>
    private protected override SharedOptions Takes => SharedOptions.ClassWeights | SharedOptions.IgnoreIndex;

    /// <summary>PyTorch's <c>label_smoothing</c> ε in [0, 1]: the target becomes <c>(1 - ε) e_y + ε / V</c>, class weights
    /// applied per class as PyTorch does. Default 0.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>The z-loss scale s ≥ 0 (PaLM's auxiliary loss, Liger's <c>lse_square_scale</c>): each counted token adds
    /// <c>s · lse²</c>, reported alone in <see cref="LinearCrossEntropyResult.ZLoss"/> as well as added. Default 0.</summary>
    public double ZLossScale { get; init; }

    /// <summary>Gemma-2's logit soft-capping: the logits become <c>c · tanh(z / c)</c> before the softmax. 0 (the default)
    /// turns it off; otherwise finite and &gt; 0.</summary>
    public double SoftCap { get; init; }

    /// <summary>Tokens per chunk; 0 (the default) sizes chunks to hold about 4 M logits, and for the fused-gradient way at
    /// least min(256, N/16) tokens (a large vocabulary's chunk would otherwise spend its time streaming W). Any value gives the same loss
    /// within 1e-6 relative; the chunking is fixed by this and the shapes alone, never by the thread count.</summary>
    public int ChunkRows { get; init; }

    /// <summary>Vocabulary entries per block of <see cref="LinearCrossEntropyMethod.Recompute"/>; 0 (the default): 4096.</summary>
    public int ChunkVocabulary { get; init; }

    /// <summary>Fused gradient (default, Liger) or recompute (Cut Cross-Entropy).</summary>
    public LinearCrossEntropyMethod Method { get; init; }

    private protected override void Validate(int classes)
    {
        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing <= 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1]");
        Guard.Option(ZLossScale >= 0 && double.IsFinite(ZLossScale), nameof(ZLossScale), ZLossScale, "must be finite and >= 0");
        Guard.Option(SoftCap >= 0 && double.IsFinite(SoftCap), nameof(SoftCap), SoftCap, "must be finite and >= 0 (0: off)");
        Guard.Option(ChunkRows >= 0, nameof(ChunkRows), ChunkRows, "must be >= 0 (0: automatic)");
        Guard.Option(ChunkVocabulary >= 0, nameof(ChunkVocabulary), ChunkVocabulary, "must be >= 0 (0: automatic)");
        Guard.Option(Enum.IsDefined(Method), nameof(Method), (double)Method, "is not a known method");
    }
}

/// <summary>The result of <see cref="LinearCrossEntropy.Evaluate{T}"/>: the loss (cross-entropy plus z-loss, reduced) and
/// the z-loss alone, reduced the same way.</summary>
/// <param name="Loss">The reduced loss (its value includes the z-loss), its unreduced sum, the mean's denominator (the
/// counted weight <c>Σ s_i w_{y_i}</c>) and N.</param>
/// <param name="ZLoss">The z-loss part alone: <c>Σ s_i · scale · lse_i²</c> over counted tokens, divided for a mean by
/// their count <c>Σ s_i</c> (not by the class weights, as Liger does).</param>
public readonly record struct LinearCrossEntropyResult(LossResult Loss, double ZLoss);

/// <summary>
/// Cross-entropy of a linear head, <c>softmax(h Wᵀ + b)</c> against class indices, computed without ever holding the
/// [N, V] logits: the language-model head of a large vocabulary (Liger-Kernel's FusedLinearCrossEntropy; Wijmans et
/// al. 2025, "Cut Your Losses in Large-Vocabulary Language Models").
/// </summary>
/// <remarks>
/// <para>Per token i with logits <c>z = W h_i + b</c> (soft-capped to <c>c tanh(z / c)</c> when asked), target y,
/// class weights w, sample weight s_i and <c>lse = log Σ_j exp z_j</c>:
/// <c>ℓ_i = s_i [(1 - ε) w_y (lse - z_y) + (ε / V) Σ_c w_c (lse - z_c)] + s_i · zs · lse²</c>.
/// Gradient w.r.t. the logits, with <c>p = softmax(z)</c>, the reduction's factors a (cross-entropy) and a_z (z-loss):
/// <c>g_j = p_j (a s_i [(1 - ε) w_y + (ε / V) Σ w] + 2 a_z s_i zs lse) - a s_i [(1 - ε) w_y δ_jy + (ε / V) w_j]</c>,
/// times <c>1 - (z_j / c)²</c> through the cap; then <c>∂h = G W</c>, <c>∂W = Gᵀ H</c>, <c>∂b = Σ_i g_i</c>.</para>
/// <para>The mean divides the cross-entropy by <c>Σ s_i w_{y_i}</c> over counted tokens (PyTorch's weighted mean) and the
/// z-loss by <c>Σ s_i</c>; an ignored token contributes nothing. <c>-inf</c> bias entries mask vocabulary entries
/// (their probability is 0; with smoothing a masked entry's target mass makes the loss +∞, as in PyTorch).</para>
/// <para>Arithmetic: float products in the float GEMM (<see cref="Numerics.Gemm"/>), the log-sum-exp per row with the
/// max subtracted, every sum over rows or classes in double; double input runs the same steps in double. Half and
/// <see cref="BFloat16"/> inputs are widened to float (exactly) and run the float path, every gradient accumulated in
/// float (∂W included, across all chunks) and rounded to the input's type once at the end; the loss equals the float
/// path's on the widened values bit for bit. That costs float copies of h and W and a float ∂W beside the caller's. For any
/// thread count the result is bit-identical; the chunk size changes only the order in which ∂W and ∂b add chunks.</para>
/// </remarks>
public static class LinearCrossEntropy
{
    /// <summary>Loss and gradients of the linear head <c>softmax(h Wᵀ + b)</c> against class indices.</summary>
    /// <param name="hidden">Row-major [N, D] hidden states h.</param>
    /// <param name="weight">Row-major [V, D] weight W (PyTorch's <c>nn.Linear</c> layout).</param>
    /// <param name="bias">V biases, or empty for none.</param>
    /// <param name="targets">N class indices in [0, V), or the ignore index.</param>
    /// <param name="dimension">D.</param>
    /// <param name="options">Smoothing, z-loss, soft-cap, weights, ignore index, reduction, chunking; null for the defaults.</param>
    /// <param name="hiddenGradient">[N, D] buffer for ∂(reduced loss)/∂h (overwritten); empty to skip.</param>
    /// <param name="weightGradient">[V, D] buffer for ∂(reduced loss)/∂W (overwritten); empty to skip.</param>
    /// <param name="biasGradient">V buffer for ∂(reduced loss)/∂b (overwritten); empty to skip (always, without a bias).</param>
    /// <param name="losses">N buffer for the per-token losses (overwritten; 0 for an ignored token); empty to skip.</param>
    /// <param name="logSumExps">N buffer for the per-token log-sum-exps (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-token weights (finite, ≥ 0), or empty for none.</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N, finite); empty for ones.</param>
    public static LinearCrossEntropyResult Evaluate<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<int> targets, int dimension, LinearCrossEntropyOptions? options,
        Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> losses = default, Span<T> logSumExps = default,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? LinearCrossEntropyOptions.Default;
        if (dimension < 1)
        {
            throw new ArgumentException($"dimension is {dimension}; expected at least 1.", nameof(dimension));
        }

        if (typeof(T) == typeof(Half) || typeof(T) == typeof(BFloat16))
        {
            return Staged(hidden, weight, bias, targets, dimension, o, hiddenGradient, weightGradient, biasGradient,
                losses, logSumExps, sampleWeights, gradOutput);
        }

        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"LinearCrossEntropy takes float, double, Half or BFloat16 input, not {typeof(T).Name}.");
        }

        int n = targets.Length;
        int v = Guard.Rows(weight.Length, dimension, nameof(weight));
        if (v == 0)
        {
            throw new ArgumentException("weight is empty; expected [V, D] with V >= 1.", nameof(weight));
        }

        Guard.Length(hidden.Length, checked(n * dimension), nameof(hidden));
        Guard.Length(bias.Length, v, nameof(bias), optional: true);
        Guard.Length(hiddenGradient.Length, hidden.Length, nameof(hiddenGradient), optional: true);
        Guard.Length(weightGradient.Length, weight.Length, nameof(weightGradient), optional: true);
        Guard.Length(biasGradient.Length, bias.IsEmpty ? 0 : v, nameof(biasGradient), optional: true);
        Guard.Length(losses.Length, n, nameof(losses), optional: true);
        Guard.Length(logSumExps.Length, n, nameof(logSumExps), optional: true);
        o.ValidateFor(v);
        LossDriver.CheckSampleWeights(sampleWeights, n, v, elementsIndependent: false);
        LossDriver.CheckGradOutput(gradOutput, n, v, o.Reduction, elementsIndependent: false);
        double denominator = Guard.Labels(targets, v, o.IgnoreIndex, o.WeightSpan, sampleWeights, nameof(targets));
        double counted = Guard.Labels(targets, v, o.IgnoreIndex, default, sampleWeights, nameof(targets));
        var head = new LinearHead<T>(o, v, dimension,
            Reducer.GradientScale(o.Reduction, o.WhenEmpty, denominator, n),
            Reducer.GradientScale(o.Reduction, o.WhenEmpty, counted, n));
        (double sum, double zSum) = o.Method == LinearCrossEntropyMethod.Recompute
            ? head.Recompute(hidden, weight, bias, targets, hiddenGradient, weightGradient, biasGradient, losses, logSumExps, sampleWeights, gradOutput)
            : head.FusedGradient(hidden, weight, bias, targets, hiddenGradient, weightGradient, biasGradient, losses, logSumExps, sampleWeights, gradOutput);
        LossResult ce = Reducer.Result(o.Reduction, o.WhenEmpty, sum - zSum, denominator, n);
        LossResult z = Reducer.Result(o.Reduction, o.WhenEmpty, zSum, counted, n);
        return new LinearCrossEntropyResult(ce with { Value = ce.Value + z.Value, Sum = sum }, z.Value);
    }

    /// <summary>
    /// Half or <see cref="BFloat16"/> inputs: widened into pooled float buffers (exact), run on the float path with
    /// float gradients, then each output rounded once into the caller's 16-bit buffer. So every accumulation is in
    /// float, ∂W's across all token chunks included (Liger-Kernel PR #1391 measured 1.3x-7.3x larger gradient errors
    /// from bf16 accumulation), and the loss is the float path's on the widened values, bit for bit.
    /// </summary>
    private static LinearCrossEntropyResult Staged<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<int> targets, int dimension, LinearCrossEntropyOptions options,
        Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> losses, Span<T> logSumExps,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rented = new List<float[]>(10);
        try
        {
            Span<float> In(ReadOnlySpan<T> source)
            {
                if (source.IsEmpty)
                {
                    return default;
                }

                float[] a = ArrayPool<float>.Shared.Rent(source.Length);
                rented.Add(a);
                Span<float> f = a.AsSpan(0, source.Length);
                SixteenBitSpans.Widen(source, f);
                return f;
            }

            Span<float> Out(int length)
            {
                if (length == 0)
                {
                    return default;
                }

                float[] a = ArrayPool<float>.Shared.Rent(length);
                rented.Add(a);
                return a.AsSpan(0, length);
            }

            Span<float> dh = Out(hiddenGradient.Length), dw = Out(weightGradient.Length), db = Out(biasGradient.Length);
            Span<float> l = Out(losses.Length), lse = Out(logSumExps.Length);
            var result = LinearCrossEntropy.Evaluate<float>(In(hidden), In(weight), In(bias), targets, dimension, options,
                dh, dw, db, l, lse, In(sampleWeights), In(gradOutput));
            SixteenBitSpans.Narrow(dh, hiddenGradient);
            SixteenBitSpans.Narrow(dw, weightGradient);
            SixteenBitSpans.Narrow(db, biasGradient);
            SixteenBitSpans.Narrow(l, losses);
            SixteenBitSpans.Narrow(lse, logSumExps);
            return result;
        }
        finally
        {
            foreach (float[] a in rented)
            {
                ArrayPool<float>.Shared.Return(a);
            }
        }
    }
}
