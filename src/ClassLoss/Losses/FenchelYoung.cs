using System.Buffers;
using ClassLoss.Activations;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>The regulariser Ω of a <see cref="FenchelYoung"/>, which fixes its prediction map <c>ŷ_Ω</c>.</summary>
public enum FenchelYoungRegularizer
{
    /// <summary>Negative Shannon entropy <c>Ω(p) = Σ p log p</c>: the prediction is softmax, the loss cross-entropy
    /// minus the target's entropy (<see cref="SoftmaxCrossEntropy"/> for class indices).</summary>
    Softmax,

    /// <summary>Half the squared norm <c>Ω(p) = ½ ‖p‖²</c>: the prediction is <see cref="Activations.Sparsemax"/>, the loss
    /// <see cref="SparsemaxLoss"/> for class indices.</summary>
    Sparsemax,

    /// <summary>Negative Tsallis 1.5-entropy <c>Ω(p) = (4/3) Σ (p^{3/2} - p)</c>: the prediction is <see cref="Activations.Entmax15"/>.</summary>
    Entmax15,
}

/// <summary>Options of <see cref="FenchelYoung"/>.</summary>
/// <defaults>The defaults: the softmax regulariser, ignore index -100, tolerance 1e-4, mean over counted rows.</defaults>
[Options(Takes = SharedOptions.IgnoreIndex | SharedOptions.TargetSumTolerance)]
public sealed partial record FenchelYoungOptions : LossOptions
{
    /// <summary>The regulariser Ω (default <see cref="FenchelYoungRegularizer.Softmax"/>).</summary>
    public FenchelYoungRegularizer Regularizer { get; init; } = FenchelYoungRegularizer.Softmax;

    private protected override void Validate(int classes)
    {
        Guard.Option(Enum.IsDefined(Regularizer), nameof(Regularizer), (double)Regularizer, "must be Softmax, Sparsemax or Entmax15");
    }
}

/// <summary>
/// The Fenchel–Young losses of the softmax, sparsemax and 1.5-entmax regularisers (Blondel, Martins &amp; Niculae 2020,
/// "Learning with Fenchel-Young Losses", JMLR 21(35); Optax's <c>make_fenchel_young_loss</c>), from logits, against
/// class indices or probability rows.
/// </summary>
/// <remarks>
/// <para>Per row, with logits θ and target y on the simplex: <c>L_Ω(θ; y) = Ω*(θ) + Ω(y) - ⟨θ, y⟩</c>, where
/// <c>Ω*(θ) = max_{p∈Δ} ⟨θ, p⟩ - Ω(p) = ⟨θ, ŷ⟩ - Ω(ŷ)</c> at the prediction <c>ŷ = ŷ_Ω(θ)</c>. L ≥ 0, and L = 0 iff
/// <c>ŷ = y</c>. Gradient (Danskin): <c>∂L/∂θ = ŷ_Ω(θ) - y</c>, prediction minus target.</para>
/// <para><see cref="FenchelYoungRegularizer.Softmax"/>: <c>Ω*(θ) = lse(θ)</c>, so <c>L = lse(θ) - ⟨θ, y⟩ + Σ y log y</c>
/// = CE − H(y) = KL(y ‖ softmax θ); for a class index, exactly the cross-entropy <c>lse(θ) - θ_y</c>.
/// <see cref="FenchelYoungRegularizer.Sparsemax"/>: <c>Ω*(θ) = ½ Σ_{j∈S} (θ_j² - τ²)</c> with sparsemax's threshold τ and
/// support S, so a class index gives Martins &amp; Astudillo's sparsemax loss (<see cref="SparsemaxLoss"/>) exactly.
/// <see cref="FenchelYoungRegularizer.Entmax15"/>: with <c>u_j = [θ_j/2 - τ]_+</c> (<c>ŷ_j = u_j²</c>),
/// <c>Ω*(θ) = Σ_j (2 (u_j + τ) u_j² - (4/3) u_j³)</c> and <c>Ω(y) = (4/3) Σ y^{3/2}</c> (the linear part of Ω is constant on the
/// simplex and cancels between Ω* and Ω(y)).</para>
/// <para>Optax's <c>make_fenchel_young_loss(max_fun)</c> returns <c>Ω*(θ) - ⟨θ, y⟩</c> without the constant <c>Ω(y)</c>:
/// the same gradient, and the same value for class indices with the softmax regulariser; this class includes Ω(y), so
/// every regulariser's loss is ≥ 0 and 0 at a perfect prediction. Rows are shifted by their maximum first (the loss is
/// shift-invariant because Σ ŷ = Σ y = 1). A masked class (<c>θ_j = -∞</c>) gets <c>ŷ_j = 0</c> and costs nothing unless
/// the target puts mass on it (then L = +∞); NaN or <c>+∞</c> logits, or a row of only <c>-∞</c>, are rejected.
/// A row loss that rounds below 0 (by about 1e-16, at a perfect prediction) is returned as 0.
/// Reductions: Mean divides by the counted rows (class indices) or by N (rows), BatchMean by N.</para>
/// </remarks>
public static partial class FenchelYoung
{
    /// <summary>The per-call constants: the regulariser and K doubles of scratch for the sort.</summary>
    private readonly ref struct Parameters(FenchelYoungRegularizer regularizer, Span<double> scratch)
    {
        public readonly FenchelYoungRegularizer Regularizer = regularizer;
        public readonly Span<double> Scratch = scratch;
    }

