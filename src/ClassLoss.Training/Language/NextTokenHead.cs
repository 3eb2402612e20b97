using ClassLoss.Losses;
using ClassLoss.Numerics;

namespace ClassLoss.Training.Language;

/// <summary>How a <see cref="NextTokenModel"/> computes its output layer, <c>cross_entropy(h Wᵀ + b, y)</c> over the
/// vocabulary.</summary>
public enum NextTokenHeadKind
{
    /// <summary><see cref="LinearCrossEntropy"/>: never holds more than a chunk of the [B, V] logits.</summary>
    Fused,

    /// <summary>The textbook way: the [B, V] logits and their gradient materialised (our GEMM, then our
    /// <see cref="SoftmaxCrossEntropy"/> kernel on the logits, then two more GEMMs).</summary>
    Naive,
}

/// <summary>
/// The output layer of <see cref="NextTokenModel"/>: the mean cross-entropy of <c>softmax(h Wᵀ + b)</c> against the next
/// tokens, with the gradients w.r.t. h, W and b. Both kinds compute the same function; they differ in the memory they
/// hold (<see cref="WorkingBytes"/>).
/// </summary>
public sealed class NextTokenHead
{
    private readonly int _vocabulary;
    private readonly int _dimension;
    private readonly Compute _compute;
    private readonly LinearCrossEntropyOptions _fused;
    private readonly SoftmaxCrossEntropyOptions _naive;
    private float[] _logits = [];
    private float[] _logitGradient = [];
    private double[] _biasSum = [];

    /// <summary>Creates a head of one kind for a vocabulary of <paramref name="vocabulary"/> entries and hidden size
    /// <paramref name="dimension"/>.</summary>
    public NextTokenHead(NextTokenHeadKind kind, int vocabulary, int dimension, Compute compute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(compute);
        Kind = kind;
        _vocabulary = vocabulary;
        _dimension = dimension;
        _compute = compute;
        _fused = new LinearCrossEntropyOptions { MaxDegreeOfParallelism = compute.Threads };
        _naive = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = compute.Threads };
    }

    /// <summary>Fused or naive.</summary>
    public NextTokenHeadKind Kind { get; }

    /// <summary>The bytes this head holds between calls: the naive head's [B, V] logits and their gradient (the fused
    /// head's chunk is rented per call inside <see cref="LinearCrossEntropy"/>; measure it with allocated bytes).</summary>
    public long WorkingBytes => ((long)_logits.Length + _logitGradient.Length) * sizeof(float);

    /// <summary>
    /// The mean cross-entropy over the <paramref name="targets"/>' tokens; writes ∂/∂h into <paramref name="hiddenGradient"/>
    /// and ∂/∂W, ∂/∂b into <paramref name="weightGradient"/>, <paramref name="biasGradient"/> (overwritten) unless they
    /// are empty (all three empty: forward only).
    /// </summary>
    public double Evaluate(ReadOnlySpan<float> hidden, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, ReadOnlySpan<int> targets,
        Span<float> hiddenGradient, Span<float> weightGradient, Span<float> biasGradient)
    {
        if (Kind == NextTokenHeadKind.Fused)
        {
            return LinearCrossEntropy.Evaluate(hidden, weight, bias, targets, _dimension, _fused, hiddenGradient, weightGradient, biasGradient).Loss.Value;
        }

        int rows = targets.Length;
        int size = rows * _vocabulary;
        if (_logits.Length < size)
        {
            _logits = new float[size];
            _logitGradient = new float[size];
        }

        var logits = _logits.AsSpan(0, size);
        for (int i = 0; i < rows; i++)
        {
            bias.CopyTo(logits.Slice(i * _vocabulary, _vocabulary));
        }

        Gemm.Multiply(hidden, weight, logits, rows, _dimension, _vocabulary, transposeB: true, accumulate: true, maxThreads: _compute.Threads);
        bool backward = !hiddenGradient.IsEmpty || !weightGradient.IsEmpty || !biasGradient.IsEmpty;
        var g = backward ? _logitGradient.AsSpan(0, size) : default;
        double loss = SoftmaxCrossEntropy.Evaluate<float>(logits, targets, _vocabulary, _naive, g, default).Value;
        if (!backward)
        {
            return loss;
        }

        if (!hiddenGradient.IsEmpty)
        {
            Gemm.Multiply(g, weight, hiddenGradient, rows, _vocabulary, _dimension, maxThreads: _compute.Threads);
        }

        if (!weightGradient.IsEmpty)
        {
            Gemm.Multiply(g, hidden, weightGradient, _vocabulary, rows, _dimension, transposeA: true, maxThreads: _compute.Threads);
        }

        if (!biasGradient.IsEmpty)
        {
            // ∂b_j = Σ_i g_ij, summed in double in row order, a row at a time.
            var sum = _biasSum.Length >= _vocabulary ? _biasSum : (_biasSum = new double[_vocabulary]);
            Array.Clear(sum, 0, _vocabulary);
            for (int i = 0; i < rows; i++)
            {
                var row = g.Slice(i * _vocabulary, _vocabulary);
                for (int j = 0; j < row.Length; j++)
                {
                    sum[j] += row[j];
                }
            }

            for (int j = 0; j < _vocabulary; j++)
            {
                biasGradient[j] = (float)sum[j];
            }
        }

        return loss;
    }
}
