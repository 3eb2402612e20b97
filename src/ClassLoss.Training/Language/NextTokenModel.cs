using ClassLoss.Numerics;
using ClassLoss.Training.Models;

namespace ClassLoss.Training.Language;

/// <summary>
/// A small next-token model over a token stream: the embeddings of the previous <see cref="Context"/> tokens averaged
/// (a continuous bag of words), a tanh hidden layer, and a linear head over the whole vocabulary trained with
/// cross-entropy (<see cref="NextTokenHead"/>, fused or naive):
/// <c>x = (1/c) Σ_j E[t_{p-j}]</c>, <c>h = tanh(x W₁ + b₁)</c>, <c>ℓ = cross_entropy(h Wᵀ + b, t_p)</c>.
/// </summary>
/// <remarks>
/// All parameters live in one flat buffer (<see cref="Parameters"/>): E [V, d], W₁ [d, H] and b₁ [H] (a
/// <see cref="Linear"/> layer), the head's W [V, H] (PyTorch's <c>nn.Linear</c> layout) and b [V]. Positions before the
/// stream's start read <see cref="PadToken"/>. The gradient of E is dense (every row cleared each step, the rows the
/// batch reads accumulated in batch order), so any optimiser over the flat buffer applies.
/// </remarks>
public sealed class NextTokenModel
{
    private readonly Linear _hidden;
    private readonly int _embeddingOffset;
    private readonly int _weightOffset;
    private readonly int _biasOffset;
    private float[] _x = [];
    private float[] _h = [];
    private float[] _dh = [];
    private float[] _dx = [];
    private int[] _contexts = [];
    private int[] _targets = [];

