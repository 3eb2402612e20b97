using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ClassLoss.TorchSharp;

/// <summary>The compositions of the rest of the catalogue (hinges, multi-label margins, Gaussian NLL, entropies, the
/// losses of predicted probabilities), with the kernels' semantics.</summary>
internal static partial class Composition
{
    /// <summary>Crammer–Singer: <c>max_j (x_j + [j ≠ y]) - x_y</c>; <c>amax</c> splits a tie's gradient equally, as the kernels.</summary>
    public static Tensor CrammerSingerHinge(Tensor input, Tensor? target, CrammerSingerHingeOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
        var onehot = F.one_hot(tc, k).to(x.dtype);
        var loss = (x + (1 - onehot)).amax([1]) - x.gather(1, tc.unsqueeze(1)).squeeze(1);
        return (loss.where(mask, Zero(loss)), mask.to(x.dtype));
    });

    /// <summary>Keras's categorical hinge: <c>max(0, max_j (1 - y_j) x_j - Σ y_j x_j + 1)</c>; terms with a zero
    /// coefficient left out (behind a <c>where</c>), a tie at the maximum split equally.</summary>
    public static Tensor CategoricalHinge(Tensor input, Tensor? target, CategoricalHingeOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var (y, rowMask) = TargetRows(x, t, k, o);

        var on = y.ne(0);
        var pos = (y * x.where(on, Zero(x))).where(on, Zero(x)).sum(1);
        var partial = y.ne(1);
        var v = ((1 - y) * x.where(partial, Zero(x))).where(partial, Zero(x));
        var rows = F.relu(v.amax([1]) - pos + 1);
        if (rowMask is null)
        {
            return (rows, null);
        }

        return (rows.where(rowMask, Zero(rows)), rowMask.to(x.dtype));
    });

    /// <summary>PyTorch's multi-label soft margin: <c>(1/K) Σ_c w_c [y_c softplus(-x_c) + (1 - y_c) softplus(x_c)]</c>, terms
    /// with a zero coefficient left out; the mean divides by N.</summary>
    public static Tensor MultiLabelSoftMargin(Tensor input, Tensor? target, MultiLabelSoftMarginOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        var positive = (t * -F.logsigmoid(x)).where(t.ne(0), Zero(x));
        var negative = ((1 - t) * -F.logsigmoid(-x)).where(t.ne(1), Zero(x));
        var loss = positive + negative;
        var w = Weights(o.ClassWeights, x);
        if (w is not null)
        {
            loss = loss * w;
        }

        return (loss.sum(1) / k, null);
    });

    /// <summary>PyTorch's multi-label margin: <c>Σ_{j∈J} Σ_{i∉J} max(0, 1 - x_j + x_i) / K</c> over the [N, K, K] pairs, with
    /// torch's index rows (classes before the first -1; checked in [-1, K) with one host read) or multi-hot rows (checked 0
    /// or 1); the mean divides by N.</summary>
    public static Tensor MultiLabelMargin(Tensor input, Tensor? target, MultiLabelMarginOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        long n = x.shape[0];
        Tensor count;
        if (IsIndex(t))
        {
            var rows = t!.reshape(n, k);
            var bad = rows.lt(-1).logical_or(rows.ge(k));
            if (bad.any().item<bool>())
            {
                var at = bad.nonzero()[0];
                long r = at[0].item<long>(), c = at[1].item<long>();
                throw new ArgumentException($"targets row {r}, column {c} is {rows[r, c].item<long>()}; a target class must lie in [0, {k}), or be -1 to end the row's list.", "targets");
            }

            var listed = rows.ge(0).to(ScalarType.Int64).cumprod(1); // 1 before the first -1
            count = torch.zeros([n, k], dtype: x.dtype, device: x.device).scatter_add(1, rows.clamp_min(0), listed.to(x.dtype));
        }
        else
        {
            RequireRows(t);
            var bad = t!.ne(0).logical_and(t.ne(1));
            if (bad.any().item<bool>())
            {
                var at = bad.nonzero()[0];
                long r = at[0].item<long>(), c = at[1].item<long>();
                throw new ArgumentException($"targets row {r}, column {c} is {t[r, c].item<double>()}; a multi-hot target must be 0 or 1.", "targets");
            }

            count = t;
        }

        var isTarget = count.gt(0);
        var pairs = isTarget.unsqueeze(2).logical_and(isTarget.logical_not().unsqueeze(1)); // [N, j, i]
        var z = (1 - x.unsqueeze(2)) + x.unsqueeze(1);
        var hinge = F.relu(z.where(pairs, Zero(z))).where(pairs, Zero(z));
        return ((hinge * count.unsqueeze(2)).sum([1, 2]) / k, null);
    });

    /// <summary>The Gaussian NLL <c>½ (log v' + (x - t)² / v') (+ ½ log 2π)</c>, <c>v' = max(v, ε)</c>, with a variance per
    /// element, per row or shared (<paramref name="variance"/> null); the clamped variance's gradient 0 or torch's
    /// straight-through value; variances checked finite and ≥ 0 (one host read); the mean divides by N·K, unreduced the
    /// row sums.</summary>
    public static Tensor GaussianNegativeLogLikelihood(Tensor input, Tensor? target, Tensor? variance, GaussianNegativeLogLikelihoodOptions o,
        Tensor? sampleWeights = null) =>
        Run(input, target, o, sampleWeights, (x, t, k) =>
        {
            RequireRows(t);
            long n = x.shape[0];
            Tensor v;
            if (variance is null)
            {
                v = torch.full([1, 1], Math.Max(o.SharedVariance, o.MinimumVariance), dtype: x.dtype, device: x.device);
            }
            else
            {
                var raw = variance.to(x.dtype).to(x.device);
                raw = raw.numel() == x.numel() && raw.dim() == input.dim() ? raw.reshape(n, k) : raw.reshape(n, 1);
                var bad = raw.detach().ge(0).logical_and(raw.detach().isfinite()).logical_not();
                if (bad.any().item<bool>())
                {
                    var at = bad.nonzero()[0];
                    throw new ArgumentException($"variance row {at[0].item<long>()} is {raw[at[0], at[1]].item<double>()}; a variance must be finite and >= 0 (it is clamped up to MinimumVariance).", nameof(variance));
                }

                var clamped = raw.clamp_min(o.MinimumVariance);
                v = o.ClampedGradient == ClampedVarianceGradient.StraightThrough ? raw + (clamped - raw).detach() : clamped;
            }

            var d = x - t;
            var loss = 0.5 * (v.log() + (d * d / v));
            if (o.Full)
            {
                loss = loss + (0.5 * Math.Log(2 * Math.PI));
            }

            return (loss.sum(1), Elements(x));
        });

    /// <summary>Entropy of probability rows, <c>-Σ p log p</c> with <c>0 log 0 = 0</c>. (At p = 0 this path's gradient is
    /// 0, the kernels' the one-sided +∞.)</summary>
    public static Tensor Entropy(Tensor input, Tensor? target, EntropyOptions o, Tensor? sampleWeights = null) => Run(input, null, o, sampleWeights, (x, _, k) =>
    {
        var on = x.gt(0);
        var safe = x.where(on, torch.ones_like(x));
        return (-(x * safe.log()).where(on, Zero(x)).sum(1), null);
    }, PerNat(o.Units));

    /// <summary>Entropy of <c>softmax(z)</c>: <c>-Σ p log p</c> from the log-softmax, masked classes left out.</summary>
    public static Tensor SoftmaxEntropy(Tensor input, Tensor? target, SoftmaxEntropyOptions o, Tensor? sampleWeights = null) => Run(input, null, o, sampleWeights, (x, _, k) =>
    {
        var logp = F.log_softmax(x, 1);
        var on = x.gt(double.NegativeInfinity);
        var p = logp.exp();
        return (-(p * logp.where(on, Zero(logp))).where(on, Zero(x)).sum(1), null);
    }, PerNat(o.Units));

    /// <summary>Cross-entropy of probabilities: <c>-Σ q_c clog(u_c)</c>, <c>u = p</c> or <c>p / Σ p</c> (renormalised),
    /// <c>q = w_y e_y</c> or <c>w ⊙ t</c>; the mean of index targets divides by the counted weight.</summary>
    public static Tensor CrossEntropyFromProbabilities(Tensor input, Tensor? target, CrossEntropyFromProbabilitiesOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var u = o.Renormalize ? x / x.sum(1, keepdim: true) : x;
        var w = Weights(o.ClassWeights, x);
        if (IsIndex(t))
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            var uy = u.gather(1, tc.unsqueeze(1)).squeeze(1);
            var wy = w is null ? torch.ones_like(uy) : w.index_select(0, tc);
            var counted = wy.ne(0).logical_and(mask);
            var loss = (-wy * ClampedLog(uy.where(counted, torch.ones_like(uy)), o.Clamp, o.ClipEpsilon)).where(counted, Zero(uy));
            return (loss, wy.where(mask, Zero(wy)));
        }

        var q = w is null ? t : t * w;
        var on = q.ne(0);
        var l = ClampedLog(u.where(on, torch.ones_like(u)), o.Clamp, o.ClipEpsilon);
        return (-(q * l).where(on, Zero(u)).sum(1), null);
    }, PerNat(o.Units));

    /// <summary>Binary cross-entropy of probabilities, element-wise: <c>-w [pw y' clog(p) + (1 - y') clog(1 - p)]</c>, each
    /// term left out where its weight is 0; the mean divides by N·K.</summary>
    public static Tensor BinaryCrossEntropyFromProbabilities(Tensor input, Tensor? target, BinaryCrossEntropyFromProbabilitiesOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        var y = o.LabelSmoothing > 0 ? (t * (1 - o.LabelSmoothing)) + (0.5 * o.LabelSmoothing) : t;
        var pw = Weights(o.PositiveWeights, x);
        var yp = pw is null ? y : y * pw;
        var ones = torch.ones_like(x);
        var onP = yp.ne(0);
        var onN = y.ne(1);
        var positive = (-yp * ClampedLog(x.where(onP, ones), o.Clamp, o.ClipEpsilon)).where(onP, Zero(x));
        var negative = (-(1 - y) * ClampedLog((1 - x).where(onN, ones), o.Clamp, o.ClipEpsilon)).where(onN, Zero(x));
        var loss = positive + negative;
        if (o.Clamp == ProbabilityClamp.LogAtMinus100)
        {
            // The kernels' gradient under PyTorch's clamp is PyTorch's BCELoss backward, not the derivative of the clamped
            // logs: [(1 - y') p - pw y' (1 - p)] / max(p (1 - p), 1e-12) (float32's 1e-12, as the core). The value stays
            // the clamped loss; the gradient is carried by g · (p - detach(p)), whose value is 0.
            var bound = (x * (1 - x)).clamp_min((double)1e-12f);
            var g = (((1 - y) * x) - (yp * (1 - x))) / bound;
            loss = loss.detach() + (g.detach() * (x - x.detach()));
        }

        var w = Weights(o.ClassWeights, x);
        if (w is not null)
        {
            loss = loss * w;
        }

        return (loss.sum(1), Elements(x));
    });

    /// <summary>Brier score of probabilities, <c>Σ_c (p_c - y_c)²</c>, index (with the ignore index) or probability targets.</summary>
    public static Tensor BrierScoreFromProbabilities(Tensor input, Tensor? target, BrierScoreFromProbabilitiesOptions o, Tensor? sampleWeights = null) =>
        Run(input, target, o, sampleWeights, (x, t, k) => BrierRows(x, t, k, o));

    /// <summary>The focal loss of probabilities (Keras's): <c>-Σ_c a_c (1 - π_c)^γ clog(u_c)</c>, <c>a = α ⊙ y</c> (y smoothed),
    /// <c>π</c> the clipped u under Keras's clamp; terms with <c>a_c = 0</c> left out.</summary>
    public static Tensor FocalFromProbabilities(Tensor input, Tensor? target, FocalFromProbabilitiesOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var (y, rowMask) = TargetRows(x, t, k, o);

        if (o.LabelSmoothing != 0)
        {
            y = ((1 - o.LabelSmoothing) * y) + (o.LabelSmoothing / k);
        }

        var a = o.ClassAlpha is null ? y * o.Alpha : y * torch.tensor([.. o.ClassAlpha], dtype: x.dtype, device: x.device);
        var u = o.Renormalize ? x / x.sum(1, keepdim: true) : x;
        var on = a.ne(0);
        var us = u.where(on, torch.full_like(u, 0.5));
        bool keras = o.Clamp == ProbabilityClamp.KerasClip;
        var q = 1 - (keras ? us.clamp(o.ClipEpsilon, 1 - o.ClipEpsilon) : us);
        var f = o.Gamma == 0 ? torch.ones_like(q) : Power(q, o.Gamma);
        var rows = -(a * f * ClampedLog(us, o.Clamp, o.ClipEpsilon)).where(on, Zero(x)).sum(1);
        if (rowMask is null)
        {
            return (rows, null);
        }

        return (rows.where(rowMask, Zero(rows)), rowMask.to(x.dtype));
    });

    /// <summary>The binary focal loss of probabilities (Keras's), element-wise: <c>α_t m^γ b</c> with
    /// <c>b = -[y' clog(p) + (1 - y') clog(1 - p)]</c> and <c>m = y' (1 - p) + (1 - y') p</c>; the mean divides by N·K.</summary>
    public static Tensor BinaryFocalFromProbabilities(Tensor input, Tensor? target, BinaryFocalFromProbabilitiesOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        var y = o.LabelSmoothing > 0 ? (t * (1 - o.LabelSmoothing)) + (0.5 * o.LabelSmoothing) : t;
        var ones = torch.ones_like(x);
        var onP = y.ne(0);
        var onN = y.ne(1);
        var b = (-y * ClampedLog(x.where(onP, ones), o.Clamp, o.ClipEpsilon)).where(onP, Zero(x))
            + (-(1 - y) * ClampedLog((1 - x).where(onN, ones), o.Clamp, o.ClipEpsilon)).where(onN, Zero(x));
        var m = (y * (1 - x)) + ((1 - y) * x);
        var loss = o.Gamma == 0 ? b : (o.Gamma == 1 ? m : Power(m, o.Gamma)) * b;
        if (o.ApplyClassBalancing)
        {
            loss = loss * ((o.Alpha * y) + ((1 - o.Alpha) * (1 - y)));
        }

        return (loss.sum(1), Elements(x));
    });

    /// <summary>The Brier rows of probabilities <paramref name="p"/> and the mean's denominator.</summary>
    private static (Tensor Rows, Tensor? MeanDenominator) BrierRows(Tensor p, Tensor t, long k, BrierScoreOptions o)
    {
        if (IsIndex(t))
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            var d = p - F.one_hot(tc, k).to(p.dtype);
            var rows = (d * d).sum(1);
            var counted = mask.to(p.dtype);
            return (rows.where(mask, Zero(rows)), o.Average == BrierAverage.PerElement ? counted * k : counted);
        }

        var e = p - t;
        return ((e * e).sum(1), o.Average == BrierAverage.PerElement ? Elements(p) : null);
    }

    /// <summary>The clamped log of the losses over probabilities, its gradient 0 where the clamp is active: PyTorch's
    /// <c>max(log p, -100)</c>, Keras's <c>log(clip(p, ε, 1 - ε))</c>, or the plain log.</summary>
    private static Tensor ClampedLog(Tensor p, ProbabilityClamp clamp, double epsilon)
    {
        switch (clamp)
        {
            case ProbabilityClamp.LogAtMinus100:
            {
                var active = p.detach().log().ge(-100);
                return p.where(active, torch.ones_like(p)).log().where(active, torch.full_like(p, -100.0));
            }

            case ProbabilityClamp.KerasClip:
                return p.clamp(epsilon, 1 - epsilon).log();
            default:
                return p.log();
        }
    }
}