    /// <summary>One row against target row <paramref name="t"/>, or against e_label when <paramref name="t"/> is empty.</summary>
    private static double Of<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, int label, in Parameters p, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = x.Length;
        double max = double.NegativeInfinity;
        for (int j = 0; j < k; j++)
        {
            max = Math.Max(max, double.CreateTruncating(x[j]));
        }

        // ⟨θ, y⟩ and Ω(y) on the shifted input; a zero target term is left out (a masked class costs nothing).
        double inner = 0, omegaY = 0;
        for (int j = 0; j < k; j++)
        {
            double y = t.IsEmpty ? (j == label ? 1.0 : 0.0) : double.CreateTruncating(t[j]);
            if (y != 0)
            {
                inner += y * (double.CreateTruncating(x[j]) - max);
                omegaY += p.Regularizer switch
                {
                    FenchelYoungRegularizer.Softmax => StableMath.Xlogx(y),
                    FenchelYoungRegularizer.Sparsemax => 0.5 * y * y,
                    _ => 4.0 / 3.0 * y * Math.Sqrt(y),
                };
            }
        }

        double conjugate = 0, lse = 0, tau = 0;
        switch (p.Regularizer)
        {
            case FenchelYoungRegularizer.Softmax:
                double sum = 0;
                for (int j = 0; j < k; j++)
                {
                    sum += Math.Exp(double.CreateTruncating(x[j]) - max);
                }

                lse = Math.Log(sum);
                conjugate = lse;
                break;
            case FenchelYoungRegularizer.Sparsemax:
                for (int j = 0; j < k; j++)
                {
                    p.Scratch[j] = double.CreateTruncating(x[j]) - max;
                }

                tau = Activations.Sparsemax.Threshold(p.Scratch[..k]);
                for (int j = 0; j < k; j++)
                {
                    double v = double.CreateTruncating(x[j]) - max;
                    if (v > tau)
                    {
                        conjugate += 0.5 * (v - tau) * (v + tau);
                    }
                }

                break;
            default:
                for (int j = 0; j < k; j++)
                {
                    p.Scratch[j] = (double.CreateTruncating(x[j]) - max) / 2;
                }

                tau = Activations.Entmax15.Threshold(p.Scratch[..k]);
                for (int j = 0; j < k; j++)
                {
                    double u = ((double.CreateTruncating(x[j]) - max) / 2) - tau;
                    if (u > 0)
                    {
                        // ⟨θ, ŷ⟩ - Ω(ŷ) term by term: θ_j ŷ_j = 2 (u_j + τ) u_j², Ω's part (4/3) u_j³ (the same constant as Ω(y)).
                        conjugate += (2 * (u + tau) * u * u) - (4.0 / 3.0 * u * u * u);
                    }
                }

                break;
        }

        for (int j = 0; j < g.Length; j++)
        {
            double v = double.CreateTruncating(x[j]) - max;
            double prediction = p.Regularizer switch
            {
                FenchelYoungRegularizer.Softmax => Math.Exp(v - lse),
                FenchelYoungRegularizer.Sparsemax => Math.Max(v - tau, 0.0),
                _ => Square(Math.Max((v / 2) - tau, 0.0)),
            };
            double y = t.IsEmpty ? (j == label ? 1.0 : 0.0) : double.CreateTruncating(t[j]);
            g[j] = T.CreateTruncating((prediction - y) * scale);
        }