    /// <summary>Creates the model with Xavier-uniform weights from <paramref name="seed"/>, zero biases.</summary>
    /// <param name="vocabulary">V, the number of token ids (GPT-2: 50,257).</param>
    /// <param name="embedding">d, the embedding size.</param>
    /// <param name="hidden">H, the hidden size (the head's input).</param>
    /// <param name="context">c, how many previous tokens the model sees.</param>
    /// <param name="padToken">The id read before the stream's start (GPT-2: its end-of-text token 50,256).</param>
    /// <param name="seed">Seed of the initialisation.</param>
    public NextTokenModel(int vocabulary, int embedding, int hidden, int context, int padToken, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embedding, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 1);
        if ((uint)padToken >= (uint)vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(padToken), padToken, $"must lie in [0, {vocabulary}).");
        }

        Vocabulary = vocabulary;
        Embedding = embedding;
        Hidden = hidden;
        Context = context;
        PadToken = padToken;
        _embeddingOffset = 0;
        _hidden = new Linear(embedding, hidden, vocabulary * embedding);
        _weightOffset = _hidden.Offset + _hidden.ParameterCount;
        _biasOffset = _weightOffset + (vocabulary * hidden);
        Parameters = new float[_biasOffset + vocabulary];
        var random = new Random(seed);
        Uniform(random, Parameters.AsSpan(_embeddingOffset, vocabulary * embedding), 1.0);
        Uniform(random, Parameters.AsSpan(_hidden.Offset, embedding * hidden), Math.Sqrt(6.0 / (embedding + hidden)));
        Uniform(random, Parameters.AsSpan(_weightOffset, vocabulary * hidden), Math.Sqrt(6.0 / (hidden + vocabulary)));
    }

    /// <summary>V.</summary>
    public int Vocabulary { get; }

    /// <summary>d.</summary>
    public int Embedding { get; }

    /// <summary>H.</summary>
    public int Hidden { get; }

    /// <summary>c.</summary>
    public int Context { get; }

    /// <summary>The id read before the stream's start.</summary>
    public int PadToken { get; }

    /// <summary>Every parameter: E, W₁, b₁, W, b.</summary>
    public float[] Parameters { get; }

    /// <summary>The number of parameters.</summary>
    public int ParameterCount => Parameters.Length;

    /// <summary>
    /// The mean next-token cross-entropy of the tokens at <paramref name="positions"/> of <paramref name="tokens"/>
    /// (each predicted from the <see cref="Context"/> before it); writes the gradient of every parameter into
    /// <paramref name="gradients"/> (overwritten) unless it is empty (forward only).
    /// </summary>
    public double Loss(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, NextTokenHead head, Span<float> gradients, Compute compute)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(compute);
        int rows = positions.Length;
        if (rows == 0)
        {
            throw new ArgumentException("positions is empty.", nameof(positions));
        }

        bool backward = !gradients.IsEmpty;
        if (backward && gradients.Length != Parameters.Length)
        {
            throw new ArgumentException($"gradients has length {gradients.Length}; expected {Parameters.Length}.", nameof(gradients));
        }

        Grow(rows);
        var contexts = _contexts.AsSpan(0, rows * Context);
        var targets = _targets.AsSpan(0, rows);
        for (int i = 0; i < rows; i++)
        {
            int p = positions[i];
            if ((uint)p >= (uint)tokens.Length)
            {
                throw new ArgumentException($"positions[{i}] is {p}; expected a position in [0, {tokens.Length}).", nameof(positions));
            }

            targets[i] = tokens[p];
            for (int j = 0; j < Context; j++)
            {
                int q = p - Context + j;
                contexts[(i * Context) + j] = q >= 0 ? tokens[q] : PadToken;
            }
        }

        // x = mean of the context's embeddings.
        var parameters = Parameters.AsSpan();
        var x = _x.AsSpan(0, rows * Embedding);
        x.Clear();
        float inverse = 1f / Context;
        for (int i = 0; i < rows; i++)
        {
            var xi = x.Slice(i * Embedding, Embedding);
            for (int j = 0; j < Context; j++)
            {
                var e = parameters.Slice(_embeddingOffset + (contexts[(i * Context) + j] * Embedding), Embedding);
                for (int k = 0; k < Embedding; k++)
                {
                    xi[k] += e[k];
                }
            }

            for (int k = 0; k < Embedding; k++)
            {
                xi[k] *= inverse;
            }
        }

        var h = _h.AsSpan(0, rows * Hidden);
        _hidden.Forward(parameters, x, rows, h, compute);
        for (int i = 0; i < h.Length; i++)
        {
            h[i] = MathF.Tanh(h[i]);
        }

        var weight = parameters.Slice(_weightOffset, Vocabulary * Hidden);
        var bias = parameters.Slice(_biasOffset, Vocabulary);
        if (!backward)
        {
            return head.Evaluate(h, weight, bias, targets, default, default, default);
        }

        var dh = _dh.AsSpan(0, rows * Hidden);
        double loss = head.Evaluate(h, weight, bias, targets, dh, gradients.Slice(_weightOffset, Vocabulary * Hidden), gradients.Slice(_biasOffset, Vocabulary));
        // Through tanh: ∂pre = ∂h (1 - h²).
        for (int i = 0; i < dh.Length; i++)
        {
            dh[i] *= 1f - (h[i] * h[i]);
        }

        var dx = _dx.AsSpan(0, rows * Embedding);
        _hidden.Backward(parameters, x, dh, rows, gradients, dx, compute);
        // ∂E[t] += ∂x / c for every context token, in batch order.
        var de = gradients.Slice(_embeddingOffset, Vocabulary * Embedding);
        de.Clear();
        for (int i = 0; i < rows; i++)
        {
            var dxi = dx.Slice(i * Embedding, Embedding);
            for (int j = 0; j < Context; j++)
            {
                var row = de.Slice(contexts[(i * Context) + j] * Embedding, Embedding);
                for (int k = 0; k < Embedding; k++)
                {
                    row[k] += dxi[k] * inverse;
                }
            }
        }

        return loss;
    }

    private void Grow(int rows)
    {
        if (_targets.Length >= rows)
        {
            return;
        }

        _x = new float[rows * Embedding];
        _h = new float[rows * Hidden];
        _dh = new float[rows * Hidden];
        _dx = new float[rows * Embedding];
        _contexts = new int[rows * Context];
        _targets = new int[rows];
    }

    private static void Uniform(Random random, Span<float> values, double bound)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((2 * random.NextDouble()) - 1) * bound);
        }
    }
}
