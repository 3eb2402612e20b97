using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ClassLoss.TorchSharp;

/// <summary>
/// The adapter's losses as compositions of TorchSharp ops, differentiable through TorchSharp's autograd, for tensors the
/// kernels cannot take in place: another device (CUDA), a non-contiguous input, a dtype other than float32, float64 and
/// bfloat16 (float16 is computed in float32 and the result cast back). Same semantics as the kernels: class weights,
/// ignore index, label smoothing, temperature, units, every reduction and the empty-mean policy. Checked against the
/// kernels on CPU (tests/ClassLoss.TorchSharp.Tests, CompositionTests).
/// </summary>
/// <remarks>
/// Class-index targets are checked (in [0, K) or the ignore index; one host read). Probability targets are not checked
/// here (the kernels check them): out-of-range targets give whatever the formula gives. Masked logits (<c>-∞</c>) on
/// classes with zero target weight cost 0 with a 0 gradient, as in the kernels: every product with a log is taken
/// behind a <c>where</c> on the mask, on both sides, so no <c>0 · ∞</c> reaches autograd.
/// </remarks>
internal static partial class Composition
{
    /// <summary>Softmax cross-entropy (index or probability targets; weights, ignore index, smoothing, temperature, units).</summary>
    public static Tensor SoftmaxCrossEntropy(Tensor input, Tensor? target, SoftmaxCrossEntropyOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var z = o.Temperature == 1.0 ? x : x / o.Temperature;
        var logp = F.log_softmax(z, 1);
        double eps = o.LabelSmoothing;
        var w = Weights(o.ClassWeights, x);
        if (IsIndex(t))
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            var wy = w is null ? null : w.index_select(0, tc);
            var loss = -logp.gather(1, tc.unsqueeze(1)).squeeze(1);
            if (wy is not null)
            {
                loss = loss * wy;
            }

            if (eps > 0)
            {
                var all = w is null ? -logp.sum(1) : -(logp * w).sum(1);
                loss = ((1 - eps) * loss) + (eps / k * all);
            }

            var rows = loss.where(mask, Zero(loss));
            var den = wy is null ? mask.to(x.dtype) : wy.where(mask, Zero(wy));
            return (rows, den);
        }

        var q = eps > 0 ? ((1 - eps) * t) + (eps / k) : t;
        if (w is not null)
        {
            q = q * w;
        }

