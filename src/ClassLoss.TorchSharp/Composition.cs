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
    public static Tensor SoftmaxBrierScore(Tensor input, Tensor? target, SoftmaxBrierScoreOptions o, Tensor? sampleWeights = null) =>
        Run(input, target, o, sampleWeights, (x, t, k) => BrierRows(torch.softmax(x, 1), t, k, o));

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
