using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="NegativeLogLikelihood"/> (PyTorch's <c>NLLLoss</c> semantics by default).</summary>
/// <defaults>The defaults: no weights, ignore index -100, mean reduction.</defaults>
[Options(Takes = SharedOptions.ClassWeights | SharedOptions.IgnoreIndex)]
public sealed partial record NegativeLogLikelihoodOptions : LossOptions;

/// <summary>
/// Negative log-likelihood of class indices given log-probabilities (the second half of
/// <c>LogSoftmax + NLLLoss</c>; PyTorch's <c>NLLLoss</c>).
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ_i = -w_{y_i} · logp_{i, y_i}</c>; rows whose label is the ignore index give 0.</para>
/// <para>Gradient w.r.t. the log-probabilities: <c>∂ℓ_i/∂logp_{i,c} = -w_{y_i} [c = y_i]</c>, times the reduction's
/// factor. The input is treated as free variables: no softmax Jacobian is applied (that is
/// <see cref="SoftmaxCrossEntropy"/>'s job).</para>
/// <para>Mean (PyTorch): <c>Σ ℓ_i / Σ w_{y_i}</c> over rows that are not ignored; when every row is ignored the
/// result follows <see cref="LossOptions.WhenEmpty"/>. The input is not validated to be a log-probability
/// (PyTorch does not either); a NaN or -∞ at the target propagates to that row's loss.</para>
/// </remarks>
public static partial class NegativeLogLikelihood
{
    /// <summary>One row: <c>-w_y logp_y</c>; the gradient row is <c>-w_y</c> at y and 0 elsewhere.</summary>
    private readonly struct Row : ILabelRow<NegativeLogLikelihoodOptions>
    {
        public static double Of<T>(ReadOnlySpan<T> logp, int y, in NegativeLogLikelihoodOptions o, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double wy = o.WeightSpan.IsEmpty ? 1.0 : o.WeightSpan[y];
            if (!g.IsEmpty)
            {
                g.Clear();
                g[y] = T.CreateTruncating(-wy * scale);
            }

            return wy == 0 ? 0 : -wy * double.CreateTruncating(logp[y]);
        }
    }

    /// <summary>Generic only; the mean divides by the weight of the counted rows.</summary>
    /// <entry>Evaluates the NLL of [N, K] log-probabilities against N class indices.</entry>
    /// <input>Row-major [N, K] log-probabilities (typically a log-softmax).</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Weights, ignore index, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct Kernel<T> : ILabelKernel<T, NegativeLogLikelihoodOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, NegativeLogLikelihoodOptions o, double scale) =>
            RowwiseKernel.Labels<T, Row, NegativeLogLikelihoodOptions>(b, o.IgnoreIndex, o, scale);
    }
}