        // L ≥ 0 exactly; a rounding below 0 (of order 1e-16, at a perfect prediction) is returned as 0.
        double loss = conjugate + omegaY - inner;
        return loss < 0 ? 0 : loss;
    }

    private static double Square(double u) => u * u;

    private readonly struct LabelRow : ILabelRow<Parameters>
    {
        public static double Of<T>(ReadOnlySpan<T> x, int label, in Parameters p, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => FenchelYoung.Of(x, default, label, p, scale, g);
    }

    private readonly struct TargetRow : ITargetRow<Parameters>
    {
        public static double Of<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, in Parameters p, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => FenchelYoung.Of(x, t, -1, p, scale, g);
    }

    /// <summary>Checks every logit: finite or <c>-∞</c>, and at least one finite per row.</summary>
    private static void CheckLogits<T>(ReadOnlySpan<T> x, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < x.Length / classes; r++)
        {
            bool finite = false;
            for (int c = 0; c < classes; c++)
            {
                double v = double.CreateTruncating(x[(r * classes) + c]);
                if (double.IsNaN(v) || double.IsPositiveInfinity(v))
                {
                    throw new ArgumentException(FormattableString.Invariant(
                        $"input row {r}, column {c} is {v}; a Fenchel-Young loss needs finite input (or -inf for a masked class)."), "input");
                }

                finite |= double.IsFinite(v);
            }

            if (!finite)
            {
                throw new ArgumentException(FormattableString.Invariant($"input row {r} has no finite logit (every class is masked)."), "input");
            }
        }
    }

    /// <summary>Rents the sort's scratch for K &gt; 1024 (sparsemax and entmax only; smaller rows sort on the stack).</summary>
    private static double[]? RentScratch(FenchelYoungOptions o, int k) =>
        o.Regularizer != FenchelYoungRegularizer.Softmax && k > Activations.Sparsemax.MaxStackClasses ? ArrayPool<double>.Shared.Rent(k) : null;

    private static void ReturnScratch(double[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>Generic only; the logits are checked first, then the labels; the mean divides by the counted rows.</summary>
    /// <entry>Fenchel–Young loss of [N, K] logits against class indices.</entry>
    /// <input>Row-major [N, K] logits θ (finite, or <c>-∞</c> for a masked class).</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Regulariser, ignore index, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct LabelKernel<T> : ILossKernel<T, int, FenchelYoungOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, int> b, FenchelYoungOptions o)
        {
            CheckLogits(b.Input, b.Classes);
            return Guard.Labels(b.Targets, b.Classes, o.IgnoreIndex, default, b.SampleWeights, "targets");
        }

        public static double Generic(in Batch<T, int> b, FenchelYoungOptions o, double scale)
        {
            int k = b.Classes;
            double[]? rented = RentScratch(o, k);
            Span<double> scratch = rented is not null ? rented.AsSpan(0, k) : o.Regularizer == FenchelYoungRegularizer.Softmax ? default : stackalloc double[k];
            try
            {
                return RowwiseKernel.Labels<T, LabelRow, Parameters>(b, o.IgnoreIndex, new Parameters(o.Regularizer, scratch), scale);
            }
            finally
            {
                ReturnScratch(rented);
            }
        }
    }

    /// <summary>Generic only; the logits are checked first, then the target rows; the mean divides by N.</summary>
    /// <entry>Fenchel–Young loss of [N, K] logits against [N, K] probability rows.</entry>
    /// <input>Row-major [N, K] logits θ (finite, or <c>-∞</c> for a masked class).</input>
    /// <targets>Row-major [N, K] target probabilities y, each row summing to 1 within the tolerance.</targets>
    /// <options>Regulariser, tolerance, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct RowKernel<T> : IDistributionKernel<T, FenchelYoungOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, FenchelYoungOptions o)
        {
            CheckLogits(b.Input, b.Classes);
            return b.RowTotal;
        }

        public static double Generic(in Batch<T, T> b, FenchelYoungOptions o, double scale)
        {
            int k = b.Classes;
            double[]? rented = RentScratch(o, k);
            Span<double> scratch = rented is not null ? rented.AsSpan(0, k) : o.Regularizer == FenchelYoungRegularizer.Softmax ? default : stackalloc double[k];
            try
            {
                return RowwiseKernel.Targets<T, TargetRow, Parameters>(b, new Parameters(o.Regularizer, scratch), scale);
            }
            finally
            {
                ReturnScratch(rented);
            }
        }
    }
}