        return (-XLog(q, logp), null);
    }, PerNat(o.Units));

    /// <summary>Softmax focal loss (Keras's <c>CategoricalFocalCrossentropy</c>): <c>-Σ α_c y_c (1 - p_c)^γ log p_c</c>.</summary>
    public static Tensor SoftmaxFocal(Tensor input, Tensor? target, SoftmaxFocalOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var logp = F.log_softmax(x, 1);
        var alpha = o.ClassAlpha is null ? null : torch.tensor([.. o.ClassAlpha], dtype: x.dtype, device: x.device);
        if (IsIndex(t) && o.LabelSmoothing == 0)
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            var logpy = logp.gather(1, tc.unsqueeze(1)).squeeze(1);
            var loss = -Focus(logpy, o.Gamma) * logpy;
            loss = alpha is null ? loss * o.Alpha : loss * alpha.index_select(0, tc);
            return (loss.where(mask, Zero(loss)), mask.to(x.dtype));
        }

        var (y, rowMask) = TargetRows(x, t, k, o);

        if (o.LabelSmoothing > 0)
        {
            y = ((1 - o.LabelSmoothing) * y) + (o.LabelSmoothing / k);
        }

        var coef = alpha is null ? y * o.Alpha : y * alpha;
        var focus = Focus(logp, o.Gamma);
        var safe = logp.where(coef.gt(0), Zero(logp));
        var rows = -(coef * focus * safe).sum(1);
        if (rowMask is null)
        {
            return (rows, null);
        }

        return (rows.where(rowMask, Zero(rows)), rowMask.to(x.dtype));
    });

    /// <summary>Poly-1 (Leng et al. 2022): CE + ε (1 - p_t), index or probability targets.</summary>
    public static Tensor SoftmaxPoly1(Tensor input, Tensor? target, SoftmaxPoly1Options o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var logp = F.log_softmax(x, 1);
        double eps = o.PolyCoefficient;
        if (IsIndex(t))
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            var logpy = logp.gather(1, tc.unsqueeze(1)).squeeze(1);
            var loss = -logpy + (eps * (1 - logpy.exp()));
            return (loss.where(mask, Zero(loss)), mask.to(x.dtype));
        }

        var pt = (t * logp.exp()).sum(1);
        return (-XLog(t, logp) + (eps * (1 - pt)), null);
    });

    /// <summary>Negative log-likelihood of log-probabilities: <c>-w_y x_y</c>; the mean divides by the counted weight.</summary>
    public static Tensor NegativeLogLikelihood(Tensor input, Tensor? target, NegativeLogLikelihoodOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireIndex(t);
        var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
        var loss = -x.gather(1, tc.unsqueeze(1)).squeeze(1);
        var w = Weights(o.ClassWeights, x);
        if (w is null)
        {
            return (loss.where(mask, Zero(loss)), mask.to(x.dtype));
        }

        var wy = w.index_select(0, tc);
        return ((loss * wy).where(mask, Zero(loss)), wy.where(mask, Zero(wy)));
    });

    /// <summary>PyTorch's <c>multi_margin_loss</c>: <c>w_y Σ_{i≠y} max(0, m - x_y + x_i)^p / K</c>; the mean divides by N.</summary>
    public static Tensor MultiMarginHinge(Tensor input, Tensor? target, MultiMarginHingeOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireIndex(t);
        var (_, tc) = Labels(t, k, ignoreIndex: null, o);
        var xy = x.gather(1, tc.unsqueeze(1));
        var h = F.relu((x - xy) + o.Margin);
        if (o.Power == 2)
        {
            h = h * h;
        }

        var others = F.one_hot(tc, k).logical_not();
        var rows = h.where(others, Zero(h)).sum(1) / k;
        var w = Weights(o.ClassWeights, x);
        return (w is null ? rows : rows * w.index_select(0, tc), null);
    });

    /// <summary>Sparsemax loss (Martins and Astudillo 2016): <c>-z_y + ½ Σ_{j∈S} (z_j² - τ²) + ½</c>; gradient sparsemax(z) - e_y.</summary>
    public static Tensor SparsemaxLoss(Tensor input, Tensor? target, SparsemaxLossOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireIndex(t);
        var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
        if (!x.isfinite().all().item<bool>())
        {
            throw new ArgumentException("input contains a non-finite value; sparsemax needs finite input (as the kernels).", "input");
        }

        var z = x - x.amax([1], keepdim: true).detach();
        var sorted = z.sort(1, descending: true).Values;
        var cumulative = sorted.cumsum(1);
        var ranks = torch.arange(1, k + 1, dtype: x.dtype, device: x.device);
        var inSupport = ((ranks * sorted) + 1).gt(cumulative);
        var size = inSupport.sum(1, keepdim: true);
        var tau = (cumulative.gather(1, size - 1) - 1) / size.to(x.dtype);
        var active = z.gt(tau);
        var zs = z.where(active, Zero(z));
        var half = ((zs * zs) - (tau * tau)).where(active, Zero(z)).sum(1);
        var loss = (0.5 * half) - z.gather(1, tc.unsqueeze(1)).squeeze(1) + 0.5;
        return (loss.where(mask, Zero(loss)), mask.to(x.dtype));
    });

    /// <summary>Binary cross-entropy with logits, element-wise: <c>w [pw y' softplus(-x) + (1 - y') softplus(x)]</c>,
    /// <c>y' = y (1 - ε) + ε / 2</c>; the mean divides by N·K.</summary>
    public static Tensor SigmoidBinaryCrossEntropy(Tensor input, Tensor? target, SigmoidBinaryCrossEntropyOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        var y = o.LabelSmoothing > 0 ? (t * (1 - o.LabelSmoothing)) + (0.5 * o.LabelSmoothing) : t;
        var positive = -F.logsigmoid(x); // softplus(-x) = -log σ(x)
        var negative = -F.logsigmoid(-x); // softplus(x)
        var pw = Weights(o.PositiveWeights, x);
        var yPositive = pw is null ? y : y * pw;
        var loss = (yPositive * positive) + ((1 - y) * negative);
        var w = Weights(o.ClassWeights, x);
        if (w is not null)
        {
            loss = loss * w;
        }

        return (loss.sum(1), Elements(x));
    });

    /// <summary>Sigmoid focal loss, element-wise (torchvision's <c>sigmoid_focal_loss</c>; α off as Keras's default):
    /// <c>α_t (1 - p_t)^γ ce</c>; the mean divides by N·K.</summary>
    public static Tensor SigmoidFocal(Tensor input, Tensor? target, SigmoidFocalOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        var y = o.LabelSmoothing > 0 ? (t * (1 - o.LabelSmoothing)) + (0.5 * o.LabelSmoothing) : t;
        var ce = (y * -F.logsigmoid(x)) + ((1 - y) * -F.logsigmoid(-x));
        var miss = (torch.sigmoid(x) * (1 - y)) + (torch.sigmoid(-x) * y); // 1 - p_t
        var loss = o.Gamma == 0 ? ce : Power(miss, o.Gamma) * ce;
        if (o.ApplyClassBalancing)
        {
            loss = loss * ((o.Alpha * y) + ((1 - o.Alpha) * (1 - y)));
        }

        return (loss.sum(1), Elements(x));
    });

    /// <summary>KL divergence <c>Σ t (log t - x)</c> (or <c>Σ e^{lt} (lt - x)</c> for log targets), 0 where t = 0; the
    /// mean divides by N·K.</summary>
    public static Tensor KlDivergence(Tensor input, Tensor? target, KlDivergenceOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        Tensor loss;
        if (o.LogTarget)
        {
            var present = t.gt(double.NegativeInfinity);
            var lt = t.where(present, Zero(t));
            var xs = x.where(present, Zero(x));
            loss = (lt.exp() * (lt - xs)).where(present, Zero(x));
        }
        else
        {
            var present = t.gt(0);
            var ts = t.where(present, torch.ones_like(t));
            var xs = x.where(present, Zero(x));
            loss = (t * (ts.log() - xs)).where(present, Zero(x));
        }

        return (loss.sum(1), Elements(x));
    }, PerNat(o.Units));

    /// <summary>z-loss <c>c · lse(z)²</c> per row (no targets); the mean divides by N.</summary>
    public static Tensor ZLoss(Tensor input, Tensor? target, ZLossOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var lse = x.logsumexp(1);
        return (o.Coefficient * lse * lse, null);
    });

    /// <summary>Brier score of softmax(z): <c>Σ_c (p_c - y_c)²</c>, index (with the ignore index) or probability targets.</summary>
    public static Tensor SoftmaxBrierScore(Tensor input, Tensor? target, SoftmaxBrierScoreOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var p = torch.softmax(x, 1);
        if (IsIndex(t))
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            var d = p - F.one_hot(tc, k).to(x.dtype);
            var rows = (d * d).sum(1);
            var counted = mask.to(x.dtype);
            return (rows.where(mask, Zero(rows)), o.Average == BrierAverage.PerElement ? counted * k : counted);
        }

        var e = p - t;
        return ((e * e).sum(1), o.Average == BrierAverage.PerElement ? Elements(x) : null);
    });

    /// <summary>The asymmetric loss (ASL, Ridnik et al. 2021), element-wise: <c>y L+ + (1 - y) L-</c>; the mean divides by N·K.</summary>
    public static Tensor SigmoidAsymmetricFocal(Tensor input, Tensor? target, SigmoidAsymmetricFocalOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        RequireRows(t);
        var spNeg = -F.logsigmoid(x); // -log p
        var spPos = -F.logsigmoid(-x); // -log (1 - p)
        var positive = o.GammaPositive == 0 ? spNeg : (-o.GammaPositive * spPos).exp() * spNeg;
        Tensor negative;
        if (o.Margin == 0)
        {
            negative = o.GammaNegative == 0 ? spPos : (-o.GammaNegative * spNeg).exp() * spPos;
        }
        else
        {
            var shifted = F.relu(torch.sigmoid(x) - o.Margin); // p_m
            var rest = torch.sigmoid(-x) + o.Margin; // 1 - p_m where p > m (≥ m)
            var term = -rest.clamp_max(1.0).log();
            negative = o.GammaNegative == 0 ? term : Power(shifted, o.GammaNegative) * term;
        }

        var loss = (t * positive).where(t.gt(0), Zero(x)) + ((1 - t) * negative).where(t.lt(1), Zero(x));
        return (loss.sum(1), Elements(x));
    });

    /// <summary>
    /// Fenchel–Young loss (softmax, sparsemax, 1.5-entmax): the row value <c>Ω*(θ) + Ω(y) - ⟨θ, y⟩</c> computed without a
    /// graph (rows shifted by their maximum, a rounding below 0 returned as 0, as the kernels), and its gradient, the
    /// prediction minus the target (Danskin), attached through <c>⟨θ, g⟩ - detach(⟨θ, g⟩)</c> per row, so the backward
    /// is exactly <c>(ŷ - y) · upstream</c>.
    /// </summary>
    public static Tensor FenchelYoung(Tensor input, Tensor? target, FenchelYoungOptions o, Tensor? sampleWeights = null) => Run(input, target, o, sampleWeights, (x, t, k) =>
    {
        var bad = x.isnan().logical_or(x.isposinf()).any().item<bool>() || x.isneginf().all(1).any().item<bool>();
        if (bad)
        {
            throw new ArgumentException("input holds NaN or +inf, or a row of only -inf; a Fenchel-Young loss needs finite input (or -inf for a masked class).", "input");
        }

        Tensor? rowMask = null;
        Tensor y;
        if (IsIndex(t))
        {
            var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
            rowMask = mask;
            y = F.one_hot(tc, k).to(x.dtype);
        }
        else
        {
            y = t;
        }

        Tensor value, gradient;
        using (torch.no_grad())
        {
            var z = x - x.amax([1], keepdim: true);
            var present = y.gt(0);
            var zy = z.where(present, Zero(z));
            var inner = (y * zy).sum(1);
            var ys = y.where(present, torch.ones_like(y));
            Tensor omegaY, conjugate, prediction;
            switch (o.Regularizer)
            {
                case FenchelYoungRegularizer.Softmax:
                    omegaY = (y * ys.log()).where(present, Zero(y)).sum(1);
                    var lse = z.logsumexp(1, keepdim: true);
                    conjugate = lse.squeeze(1);
                    prediction = (z - lse).exp();
                    break;
                case FenchelYoungRegularizer.Sparsemax:
                {
                    omegaY = 0.5 * (y * y).sum(1);
                    var sorted = z.sort(1, descending: true).Values;
                    var cumulative = sorted.cumsum(1);
                    var ranks = torch.arange(1, k + 1, dtype: x.dtype, device: x.device);
                    var size = ((ranks * sorted) + 1).gt(cumulative).sum(1, keepdim: true);
                    var tau = (cumulative.gather(1, size - 1) - 1) / size.to(x.dtype);
                    var active = z.gt(tau);
                    var za = z.where(active, Zero(z));
                    conjugate = (0.5 * (za - tau) * (za + tau)).where(active, Zero(z)).sum(1);
                    prediction = F.relu(z - tau);
                    break;
                }

                default:
                {
                    omegaY = (4.0 / 3.0) * (y * ys.sqrt()).where(present, Zero(y)).sum(1);
                    var half = z / 2;
                    var sorted = half.sort(1, descending: true).Values;
                    var finite = sorted.isfinite();
                    var s0 = sorted.where(finite, Zero(sorted));
                    var ranks = torch.arange(1, k + 1, dtype: x.dtype, device: x.device);
                    var mean = s0.cumsum(1) / ranks;
                    var meanSquare = (s0 * s0).cumsum(1) / ranks;
                    var delta = (1 - (ranks * (meanSquare - (mean * mean)))) / ranks;
                    var taus = mean - F.relu(delta).sqrt();
                    var size = taus.le(sorted).logical_and(finite).sum(1, keepdim: true);
                    var tau = taus.gather(1, size - 1);
                    var u = F.relu(half - tau);
                    conjugate = ((2 * (u + tau) * u * u) - ((4.0 / 3.0) * u * u * u)).sum(1);
                    prediction = u * u;
                    break;
                }
            }

            value = (conjugate + omegaY - inner).clamp_min(0);
            gradient = prediction - y;
        }

        var xs = x.where(x.isfinite(), Zero(x));
        var carried = (xs * gradient).sum(1);
        var rows = value + (carried - carried.detach());
        if (rowMask is null)
        {
            return (rows, null);
        }

        return (rows.where(rowMask, Zero(rows)), rowMask.to(x.dtype));
    });

    /// <summary>Weighted kappa (TF Addons), a batch statistic of probabilities P: <c>log(num / den + ε)</c> with
    /// <c>num = Σ_i Σ_j W[y_i, j] P_ij</c>, <c>den = Σ_k Σ_j a_k W[k, j] b_j / N</c> (label counts a, predicted mass b), the
    /// ratio 0 where den is 0.</summary>
    public static Tensor WeightedKappa(Tensor input, Tensor? target, WeightedKappaOptions o, Tensor? sampleWeights = null)
    {
        if (sampleWeights is not null)
        {
            throw new ArgumentException("the weighted kappa is a batch statistic; this adapter takes no sample weights for it.", nameof(sampleWeights));
        }

        var dtype = input.dtype;
        var p = dtype is ScalarType.Float16 ? input.to(ScalarType.Float32) : input;
        long k = p.shape[^1];
        var p2 = p.reshape(-1, k);
        RequireIndex(target);
        var (_, y) = Labels(target!.to(ScalarType.Int64).reshape(-1).to(p2.device), k, ignoreIndex: null, o);
        var classes = torch.arange(k, dtype: p2.dtype, device: p2.device);
        var d = classes.unsqueeze(1) - classes.unsqueeze(0);
        var w = o.Weighting == KappaWeighting.Quadratic ? d * d : d.abs();
        var num = (w.index_select(0, y) * p2).sum();
        var counts = F.one_hot(y, k).to(p2.dtype).sum(dim: 0);
        var mass = p2.sum(dim: 0);
        var den = counts.matmul(w).dot(mass) / (double)p2.shape[0];
        var some = den.detach().gt(0);
        var ratio = (num / den.where(some, torch.ones_like(den))).where(some, torch.zeros_like(den));
        var loss = (ratio + o.LogOffset).log();
        return loss.dtype == dtype ? loss : loss.to(dtype);
    }

    /// <summary>Runs a composition on [N, K] views of the input and target and reduces its rows as the kernels do. The
    /// composition returns the row losses and what each row counts in the mean (a per-row tensor, a scalar every row
    /// counts, or null for 1); sample weights s multiply the rows, and the mean divides by <c>Σ s_i d_i</c>
    /// (<see cref="SampleWeightedMean.WeightSum"/>) or by <c>Σ d_i</c> (<see cref="SampleWeightedMean.BatchSize"/>),
    /// BatchMean by <c>Σ s_i</c> or N, as the core's driver.</summary>
    private static Tensor Run<TOptions>(Tensor input, Tensor? target, TOptions o, Tensor? sampleWeights,
        Func<Tensor, Tensor, long, (Tensor Rows, Tensor? RowCounts)> rows, double scale = 1.0)
        where TOptions : LossOptions
    {
        var dtype = input.dtype;
        var x = dtype is ScalarType.Float16 ? input.to(ScalarType.Float32) : input;
        long k = x.shape[^1];
        var leading = x.shape[..^1];
        var x2 = x.reshape(-1, k);
        Tensor? t2 = null;
        if (target is not null)
        {
            t2 = IsIndex(target) ? target.to(ScalarType.Int64).reshape(-1) : target.detach().to(x.dtype).reshape(-1, k);
            if (t2.device != x2.device)
            {
                t2 = t2.to(x2.device);
            }
        }

        long n = x2.shape[0];
        var s = sampleWeights is null ? null : SampleWeights(sampleWeights, n, x2);
        var (r, counts) = rows(x2, t2 ?? x2, k); // a loss without targets ignores the second argument
        if (scale != 1.0)
        {
            r = r * scale;
        }

        if (s is not null)
        {
            r = r * s;
        }

        bool weighted = s is not null && o.WeightedMean == SampleWeightedMean.WeightSum;
        Tensor Count(Tensor? d)
        {
            var perRow = d is null ? torch.ones(n, dtype: x.dtype, device: x.device) : d.dim() == 0 ? d * torch.ones(n, dtype: x.dtype, device: x.device) : d;
            return (weighted ? perRow * s! : perRow).sum();
        }

        Tensor result = o.Reduction switch
        {
            Reduction.None => r.reshape(leading),
            Reduction.Sum => r.sum(),
            Reduction.Mean => Divide(r.sum(), Count(counts), o.WhenEmpty),
            Reduction.BatchMean => Divide(r.sum(), Count(null), o.WhenEmpty),
            _ => throw new ArgumentException($"Reduction {o.Reduction} is not one of None, Sum, Mean, BatchMean.", nameof(o)),
        };
        return result.dtype == dtype ? result : result.to(dtype);
    }

    /// <summary>The sample weights as [N] in the input's dtype and device, checked (one host read) as the kernels check
    /// them: N of them, each finite and ≥ 0.</summary>
    private static Tensor SampleWeights(Tensor sampleWeights, long n, Tensor x2)
    {
        var s = sampleWeights.detach().to(x2.dtype).to(x2.device).reshape(-1);
        if (s.shape[0] != n)
        {
            throw new ArgumentException($"sample_weight holds {s.shape[0]} values; expected one per row ({n}).", "sample_weight");
        }

        var bad = s.ge(0).logical_and(s.isfinite()).logical_not();
        if (bad.any().item<bool>())
        {
            long row = bad.nonzero()[0, 0].item<long>();
            throw new ArgumentException($"sample_weight[{row}] is {s[row].to(ScalarType.Float64).item<double>()}; a sample weight must be finite and >= 0.", "sample_weight");
        }

        return s;
    }

    /// <summary>total / den, or the empty-mean policy's value (0 or NaN, with a 0 gradient) where den is 0.</summary>
    private static Tensor Divide(Tensor total, Tensor den, EmptyMean whenEmpty)
    {
        var some = den.detach().gt(0);
        var quotient = total / den.where(some, torch.ones_like(den));
        var empty = torch.full_like(quotient, whenEmpty == EmptyMean.NaN ? double.NaN : 0.0);
        return quotient.where(some, empty);
    }

    /// <summary>What each row of [N, K] counts in a per-element mean: its K elements.</summary>
    private static Tensor Elements(Tensor x) => torch.tensor((double)x.shape[^1], dtype: x.dtype, device: x.device);

    /// <summary>-Σ_c q_c log p_c per row, with terms whose q_c is 0 left out (masked logits cost nothing).</summary>
    private static Tensor XLog(Tensor q, Tensor logp)
    {
        var on = q.ne(0);
        return (q * logp.where(on, Zero(logp))).sum(1);
    }

    /// <summary>(1 - p)^γ from log p: <c>1 - p = -expm1(log p)</c> keeps its relative precision near p = 1.</summary>
    private static Tensor Focus(Tensor logp, double gamma) => gamma == 0 ? torch.ones_like(logp) : Power(-logp.expm1(), gamma);

    /// <summary><c>b^γ</c> for b ≥ 0 and γ &gt; 0 whose gradient is 0, not NaN, where b is exactly 0 (γ &lt; 1 would give
    /// ∞ · 0 there; the limit of the losses' gradients is 0).</summary>
    private static Tensor Power(Tensor b, double gamma)
    {
        var positive = b.gt(0);
        return b.where(positive, torch.ones_like(b)).pow(gamma).where(positive, Zero(b));
    }

    private static Tensor Zero(Tensor like) => torch.zeros(1, dtype: like.dtype, device: like.device);

    private static Tensor? Weights(IReadOnlyList<double>? weights, Tensor x) =>
        weights is null ? null : torch.tensor([.. weights], dtype: x.dtype, device: x.device);

    private static bool IsIndex(Tensor? t) =>
        t is not null && t.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte;

    private static void RequireIndex(Tensor? t)
    {
        if (!IsIndex(t))
        {
            throw new ArgumentException("this loss takes class indices (an int64 target), not target rows.", "target");
        }
    }

    private static void RequireRows(Tensor? t)
    {
        if (t is null || IsIndex(t))
        {
            throw new ArgumentException("this loss takes target rows of the input's shape, not class indices.", "target");
        }
    }

    /// <summary>The rows' mask (target ≠ ignore index) and the targets with ignored rows set to 0 (a safe gather index);
    /// throws, as the kernels do, on a class index outside [0, K) that is not the ignore index (one host read).</summary>
    /// <summary>The targets as [N, K] rows in the input's dtype: class indices one-hot (with the mask of rows the ignore
    /// index leaves counted), or the given rows with no mask.</summary>
    private static (Tensor Rows, Tensor? RowMask) TargetRows(Tensor x, Tensor? t, long k, LossOptions o)
    {
        if (!IsIndex(t))
        {
            return (t!, null);
        }

        var (mask, tc) = Labels(t, k, o.IgnoreIndex, o);
        return (F.one_hot(tc, k).to(x.dtype), mask);
    }

    private static (Tensor Mask, Tensor Safe) Labels(Tensor? t, long k, int? ignoreIndex, LossOptions o)
    {
        RequireIndex(t);
        var mask = ignoreIndex is int ii ? t!.ne(ii) : torch.ones_like(t!, ScalarType.Bool);
        var bad = (t!.lt(0).logical_or(t.ge(k))).logical_and(mask);
        if (bad.any().item<bool>())
        {
            long row = bad.nonzero()[0, 0].item<long>();
            long value = t[row].item<long>();
            throw new ArgumentException($"targets[{row}] is {value}; expected a class index in [0, {k}) or the ignore index ({o.IgnoreIndex}).", "targets");
        }

        return (mask, t.where(mask, torch.zeros_like(t)));
    }

    private static double PerNat(InformationUnit units) => units == InformationUnit.Bits ? 1.0 / Math.Log(2) : 1.0;
}
