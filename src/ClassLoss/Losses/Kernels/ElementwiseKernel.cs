namespace ClassLoss.Losses.Kernels;

/// <summary>One element of an element-wise loss: its loss and <c>∂ℓ/∂input</c>, in double (a stateless operator).</summary>
/// <typeparam name="TParams">The loss's per-call constants.</typeparam>
internal interface IElementLoss<TParams> where TParams : allows ref struct
{
    /// <summary>The loss of element (<paramref name="input"/>, <paramref name="target"/>) in column
    /// <paramref name="column"/>, and its derivative with respect to the input.</summary>
    static abstract double Of(double input, double target, int column, in TParams p, out double derivative);
}

/// <summary>
/// The generic kernel of every element-wise loss, written once: <c>ℓ_ik = w_k e_ik f(x_ik, t_ik)</c> with column
/// (class) weights <c>w</c> and element weights <c>e</c> (both optional), gradient <c>w_k e_ik f'(x_ik, t_ik)</c> times
/// the reduction's factor, and the losses buffer filled with N row sums or N·K element losses. An element of weight 0
/// contributes 0 to the loss and the gradient whatever its input (PyTorch's weighted BCE gives NaN·0 there).
/// </summary>
internal static class ElementwiseKernel
{
    /// <summary>Runs <typeparamref name="TLoss"/> over every element of <paramref name="b"/> (targets already checked); returns the loss sum.</summary>
    public static double Run<T, TLoss, TParams>(in Batch<T, T> b, ReadOnlySpan<double> columnWeights, in TParams p, double scale)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLoss : IElementLoss<TParams>
        where TParams : allows ref struct
    {
        int k = b.Classes;
        bool wantGradient = !b.Gradient.IsEmpty;
        double sum = 0;
        for (int i = 0; i < b.Rows; i++)
        {
            double rowLoss = 0;
            for (int c = 0; c < k; c++)
            {
                int at = (i * k) + c;
                double w = (columnWeights.IsEmpty ? 1.0 : columnWeights[c]) * (b.ElementWeights.IsEmpty ? 1.0 : double.CreateTruncating(b.ElementWeights[at]));
                double loss = 0, g = 0;
                if (w != 0)
                {
                    loss = w * TLoss.Of(double.CreateTruncating(b.Input[at]), double.CreateTruncating(b.Targets[at]), c, p, out double d);
                    g = d * (w * scale);
                }

                rowLoss += loss;
                if (b.PerElementLosses)
                {
                    b.Losses[at] = T.CreateTruncating(loss);
                }

                if (wantGradient)
                {
                    b.Gradient[at] = T.CreateTruncating(g);
                }
            }

            sum += rowLoss;
            if (!b.PerElementLosses && !b.Losses.IsEmpty)
            {
                b.Losses[i] = T.CreateTruncating(rowLoss);
            }
        }

        return sum;
    }
}
