using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The two ways of <see cref="LinearCrossEntropy"/> (fused gradient, recompute) over a float or double head: the chunk
/// loops, the products through <see cref="Gemm"/> (float) or <see cref="DoubleGemm"/> (double), and the per-token row
/// step that turns a row of logits into its loss, log-sum-exp and (in place) its gradient.
/// </summary>
/// <remarks>
/// Determinism: every logit is one GEMM chain; every row step reads only its row; ∂W accumulates through the GEMM's
/// accumulate mode, whose chain over the shared index (the tokens) simply continues from chunk to chunk; ∂b and the
/// loss add rows in token order in double. So the fused-gradient way is bit-identical for any thread count and any
/// <see cref="LinearCrossEntropyOptions.ChunkRows"/>. The recompute way merges per-block log-sum-exps, whose rounding
/// depends on the vocabulary blocks (within 1e-6 relative).
/// </remarks>
internal readonly struct LinearHead<T>(LinearCrossEntropyOptions o, int v, int d, double ceScale, double zScale)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Logits a chunk holds by default (16 MB of float).</summary>
    private const int ChunkLogits = 1 << 22;

    private const int DefaultVocabularyBlock = 4096;

    /// <summary>Tokens per chunk of the fused-gradient way by default: enough for about 4 M logits, and at least 256 tokens
    /// (or N/16, whichever is fewer). Every chunk streams all of W through the two products that use it and all of ∂W
    /// through the third, so at a large vocabulary a 4 M-logit chunk (32 tokens at V = 128,256) spends its time moving W,
    /// not multiplying: 55.4 s against 38.6 s with 256 tokens at N = 4096, D = 1024, V = 128,256 on one thread
    /// (AMD EPYC Zen 5, 2026-12-03). N/16 keeps a chunk's logits at most 1/16 of the naive path's logits and gradient.</summary>
    private static int FusedChunkRows(int n, int v) => Math.Max(ChunkLogits / v, Math.Min(256, n / 16));

    /// <summary><c>Σ_c w_c</c> (V without class weights): the smoothing term's total target mass per unit of ε / V.</summary>
    private readonly double _weightTotal = CrossEntropyRows.WeightTotal(o.WeightSpan, v);

    private int Threads => o.MaxDegreeOfParallelism;

    /// <summary>The fused-gradient way. Returns the loss sum (cross-entropy plus z-loss) and the z-loss sum.</summary>
    public (double Sum, double ZSum) FusedGradient(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<int> targets, Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> losses,
        Span<T> logSumExps, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
    {
        int n = targets.Length;
        bool wantGradient = !hiddenGradient.IsEmpty || !weightGradient.IsEmpty || !biasGradient.IsEmpty;
        int chunk = Math.Clamp(o.ChunkRows > 0 ? o.ChunkRows : FusedChunkRows(n, v), 1, Math.Max(1, n));
        T[] logits = ArrayPool<T>.Shared.Rent(chunk * v);
        T[] scratch = ArrayPool<T>.Shared.Rent(2 * v);
        double[]? biasSum = biasGradient.IsEmpty ? null : ArrayPool<double>.Shared.Rent(v);
        try
        {
            biasSum?.AsSpan(0, v).Clear();
            weightGradient.Clear();
            double sum = 0, zSum = 0;
            for (int r0 = 0; r0 < n; r0 += chunk)
            {
                int rows = Math.Min(chunk, n - r0);
                Span<T> z = logits.AsSpan(0, rows * v);
                ReadOnlySpan<T> h = hidden.Slice(r0 * d, rows * d);
                Multiply(h, weight, z, rows, d, v, transposeB: true);
                for (int i = 0; i < rows; i++)
                {
                    Span<T> row = z.Slice(i * v, v);
                    if (!bias.IsEmpty)
                    {
                        TensorPrimitives.Add(row, bias, row);
                    }

                    int t = r0 + i;
                    var step = Row(row, targets[t], Weight(sampleWeights, t), Weight(gradOutput, t), wantGradient, scratch);
                    sum += step.Loss;
                    zSum += step.ZLoss;
                    Write(losses, t, step.Loss);
                    Write(logSumExps, t, step.LogSumExp);
                }

                if (!wantGradient)
                {
                    continue;
                }

                if (!hiddenGradient.IsEmpty)
                {
                    Multiply(z, weight, hiddenGradient.Slice(r0 * d, rows * d), rows, v, d);
                }

                if (!weightGradient.IsEmpty)
                {
                    Multiply(z, h, weightGradient, v, rows, d, transposeA: true, accumulate: true);
                }

                if (biasSum is not null)
                {
                    AddRows(z, rows, biasSum.AsSpan(0, v));
                }
            }

            NarrowBias(biasSum, biasGradient);
            return (sum, zSum);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(logits);
            ArrayPool<T>.Shared.Return(scratch);
            if (biasSum is not null)
            {
                ArrayPool<double>.Shared.Return(biasSum);
            }
        }
    }

    /// <summary>The recompute way: pass 1 keeps only each token's online (max, Σ exp), target logit and smoothing sum per
    /// block; pass 2 recomputes every block and folds its gradient into ∂h (accumulated over vocabulary blocks), ∂W and ∂b.</summary>
    public (double Sum, double ZSum) Recompute(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<int> targets, Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> losses,
        Span<T> logSumExps, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
    {
        int n = targets.Length;
        bool wantGradient = !hiddenGradient.IsEmpty || !weightGradient.IsEmpty || !biasGradient.IsEmpty;
        int vb = Math.Min(o.ChunkVocabulary > 0 ? o.ChunkVocabulary : DefaultVocabularyBlock, v);
        int chunk = Math.Clamp(o.ChunkRows > 0 ? o.ChunkRows : ChunkLogits / vb, 1, Math.Max(1, n));
        T[] block = ArrayPool<T>.Shared.Rent(chunk * vb);
        double[] stats = ArrayPool<double>.Shared.Rent(4 * chunk);
        double[]? biasSum = biasGradient.IsEmpty ? null : ArrayPool<double>.Shared.Rent(v);
        T[] scratch = ArrayPool<T>.Shared.Rent(vb);
        try
        {
            biasSum?.AsSpan(0, v).Clear();
            weightGradient.Clear();
            double sum = 0, zSum = 0;
            double smoothing = o.LabelSmoothing;
            ReadOnlySpan<double> w = o.WeightSpan;
            for (int r0 = 0; r0 < n; r0 += chunk)
            {
                int rows = Math.Min(chunk, n - r0);
                ReadOnlySpan<T> h = hidden.Slice(r0 * d, rows * d);
                Span<double> max = stats.AsSpan(0, rows), total = stats.AsSpan(chunk, rows);
                Span<double> targetLogit = stats.AsSpan(2 * chunk, rows), weighted = stats.AsSpan(3 * chunk, rows);
                max.Fill(double.NegativeInfinity);
                total.Clear();
                targetLogit.Clear();
                weighted.Clear();
                for (int c0 = 0; c0 < v; c0 += vb)
                {
                    int cols = Math.Min(vb, v - c0);
                    Span<T> z = Logits(h, weight, bias, rows, c0, cols, block);
                    for (int i = 0; i < rows; i++)
                    {
                        Span<T> row = z.Slice(i * cols, cols);
                        int y = targets[r0 + i];
                        if ((uint)(y - c0) < (uint)cols)
                        {
                            targetLogit[i] = double.CreateTruncating(row[y - c0]);
                        }

                        if (smoothing != 0)
                        {
                            weighted[i] += WeightedSum(row, w.IsEmpty ? default : w.Slice(c0, cols));
                        }

                        double m = double.CreateTruncating(TensorPrimitives.Max<T>(row));
                        if (m > max[i])
                        {
                            total[i] = total[i] == 0 ? 0 : total[i] * Math.Exp(max[i] - m);
                            max[i] = m;
                        }

                        if (max[i] != double.NegativeInfinity)
                        {
                            total[i] += SumExp(row, T.CreateTruncating(max[i]), scratch);
                        }
                    }
                }

                for (int i = 0; i < rows; i++)
                {
                    int t = r0 + i;
                    double lse = max[i] + Math.Log(total[i]);
                    var (loss, zLoss) = RowLoss(targets[t], lse, targetLogit[i], weighted[i], Weight(sampleWeights, t));
                    sum += loss;
                    zSum += zLoss;
                    Write(losses, t, loss);
                    Write(logSumExps, t, lse);
                    max[i] = lse;
                }

                if (!wantGradient)
                {
                    continue;
                }

                Span<T> dh = hiddenGradient.IsEmpty ? default : hiddenGradient.Slice(r0 * d, rows * d);
                for (int c0 = 0; c0 < v; c0 += vb)
                {
                    int cols = Math.Min(vb, v - c0);
                    Span<T> z = Logits(h, weight, bias, rows, c0, cols, block);
                    for (int i = 0; i < rows; i++)
                    {
                        int t = r0 + i;
                        BlockGradient(z.Slice(i * cols, cols), targets[t] - c0, c0, max[i], Weight(sampleWeights, t), Weight(gradOutput, t),
                            targets[t] == o.IgnoreIndex);
                    }

                    ReadOnlySpan<T> wBlock = weight.Slice(c0 * d, cols * d);
                    if (!dh.IsEmpty)
                    {
                        Multiply(z, wBlock, dh, rows, cols, d, accumulate: c0 != 0);
                    }

                    if (!weightGradient.IsEmpty)
                    {
                        Multiply(z, h, weightGradient.Slice(c0 * d, cols * d), cols, rows, d, transposeA: true, accumulate: true);
                    }

                    if (biasSum is not null)
                    {
                        AddRows(z, rows, biasSum.AsSpan(c0, cols));
                    }
                }
            }

            NarrowBias(biasSum, biasGradient);
            return (sum, zSum);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(block);
            ArrayPool<double>.Shared.Return(stats);
            ArrayPool<T>.Shared.Return(scratch);
            if (biasSum is not null)
            {
                ArrayPool<double>.Shared.Return(biasSum);
            }
        }
    }

    /// <summary>A token's loss, z-loss and log-sum-exp.</summary>
    private readonly record struct Step(double Loss, double ZLoss, double LogSumExp);

    /// <summary>
    /// One token's row of logits (bias added): soft-caps it, takes its log-sum-exp and loss and, when asked, overwrites it
    /// with ∂(reduced loss)/∂(logits); an ignored token's gradient row is 0. <paramref name="scratch"/> holds 2·V.
    /// </summary>
    private Step Row(Span<T> row, int y, double sampleWeight, double upstream, bool wantGradient, T[] scratch)
    {
        double cap = o.SoftCap;
        if (cap != 0)
        {
            TensorPrimitives.Divide(row, T.CreateTruncating(cap), row);
            TensorPrimitives.Tanh<T>(row, row);
            TensorPrimitives.Multiply(row, T.CreateTruncating(cap), row);
        }

        bool ignored = y == o.IgnoreIndex;
        double smoothing = o.LabelSmoothing;
        ReadOnlySpan<double> w = o.WeightSpan;
        double targetLogit = ignored ? 0 : double.CreateTruncating(row[y]);
        double weighted = smoothing != 0 && !ignored ? WeightedSum(row, w) : 0;
        T max = TensorPrimitives.Max<T>(row);
        Span<T> e = scratch.AsSpan(0, v);
        double total = SumExp(row, max, e);
        double lse = double.CreateTruncating(max) + Math.Log(total);
        var (loss, zLoss) = RowLoss(y, lse, targetLogit, weighted, sampleWeight);
        if (wantGradient)
        {
            if (ignored)
            {
                row.Clear();
            }
            else
            {
                Span<T> capSlope = scratch.AsSpan(v, v);
                if (cap != 0)
                {
                    // d(c tanh(z / c))/dz = 1 - tanh² = 1 - (z' / c)², from the capped value z' itself.
                    TensorPrimitives.Divide(row, T.CreateTruncating(cap), capSlope);
                    TensorPrimitives.Multiply(capSlope, capSlope, capSlope);
                    TensorPrimitives.Subtract(T.One, capSlope, capSlope);
                }

                Gradient(row, e, total, y, lse, sampleWeight, upstream);
                if (cap != 0)
                {
                    TensorPrimitives.Multiply(row, capSlope, row);
                }
            }
        }

        return new Step(loss, zLoss, lse);
    }

    /// <summary>
    /// The loss and z-loss of a token with log-sum-exp <paramref name="lse"/>, target logit <paramref name="targetLogit"/>
    /// and (with smoothing) <c>Σ_c w_c z_c</c>: <c>s [(1 - ε) w_y (lse - z_y) + (ε / V)(lse Σ w - Σ w_c z_c)]</c> and
    /// <c>s zs lse²</c>; both 0 for an ignored token.
    /// </summary>
    private (double Loss, double ZLoss) RowLoss(int y, double lse, double targetLogit, double weighted, double sampleWeight)
    {
        if (y == o.IgnoreIndex || sampleWeight == 0)
        {
            return (0, 0);
        }

        double smoothing = o.LabelSmoothing;
        ReadOnlySpan<double> w = o.WeightSpan;
        double wy = w.IsEmpty ? 1.0 : w[y];
        double ce = (1 - smoothing) * wy * (lse - targetLogit);
        if (smoothing != 0)
        {
            ce += smoothing / v * ((lse * _weightTotal) - weighted);
        }

        double zLoss = o.ZLossScale * lse * lse;
        return (sampleWeight * (ce + zLoss), sampleWeight * zLoss);
    }

    /// <summary>Writes ∂(reduced loss)/∂z into <paramref name="g"/> from the exponentials <paramref name="e"/> of the row
    /// (relative to its max) and their sum.</summary>
    private void Gradient(Span<T> g, ReadOnlySpan<T> e, double total, int y, double lse, double sampleWeight, double upstream)
    {
        double smoothing = o.LabelSmoothing;
        ReadOnlySpan<double> w = o.WeightSpan;
        double a = ceScale * sampleWeight * upstream;
        double az = zScale * sampleWeight * upstream;
        double wy = w.IsEmpty ? 1.0 : w[y];
        double coefficient = Coefficient(a, az, wy, lse);
        TensorPrimitives.Multiply(e, T.CreateTruncating(coefficient / total), g);
        if (smoothing != 0)
        {
            double spread = a * smoothing / v;
            if (w.IsEmpty)
            {
                TensorPrimitives.Subtract(g, T.CreateTruncating(spread), g);
            }
            else
            {
                for (int j = 0; j < g.Length; j++)
                {
                    g[j] = T.CreateTruncating(double.CreateTruncating(g[j]) - (spread * w[j]));
                }
            }
        }

        g[y] = T.CreateTruncating(double.CreateTruncating(g[y]) - (a * (1 - smoothing) * wy));
    }

    /// <summary>What every <c>p_j</c> of a token's row is multiplied by in its gradient:
    /// <c>a [(1 - ε) w_y + (ε / V) Σ w] + 2 a_z zs lse</c>.</summary>
    private double Coefficient(double a, double az, double wy, double lse) =>
        (a * (((1 - o.LabelSmoothing) * wy) + (o.LabelSmoothing / v * _weightTotal))) + (2 * az * o.ZLossScale * lse);

    /// <summary>One token's block of a recomputed row (columns <paramref name="c0"/>.. of the vocabulary), overwritten with
    /// its gradient; <paramref name="local"/> is the target's column in the block (outside it when not there).</summary>
    private void BlockGradient(Span<T> row, int local, int c0, double lse, double sampleWeight, double upstream, bool ignored)
    {
        if (ignored)
        {
            row.Clear();
            return;
        }

        double cap = o.SoftCap;
        double smoothing = o.LabelSmoothing;
        ReadOnlySpan<double> w = o.WeightSpan;
        int y = local + c0;
        double a = ceScale * sampleWeight * upstream;
        double az = zScale * sampleWeight * upstream;
        double wy = w.IsEmpty ? 1.0 : w[y];
        double coefficient = Coefficient(a, az, wy, lse);
        for (int j = 0; j < row.Length; j++)
        {
            double z = double.CreateTruncating(row[j]);
            double g = Math.Exp(z - lse) * coefficient;
            if (smoothing != 0)
            {
                g -= a * smoothing / v * (w.IsEmpty ? 1.0 : w[c0 + j]);
            }

            if (j == local)
            {
                g -= a * (1 - smoothing) * wy;
            }

            if (cap != 0)
            {
                double t = z / cap;
                g *= 1 - (t * t);
            }

            row[j] = T.CreateTruncating(g);
        }
    }

    /// <summary>The block [rows, cols] of soft-capped logits h Wᵀ + b for vocabulary columns c0.., in <paramref name="block"/>.</summary>
    private Span<T> Logits(ReadOnlySpan<T> h, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int rows, int c0, int cols, T[] block)
    {
        Span<T> z = block.AsSpan(0, rows * cols);
        Multiply(h, weight.Slice(c0 * d, cols * d), z, rows, d, cols, transposeB: true);
        double cap = o.SoftCap;
        for (int i = 0; i < rows; i++)
        {
            Span<T> row = z.Slice(i * cols, cols);
            if (!bias.IsEmpty)
            {
                TensorPrimitives.Add(row, bias.Slice(c0, cols), row);
            }

            if (cap != 0)
            {
                TensorPrimitives.Divide(row, T.CreateTruncating(cap), row);
                TensorPrimitives.Tanh<T>(row, row);
                TensorPrimitives.Multiply(row, T.CreateTruncating(cap), row);
            }
        }

        return z;
    }

    /// <summary><c>Σ_j exp(row_j - max)</c> in double (in index order), the exponentials left in <paramref name="e"/>.</summary>
    private static double SumExp(ReadOnlySpan<T> row, T max, Span<T> e)
    {
        e = e[..row.Length];
        TensorPrimitives.Subtract(row, max, e);
        TensorPrimitives.Exp<T>(e, e);
        double total = 0;
        foreach (T x in e)
        {
            total += double.CreateTruncating(x);
        }

        return total;
    }

    /// <summary><c>Σ_c w_c z_c</c> (w all ones when empty), terms with weight 0 left out so a masked <c>-∞</c> logit of
    /// weight 0 adds nothing.</summary>
    private static double WeightedSum(ReadOnlySpan<T> row, ReadOnlySpan<double> w)
    {
        double s = 0;
        for (int c = 0; c < row.Length; c++)
        {
            double wc = w.IsEmpty ? 1.0 : w[c];
            if (wc != 0)
            {
                s += wc * double.CreateTruncating(row[c]);
            }
        }

        return s;
    }

    private static double Weight(ReadOnlySpan<T> weights, int i) => weights.IsEmpty ? 1.0 : double.CreateTruncating(weights[i]);

    private static void Write(Span<T> buffer, int i, double value)
    {
        if (!buffer.IsEmpty)
        {
            buffer[i] = T.CreateTruncating(value);
        }
    }

    /// <summary>Adds the rows of the gradient block [rows, cols] to <paramref name="sum"/>, in row order, in double.</summary>
    private static void AddRows(ReadOnlySpan<T> block, int rows, Span<double> sum)
    {
        int cols = sum.Length;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> row = block.Slice(i * cols, cols);
            for (int j = 0; j < cols; j++)
            {
                sum[j] += double.CreateTruncating(row[j]);
            }
        }
    }

    private void NarrowBias(double[]? sum, Span<T> biasGradient)
    {
        if (sum is null)
        {
            return;
        }

        for (int j = 0; j < v; j++)
        {
            biasGradient[j] = T.CreateTruncating(sum[j]);
        }
    }

    /// <summary>C = op(A)·op(B) (or C +=) in T: the float GEMM, or the double one.</summary>
    private void Multiply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int k, int n,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        if (typeof(T) == typeof(float))
        {
            Gemm.Multiply(MemoryMarshal.Cast<T, float>(a), MemoryMarshal.Cast<T, float>(b), MemoryMarshal.Cast<T, float>(c), m, k, n,
                transposeA, transposeB, accumulate, Threads);
        }
        else
        {
            DoubleGemm.Multiply(MemoryMarshal.Cast<T, double>(a), MemoryMarshal.Cast<T, double>(b), MemoryMarshal.Cast<T, double>(c), m, k, n,
                transposeA, transposeB, accumulate);
        }
    }
}
