using System.Globalization;
using System.Text;

namespace ClassLoss.Losses;

/// <summary>The options of the <c>ce+z</c> entry: the cross-entropy's and the z-loss's.</summary>
/// <param name="CrossEntropy">The cross-entropy's options.</param>
/// <param name="Z">The z-loss's options (use the same reduction).</param>
public sealed record CrossEntropyWithZLossOptions(SoftmaxCrossEntropyOptions CrossEntropy, ZLossOptions Z);

/// <summary>
/// Every loss of the library, one <see cref="LossEntry"/> each: its specification name, the public type that computes
/// it, its input, its targets, the convention it follows and its options. The catalogue builds the lab's training
/// losses from a specification <c>name[:key=value,...]</c> (e.g. <c>ce</c>, <c>ce:smoothing=0.1</c>,
/// <c>weighted-ce:weights=balanced</c>, <c>weighted-ce:weights=1;2;0.5</c>), drives the <c>loss</c> command and its
/// help, and renders README's table (<see cref="MarkdownTable"/>). Adding a loss is one entry here (see
/// docs/architecture.md, "Adding a loss").
/// </summary>
public static class LossCatalog
{
    private static readonly LossOptionInfo Smoothing = new("smoothing", "0", "label smoothing ε in [0, 1]");
    private static readonly LossOptionInfo Temperature = new("temperature", "1", "softmax temperature τ > 0");
    private const LossTargetKinds IndicesOrRows = LossTargetKinds.ClassIndices | LossTargetKinds.Probabilities;
    private const LossTargetKinds IndicesOrElements = LossTargetKinds.ClassIndices | LossTargetKinds.Elements;

    // Each family's public Evaluate as method groups, for float (training) and double (the loss command).
    private static readonly FamilyKernel<SoftmaxCrossEntropyOptions> CrossEntropy = Both<SoftmaxCrossEntropyOptions>(
        SoftmaxCrossEntropy.Evaluate, SoftmaxCrossEntropy.Evaluate, SoftmaxCrossEntropy.Evaluate, SoftmaxCrossEntropy.Evaluate);
    private static readonly FamilyKernel<CrossEntropyWithZLossOptions> CrossEntropyAndZ = Both<CrossEntropyWithZLossOptions>(
        CrossEntropyWithZ, CrossEntropyWithZ, CrossEntropyWithZ, CrossEntropyWithZ);
    private static readonly FamilyKernel<ZLossOptions> ZLossFamily = RowsOnly<ZLossOptions>(ZLossOf, ZLossOf);
    private static readonly FamilyKernel<NegativeLogLikelihoodOptions> Nll = LabelsOnly<NegativeLogLikelihoodOptions>(
        NegativeLogLikelihood.Evaluate, NegativeLogLikelihood.Evaluate);
    private static readonly FamilyKernel<CrossEntropyFromProbabilitiesOptions> CrossEntropyOfProbabilities = Both<CrossEntropyFromProbabilitiesOptions>(
        CrossEntropyFromProbabilities.Evaluate, CrossEntropyFromProbabilities.Evaluate, CrossEntropyFromProbabilities.Evaluate, CrossEntropyFromProbabilities.Evaluate);
    private static readonly FamilyKernel<SigmoidBinaryCrossEntropyOptions> SigmoidBce = RowsOnly<SigmoidBinaryCrossEntropyOptions>(
        SigmoidBinaryCrossEntropy.Evaluate, SigmoidBinaryCrossEntropy.Evaluate);
    private static readonly FamilyKernel<BinaryCrossEntropyFromProbabilitiesOptions> Bce = RowsOnly<BinaryCrossEntropyFromProbabilitiesOptions>(
        BinaryCrossEntropyFromProbabilities.Evaluate, BinaryCrossEntropyFromProbabilities.Evaluate);
    private static readonly FamilyKernel<SoftmaxBrierScoreOptions> SoftmaxBrier = Both<SoftmaxBrierScoreOptions>(
        SoftmaxBrierScore.Evaluate, SoftmaxBrierScore.Evaluate, SoftmaxBrierScore.Evaluate, SoftmaxBrierScore.Evaluate);
    private static readonly FamilyKernel<BrierScoreFromProbabilitiesOptions> Brier = Both<BrierScoreFromProbabilitiesOptions>(
        BrierScoreFromProbabilities.Evaluate, BrierScoreFromProbabilities.Evaluate, BrierScoreFromProbabilities.Evaluate, BrierScoreFromProbabilities.Evaluate);
    private static readonly FamilyKernel<SigmoidBrierScoreOptions> SigmoidBrier = RowsOnly<SigmoidBrierScoreOptions>(SigmoidBrierScore.Evaluate, SigmoidBrierScore.Evaluate);
    private static readonly FamilyKernel<SoftmaxFocalOptions> Focal = Both<SoftmaxFocalOptions>(
        SoftmaxFocal.Evaluate, SoftmaxFocal.Evaluate, SoftmaxFocal.Evaluate, SoftmaxFocal.Evaluate);
    private static readonly FamilyKernel<FocalFromProbabilitiesOptions> FocalOfProbabilities = Both<FocalFromProbabilitiesOptions>(
        FocalFromProbabilities.Evaluate, FocalFromProbabilities.Evaluate, FocalFromProbabilities.Evaluate, FocalFromProbabilities.Evaluate);
    private static readonly FamilyKernel<BinaryFocalFromProbabilitiesOptions> BinaryFocalOfProbabilities = RowsOnly<BinaryFocalFromProbabilitiesOptions>(
        BinaryFocalFromProbabilities.Evaluate, BinaryFocalFromProbabilities.Evaluate);
    private static readonly FamilyKernel<SigmoidFocalOptions> SigmoidFocalFamily = RowsOnly<SigmoidFocalOptions>(SigmoidFocal.Evaluate, SigmoidFocal.Evaluate);
    private static readonly FamilyKernel<SoftmaxPoly1Options> Poly = Both<SoftmaxPoly1Options>(SoftmaxPoly1.Evaluate, SoftmaxPoly1.Evaluate, SoftmaxPoly1.Evaluate, SoftmaxPoly1.Evaluate);
    private static readonly FamilyKernel<KlDivergenceOptions> Kl = RowsOnly<KlDivergenceOptions>(KlDivergence.Evaluate, KlDivergence.Evaluate);
    private static readonly FamilyKernel<SoftmaxEntropyOptions> EntropyFamily = RowsOnly<SoftmaxEntropyOptions>(EntropyOf, EntropyOf);
    private static readonly FamilyKernel<MultiMarginHingeOptions> Hinge = LabelsOnly<MultiMarginHingeOptions>(MultiMarginHinge.Evaluate, MultiMarginHinge.Evaluate);
    private static readonly FamilyKernel<SparsemaxLossOptions> Sparsemax = LabelsOnly<SparsemaxLossOptions>(SparsemaxLoss.Evaluate, SparsemaxLoss.Evaluate);
    private static readonly FamilyKernel<CategoricalHingeOptions> KerasHinge = Both<CategoricalHingeOptions>(
        CategoricalHinge.Evaluate, CategoricalHinge.Evaluate, CategoricalHinge.Evaluate, CategoricalHinge.Evaluate);
    private static readonly FamilyKernel<CrammerSingerHingeOptions> CrammerSinger = LabelsOnly<CrammerSingerHingeOptions>(
        CrammerSingerHinge.Evaluate, CrammerSingerHinge.Evaluate);
    private static readonly FamilyKernel<MultiLabelMarginOptions> MultiLabelMarginFamily = RowsOnly<MultiLabelMarginOptions>(
        MultiLabelMargin.Evaluate, MultiLabelMargin.Evaluate);
    private static readonly FamilyKernel<MultiLabelSoftMarginOptions> MultiLabelSoftMarginFamily = RowsOnly<MultiLabelSoftMarginOptions>(
        MultiLabelSoftMargin.Evaluate, MultiLabelSoftMargin.Evaluate);
    private static readonly FamilyKernel<FenchelYoungOptions> FenchelYoungFamily = Both<FenchelYoungOptions>(
        FenchelYoung.Evaluate, FenchelYoung.Evaluate, FenchelYoung.Evaluate, FenchelYoung.Evaluate);
    private static readonly FamilyKernel<BinarySparsemaxLossOptions> BinarySparsemax = RowsOnly<BinarySparsemaxLossOptions>(
        BinarySparsemaxLoss.Evaluate, BinarySparsemaxLoss.Evaluate);
    private static readonly FamilyKernel<SigmoidAsymmetricFocalOptions> Asymmetric = RowsOnly<SigmoidAsymmetricFocalOptions>(SigmoidAsymmetricFocal.Evaluate, SigmoidAsymmetricFocal.Evaluate);
    private static readonly FamilyKernel<GaussianNegativeLogLikelihoodOptions> GaussianNll = RowsOnly<GaussianNegativeLogLikelihoodOptions>(
        GaussianNegativeLogLikelihood.Evaluate, GaussianNegativeLogLikelihood.Evaluate);
    private static readonly FamilyKernel<WeightedKappaOptions> Kappa = LabelsOnly<WeightedKappaOptions>(KappaOf, KappaOf);

    private static readonly LossEntry[] All =
    [
        Entry("ce", "softmax cross-entropy", typeof(SoftmaxCrossEntropy), LossInput.Logits, IndicesOrRows,
            "PyTorch CrossEntropyLoss (weight, ignore_index, label_smoothing); gradient p - y",
            [Smoothing, Temperature], CrossEntropy, CeOptions),
        Entry("weighted-ce", "class-weighted softmax cross-entropy", typeof(SoftmaxCrossEntropy), LossInput.Logits, IndicesOrRows,
            "PyTorch weighted mean (divides by the weight of the counted rows); weights=balanced is scikit-learn's N / (K n_c)",
            [new("weights", "balanced", "balanced, or K weights w0;w1;..."), Smoothing, Temperature], CrossEntropy,
            (s, c) => CeOptions(s, c) with { ClassWeights = Weights(s, c) }, needsTrainingData: true),
        Entry("cb-ce", "class-balanced cross-entropy", typeof(SoftmaxCrossEntropy), LossInput.Logits, IndicesOrRows,
            "weights from the effective number of samples (Cui et al. 2019, ClassBalancedWeights)",
            [new("beta", "0.999", "β in [0, 1]"), Smoothing, Temperature], CrossEntropy,
            (s, c) => CeOptions(s, c) with { ClassWeights = ClassBalanced(s, c) }, needsTrainingData: true),
        Entry("ce+z", "softmax cross-entropy + z-loss", typeof(ZLoss), LossInput.Logits, IndicesOrRows,
            "CE plus z·lse(logits)² per row (PaLM, ST-MoE); row losses are the CE's",
            [new("z", "1e-4", "z-loss coefficient"), Smoothing, Temperature], CrossEntropyAndZ,
            (s, c) => new CrossEntropyWithZLossOptions(CeOptions(s, c), ZOptions(s, c))),
        Entry("z-loss", "z-loss", typeof(ZLoss), LossInput.Logits, LossTargetKinds.None,
            "c · lse(logits)² per row, a regulariser without targets (PaLM)",
            [new("z", "1e-4", "coefficient")], ZLossFamily, ZOptions, trainable: false),
        Entry("nll", "negative log-likelihood", typeof(NegativeLogLikelihood), LossInput.LogProbabilities, LossTargetKinds.ClassIndices,
            "PyTorch NLLLoss (the second half of LogSoftmax + NLLLoss)",
            [], Nll, (s, c) => new NegativeLogLikelihoodOptions(), trainable: false),
        Entry("ce-prob", "cross-entropy from probabilities", typeof(CrossEntropyFromProbabilities), LossInput.Probabilities, IndicesOrRows,
            "-Σ y log p, log clamped at -100 (PyTorch; Keras clips to [ε, 1 - ε])",
            [], CrossEntropyOfProbabilities, (s, c) => new CrossEntropyFromProbabilitiesOptions(), trainable: false),
        Entry("bce", "per-class binary cross-entropy with logits", typeof(SigmoidBinaryCrossEntropy), LossInput.Logits, LossTargetKinds.Elements,
            "PyTorch BCEWithLogitsLoss, a sigmoid per output, summed over classes, mean over rows (seed 002)",
            [], SigmoidBce, (s, c) => new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.BatchMean, MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("bce-prob", "per-class binary cross-entropy from probabilities", typeof(BinaryCrossEntropyFromProbabilities), LossInput.Probabilities, LossTargetKinds.Elements,
            "PyTorch BCELoss (log clamped at -100), summed over classes, mean over rows",
            [], Bce, (s, c) => new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.BatchMean }, trainable: false),
        Entry("brier", "Brier score through softmax", typeof(SoftmaxBrierScore), LossInput.Logits, IndicesOrRows,
            "Σ_c (p_c - y_c)² of softmax(logits), mean over rows (Brier 1950, seeds 001 and 003)",
            [], SoftmaxBrier, (s, c) => new SoftmaxBrierScoreOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("mse", "MSE of softmax probabilities", typeof(SoftmaxBrierScore), LossInput.Logits, IndicesOrRows,
            "mean over N·K elements (PyTorch MSELoss on probabilities)",
            [], SoftmaxBrier, (s, c) => new SoftmaxBrierScoreOptions { Average = BrierAverage.PerElement, MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("brier-prob", "Brier score of probabilities", typeof(BrierScoreFromProbabilities), LossInput.Probabilities, IndicesOrRows,
            "Σ_c (p_c - y_c)², mean over rows (scikit-learn's multi-class brier_score_loss)",
            [], Brier, (s, c) => new BrierScoreFromProbabilitiesOptions(), trainable: false),
        Entry("sigmoid-mse", "one-vs-rest MSE through a sigmoid", typeof(SigmoidBrierScore), LossInput.Logits, LossTargetKinds.Elements,
            "Σ_c (σ(z_c) - y_c)², mean over rows; seed 000's saturating gradient",
            [], SigmoidBrier, (s, c) => new SigmoidBrierScoreOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("focal", "softmax focal loss", typeof(SoftmaxFocal), LossInput.Logits, IndicesOrRows,
            "Keras CategoricalFocalCrossentropy (Lin et al. 2017)",
            [new("gamma", "2", "focusing γ ≥ 0"), new("alpha", "0.25", "α of every class")], Focal,
            (s, c) => new SoftmaxFocalOptions { Gamma = s.Double("gamma", 2), Alpha = s.Double("alpha", 0.25), MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("focal-prob", "focal loss from probabilities", typeof(FocalFromProbabilities), LossInput.Probabilities, IndicesOrRows,
            "Keras CategoricalFocalCrossentropy(from_logits=False): p clipped to [ε, 1 - ε], -Σ α y (1 - p)^γ log p",
            [new("gamma", "2", "focusing γ ≥ 0"), new("alpha", "0.25", "α of every class")], FocalOfProbabilities,
            (s, c) => new FocalFromProbabilitiesOptions { Gamma = s.Double("gamma", 2), Alpha = s.Double("alpha", 0.25) }, trainable: false),
        Entry("sigmoid-focal", "one-vs-rest sigmoid focal loss", typeof(SigmoidFocal), LossInput.Logits, LossTargetKinds.Elements,
            "torchvision sigmoid_focal_loss, summed over classes, mean over rows",
            [new("gamma", "2", "focusing γ ≥ 0"), new("alpha", "0.25", "α of the positive class (negative: off)")], SigmoidFocalFamily,
            (s, c) => new SigmoidFocalOptions
            {
                Gamma = s.Double("gamma", 2), Alpha = Math.Max(s.Double("alpha", 0.25), 0), ApplyClassBalancing = s.Double("alpha", 0.25) >= 0,
                Reduction = Reduction.BatchMean, MaxDegreeOfParallelism = c.Compute.Threads,
            }),
        Entry("binary-focal-prob", "binary focal loss from probabilities", typeof(BinaryFocalFromProbabilities), LossInput.Probabilities, LossTargetKinds.Elements,
            "Keras BinaryFocalCrossentropy(from_logits=False): p clipped to [ε, 1 - ε] in the logs, α off, summed over classes, mean over rows",
            [new("gamma", "2", "focusing γ ≥ 0"), new("alpha", "off", "α of the positive class (a value turns balancing on)")], BinaryFocalOfProbabilities,
            (s, c) => new BinaryFocalFromProbabilitiesOptions
            {
                Gamma = s.Double("gamma", 2), Alpha = s.Get("alpha") is null or "off" ? 0.25 : s.Double("alpha", 0.25), ApplyClassBalancing = s.Get("alpha") is not (null or "off"),
                Reduction = Reduction.BatchMean,
            }, trainable: false),
        Entry("poly", "Poly-1 loss", typeof(SoftmaxPoly1), LossInput.Logits, IndicesOrRows,
            "CE + ε (1 - p_t) (Leng et al. 2022)",
            [new("epsilon", "1", "ε ≥ -1")], Poly,
            (s, c) => new SoftmaxPoly1Options { PolyCoefficient = s.Double("epsilon", 1), MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("kl", "KL divergence", typeof(KlDivergence), LossInput.LogProbabilities, LossTargetKinds.Probabilities,
            "PyTorch kl_div(log q, t) with batchmean; 0 log 0 = 0",
            [], Kl, (s, c) => new KlDivergenceOptions { Reduction = Reduction.BatchMean }, trainable: false),
        Entry("entropy", "entropy of the prediction", typeof(SoftmaxEntropy), LossInput.Logits, LossTargetKinds.None,
            "-Σ p log p of softmax(logits) in nats, a confidence penalty",
            [], EntropyFamily, (s, c) => new SoftmaxEntropyOptions(), trainable: false),
        Entry("hinge", "multiclass hinge", typeof(MultiMarginHinge), LossInput.Logits, LossTargetKinds.ClassIndices,
            "PyTorch MultiMarginLoss (Weston-Watkins, summed over classes / K)",
            [new("p", "1", "1 or 2"), new("margin", "1", "the margin")], Hinge,
            (s, c) => new MultiMarginHingeOptions { Power = s.Int("p", 1), Margin = s.Double("margin", 1), MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("sparsemax", "sparsemax loss", typeof(SparsemaxLoss), LossInput.Logits, LossTargetKinds.ClassIndices,
            "Martins & Astudillo 2016, eq. 18",
            [], Sparsemax, (s, c) => new SparsemaxLossOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("categorical-hinge", "categorical hinge", typeof(CategoricalHinge), LossInput.Logits, IndicesOrElements,
            "Keras CategoricalHinge: max(0, max_j (1 - y_j) x_j - Σ y x + 1), mean over rows",
            [], KerasHinge, (s, c) => new CategoricalHingeOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("crammer-singer", "Crammer-Singer multiclass hinge", typeof(CrammerSingerHinge), LossInput.Logits, LossTargetKinds.ClassIndices,
            "Optax multiclass_hinge_loss: max_j (x_j + [j ≠ y]) - x_y (Crammer & Singer 2001)",
            [], CrammerSinger, (s, c) => new CrammerSingerHingeOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("multilabel-margin", "multi-label margin loss", typeof(MultiLabelMargin), LossInput.Logits, LossTargetKinds.Elements,
            "PyTorch MultiLabelMarginLoss on multi-hot rows: Σ_{j∈J} Σ_{i∉J} max(0, 1 - x_j + x_i) / K, mean over rows",
            [], MultiLabelMarginFamily, (s, c) => new MultiLabelMarginOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("multilabel-soft-margin", "multi-label soft-margin loss", typeof(MultiLabelSoftMargin), LossInput.Logits, LossTargetKinds.Elements,
            "PyTorch MultiLabelSoftMarginLoss: BCE with logits averaged over the K classes, mean over rows",
            [], MultiLabelSoftMarginFamily, (s, c) => new MultiLabelSoftMarginOptions { MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("fenchel-young", "Fenchel-Young loss", typeof(FenchelYoung), LossInput.Logits, IndicesOrRows,
            "Ω*(θ) + Ω(y) - ⟨θ, y⟩, gradient ŷ - y (Blondel et al. 2020; Optax make_fenchel_young_loss plus Ω(y)); softmax: CE, sparsemax: the sparsemax loss",
            [new("regularizer", "softmax", "softmax, sparsemax or entmax15")], FenchelYoungFamily,
            (s, c) => new FenchelYoungOptions { Regularizer = Regularizer(s), MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("binary-sparsemax", "per-class binary sparsemax loss", typeof(BinarySparsemaxLoss), LossInput.Logits, LossTargetKinds.Elements,
            "Optax sparsemax_loss, sparse_plus(±x) per output (Blondel et al. 2020, Sec. 4.4), summed over classes, mean over rows",
            [], BinarySparsemax, (s, c) => new BinarySparsemaxLossOptions { Reduction = Reduction.BatchMean, MaxDegreeOfParallelism = c.Compute.Threads }),
        Entry("asl", "asymmetric loss (multi-label)", typeof(SigmoidAsymmetricFocal), LossInput.Logits, LossTargetKinds.Elements,
            "Ridnik et al. 2021 (γ-, γ+, probability margin m), summed over classes, mean over rows; exact gradient (the reference code detaches the focusing weight)",
            [new("gamma-neg", "4", "γ- ≥ 0"), new("gamma-pos", "1", "γ+ ≥ 0"), new("clip", "0.05", "probability margin m in [0, 1)")], Asymmetric,
            (s, c) => new SigmoidAsymmetricFocalOptions
            {
                GammaNegative = s.Double("gamma-neg", 4), GammaPositive = s.Double("gamma-pos", 1), Margin = s.Double("clip", 0.05),
                Reduction = Reduction.BatchMean, MaxDegreeOfParallelism = c.Compute.Threads,
            }),
        Entry("gaussian-nll", "Gaussian negative log-likelihood, shared variance", typeof(GaussianNegativeLogLikelihood), LossInput.Logits, LossTargetKinds.Elements,
            "PyTorch GaussianNLLLoss with the outputs as means and one known variance: ½ (log σ² + (x - y)² / σ²), summed over outputs, mean over rows (seed 000 §2.4)",
            [new("var", "1", "the shared variance σ² ≥ 0"), new("full", "false", "add ½ log 2π")], GaussianNll,
            (s, c) => new GaussianNegativeLogLikelihoodOptions
            {
                SharedVariance = s.Double("var", 1), Full = s.Bool("full", false), Reduction = Reduction.BatchMean, MaxDegreeOfParallelism = c.Compute.Threads,
            }),
        Entry("kappa", "weighted kappa loss", typeof(WeightedKappa), LossInput.Probabilities, LossTargetKinds.ClassIndices,
            "TF Addons WeightedKappaLoss (quadratic), a batch statistic for ordered classes (seed 003)",
            [], Kappa, (s, c) => new WeightedKappaOptions(), trainable: false),
    ];

    /// <summary>Every loss, in the catalogue's order.</summary>
    public static IReadOnlyList<LossEntry> Entries => All;

    /// <summary>The names of the losses the lab can train with, comma-separated.</summary>
    public static string TrainableNames => string.Join(", ", All.Where(e => e.Trainable).Select(e => e.Name));

    /// <summary>The entry named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such loss; the message lists the valid names.</exception>
    public static LossEntry Find(string name) =>
        Array.Find(All, e => e.Name == name)
        ?? throw new ArgumentException($"unknown loss '{name}'; valid losses: {string.Join(", ", All.Select(e => e.Name))}.");

    /// <summary>Creates the training loss <paramref name="text"/> describes.</summary>
    /// <exception cref="ArgumentException">Unknown name or option, a bad value, or a loss that does not read logits; the
    /// message lists the valid choices.</exception>
    public static ILogitLoss Create(string text, LossContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var spec = Spec.Parse(text, "loss");
        var entry = Array.Find(All, e => e.Name == spec.Name && e.Trainable)
            ?? throw new ArgumentException($"unknown loss '{spec.Name}'; valid losses: {TrainableNames}.");
        spec.Only([.. entry.Options.Select(o => o.Key)]);
        return entry.Create(spec, context);
    }

    /// <summary>README's table of losses, one row per entry (regenerated by <c>classloss losses --markdown</c>).</summary>
    public static string MarkdownTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| name | loss | computed by | input | targets | convention | options |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var e in All)
        {
            string options = e.Options.Count == 0 ? "" : string.Join(", ", e.Options.Select(o => $"`{o.Key}={o.Default}`"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"| `{e.Name}`{(e.Trainable ? "" : " †")} | {e.Title} | `{e.Family.Name}` | {InputText(e.Input)} | {TargetsText(e.Targets)} | {e.Convention} | {options} |");
        }

        sb.AppendLine();
        sb.AppendLine("† not a training loss of the lab (its input is not logits, or it has no targets); `classloss loss` shows it.");
        return sb.ToString();
    }

    /// <summary>
    /// docs/conventions.md's per-loss table (<c>classloss losses --conventions</c>): every catalogue entry with the type
    /// that computes it, its options type, the shared options it takes (the others are refused), the reduction and
    /// empty-mean policy it is built with, and the reduction each parity preset gives it.
    /// </summary>
    /// <returns>The Markdown table.</returns>
    public static string ConventionsTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| name | computed by | options | shared options it takes | reduction, empty mean | `Pytorch` / `Keras` / `Optax` reduction |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var e in All)
        {
            if (e.DefaultOptions() is not { } o)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| `{e.Name}` | `{e.Family.Name}` | `{e.Title}`: a composition, options of its parts | as its parts | as its parts | as its parts |");
                continue;
            }

            SharedOptions takes = o.TakenOptions;
            string taken = takes == SharedOptions.None
                ? "none"
                : string.Join(", ", new[] { SharedOptions.ClassWeights, SharedOptions.IgnoreIndex, SharedOptions.TargetSumTolerance }
                    .Where(option => (takes & option) != 0).Select(option => $"`{option}`"));
            string presets = string.Join(" / ", Enum.GetValues<Convention>().Select(c => $"`{o.Following(c).Reduction}`"));
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| `{e.Name}` | `{e.Family.Name}` | `{o.GetType().Name}` | {taken} | `{o.Reduction}`, `{o.WhenEmpty}` | {presets} |");
        }

        return sb.ToString();
    }

    /// <summary>The input kind in words.</summary>
    public static string InputText(LossInput input) => input switch
    {
        LossInput.Logits => "logits",
        LossInput.Probabilities => "probabilities",
        _ => "log-probabilities",
    };

    /// <summary>The target kinds in words.</summary>
    public static string TargetsText(LossTargetKinds targets) => targets == LossTargetKinds.None ? "none" : string.Join(" or ",
        new[] { (LossTargetKinds.ClassIndices, "class indices"), (LossTargetKinds.Probabilities, "probabilities"), (LossTargetKinds.Elements, "element-wise [0, 1]") }
            .Where(p => targets.HasFlag(p.Item1)).Select(p => p.Item2));

    private static LossEntry Entry<TOptions>(string name, string title, Type family, LossInput input, LossTargetKinds targets, string convention,
        LossOptionInfo[] options, FamilyKernel<TOptions> kernel, Func<Spec, LossContext, TOptions> build, bool trainable = true,
        bool needsTrainingData = false) =>
        new(name, title, family, input, targets, convention, options,
            trainable ? (s, c) => new KernelLoss<TOptions>(s.Text, kernel, build(s, c)) : null,
            (s, example, gradient) => needsTrainingData && example.ClassCounts is null
                ? null
                : Example(kernel, build(s, new LossContext(example.Classes, example.ClassCounts)), input, example, gradient))
        {
            // The options this entry builds by default, for docs/conventions.md (a composition's are not one LossOptions).
            DefaultOptions = () => build(Spec.Parse(name, "loss"), new LossContext(3, [10, 20, 30])) as LossOptions,
        };

    /// <summary>The loss on an example: its input kind, the target rows when the family takes them, else the labels.</summary>
    private static LossResult? Example<TOptions>(FamilyKernel<TOptions> kernel, TOptions options, LossInput input, LossExample example, double[] gradient)
    {
        double[] x = input switch
        {
            LossInput.Logits => example.Logits,
            LossInput.Probabilities => example.Probabilities,
            _ => example.LogProbabilities,
        };
        if (kernel.TakesRows)
        {
            return kernel.Rows<double>(x, example.Targets, example.Classes, options, gradient, default);
        }

        return example.Labels is { } labels ? kernel.Labels<double>(x, labels, example.Classes, options, gradient, default) : null;
    }

    private static FenchelYoungRegularizer Regularizer(Spec s) => (s.Get("regularizer") ?? "softmax").ToLowerInvariant() switch
    {
        "softmax" => FenchelYoungRegularizer.Softmax,
        "sparsemax" => FenchelYoungRegularizer.Sparsemax,
        "entmax15" or "entmax" => FenchelYoungRegularizer.Entmax15,
        var v => throw new ArgumentException($"'{s.Text}': regularizer '{v}' is not softmax, sparsemax or entmax15."),
    };

    private static ZLossOptions ZOptions(Spec s, LossContext c) =>
        new() { Coefficient = s.Double("z", 1e-4), MaxDegreeOfParallelism = c.Compute.Threads };

    private static SoftmaxCrossEntropyOptions CeOptions(Spec s, LossContext c) => new()
    {
        LabelSmoothing = s.Double("smoothing", 0),
        Temperature = s.Double("temperature", 1),
        MaxDegreeOfParallelism = c.Compute.Threads,
    };

    private static double[] ClassBalanced(Spec s, LossContext c) =>
        ClassBalancedWeights.Compute([.. Counts(s, c, "class-balanced weights")], s.Double("beta", 0.999));

    /// <summary><c>balanced</c> (<see cref="InverseFrequencyWeights"/>), or K numbers separated by <c>;</c> or <c>/</c>.</summary>
    private static double[] Weights(Spec s, LossContext c)
    {
        string v = s.Get("weights") ?? "balanced";
        if (v.Equals("balanced", StringComparison.OrdinalIgnoreCase))
        {
            return InverseFrequencyWeights.Compute(Counts(s, c, "weights=balanced"));
        }

        var parts = v.Split([';', '/'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != c.Classes)
        {
            throw new ArgumentException($"'{s.Text}': {parts.Length} weights for {c.Classes} classes (use weights=balanced or K values separated by ';').");
        }

        var weights = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]) || !(weights[i] >= 0) || double.IsInfinity(weights[i]))
            {
                throw new ArgumentException($"'{s.Text}': weight {i} ('{parts[i]}') is not a finite number >= 0.");
            }
        }

        return weights;
    }

    private static IReadOnlyList<int> Counts(Spec s, LossContext c, string what) =>
        c.ClassCounts is { } counts && counts.Count == c.Classes
            ? counts
            : throw new ArgumentException($"'{s.Text}': {what} need the class counts of the training data.");

    // ---- the families' kernels: method groups of their public Evaluate, for float and for double ----

    private static FamilyKernel<TOptions> Both<TOptions>(KernelOf<float, int, TOptions> labelsFloat, KernelOf<double, int, TOptions> labelsDouble,
        KernelOf<float, float, TOptions> rowsFloat, KernelOf<double, double, TOptions> rowsDouble) =>
        new(labelsFloat, labelsDouble, rowsFloat, rowsDouble);

    private static FamilyKernel<TOptions> LabelsOnly<TOptions>(KernelOf<float, int, TOptions> labelsFloat, KernelOf<double, int, TOptions> labelsDouble) =>
        new(labelsFloat, labelsDouble, null, null);

    private static FamilyKernel<TOptions> RowsOnly<TOptions>(KernelOf<float, float, TOptions> rowsFloat, KernelOf<double, double, TOptions> rowsDouble) =>
        new(null, null, rowsFloat, rowsDouble);

    /// <summary>The <c>ce+z</c> composition: the cross-entropy, then the z-loss added into its gradient and value (row
    /// losses are the CE's).</summary>
    private static LossResult WithZ<T>(LossResult main, ReadOnlySpan<T> input, int classes, ZLossOptions z, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var extra = ZLoss.AddTo(input, classes, z, g, default);
        return main with { Value = main.Value + extra.Value, Sum = main.Sum + extra.Sum };
    }

    private static LossResult CrossEntropyWithZ<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> y, int k, CrossEntropyWithZLossOptions? o, Span<T> g, Span<T> r,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T> => Unweighted(sampleWeights, gradOutput, WithZ(SoftmaxCrossEntropy.Evaluate(x, y, k, o!.CrossEntropy, g, r), x, k, o.Z, g));

    private static LossResult CrossEntropyWithZ<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, int k, CrossEntropyWithZLossOptions? o, Span<T> g, Span<T> r,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T> => Unweighted(sampleWeights, gradOutput, WithZ(SoftmaxCrossEntropy.Evaluate(x, t, k, o!.CrossEntropy, g, r), x, k, o.Z, g));

    private static LossResult ZLossOf<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> unused, int k, ZLossOptions? o, Span<T> g, Span<T> r,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T> => ZLoss.Evaluate(x, k, o, g, r, sampleWeights, gradOutput);

    private static LossResult EntropyOf<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> unused, int k, SoftmaxEntropyOptions? o, Span<T> g, Span<T> r,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T> => SoftmaxEntropy.Evaluate(x, k, o, g, r, sampleWeights, gradOutput);

    private static LossResult KappaOf<T>(ReadOnlySpan<T> p, ReadOnlySpan<int> y, int k, WeightedKappaOptions? o, Span<T> g, Span<T> r,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T> => gradOutput.IsEmpty
            ? WeightedKappa.Evaluate(p, y, k, o, g, default, sampleWeights)
            : throw new NotSupportedException("The weighted kappa loss is a batch statistic: it has no per-row losses, so no upstream gradient of them.");

    /// <summary>The catalogue's composition ce+z takes no sample weights or upstream gradient
    /// yet; the catalogue never passes them, and a caller that did would get an error, not a silently unweighted loss.</summary>
    private static LossResult Unweighted<T>(ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput, LossResult result) =>
        sampleWeights.IsEmpty && gradOutput.IsEmpty ? result : throw new NotSupportedException("This catalogue entry takes no sample weights or upstream gradient.");
}
