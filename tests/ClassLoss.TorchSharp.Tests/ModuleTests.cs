using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchReduction = TorchSharp.torch.nn.Reduction;

namespace ClassLoss.TorchSharp.Tests;

/// <summary>
/// The loss modules (issue 12): TorchSharp's <c>Loss&lt;…&gt;</c> shape with a reduction, made by factories in the style of
/// <c>torch.nn.CrossEntropyLoss(...)</c>; they stand where TorchSharp's own loss modules stand, give the functions'
/// values, and train a model with a TorchSharp optimiser.
/// </summary>
[Collection("torch")]
public sealed class ModuleTests
{
    [Fact]
    public void EveryFactory_ReturnsATorchSharpWeightedLoss_WithTheOptionsReduction()
    {
        var w = torch.tensor(new double[] { 1, 2, 3 });
        global::TorchSharp.Loss<Tensor, Tensor, Tensor> loss = torch.nn.CrossEntropyLoss();
        loss = TorchLosses.CrossEntropyLoss(w, ignore_index: 1, reduction: TorchReduction.Sum, label_smoothing: 0.1);
        Assert.Equal(TorchReduction.Sum, loss.reduction);
        var ce = Assert.IsType<ClassLossModule<SoftmaxCrossEntropyOptions>>(loss);
        Assert.Equal([1.0, 2, 3], ce.weight!.data<double>().ToArray());
        Assert.Equal(1, ce.Options.IgnoreIndex);
        Assert.Equal(0.1, ce.Options.LabelSmoothing);
        global::TorchSharp.WeightedLoss<Tensor, Tensor, Tensor>[] all =
        [
            TorchLosses.SoftmaxCrossEntropyLoss(), TorchLosses.SoftmaxCrossEntropyWithZLoss(), TorchLosses.SoftmaxFocalLoss(),
            TorchLosses.SoftmaxPoly1Loss(), TorchLosses.NLLLoss(), TorchLosses.NegativeLogLikelihoodLoss(), TorchLosses.MultiMarginLoss(),
            TorchLosses.MultiMarginHingeLoss(), TorchLosses.SparsemaxLoss(), TorchLosses.BCEWithLogitsLoss(), TorchLosses.SigmoidBinaryCrossEntropyLoss(),
            TorchLosses.SigmoidFocalLoss(), TorchLosses.KLDivLoss(), TorchLosses.KlDivergenceLoss(), TorchLosses.SoftmaxBrierScoreLoss(),
            TorchLosses.SigmoidAsymmetricFocalLoss(), TorchLosses.FenchelYoungLoss(), TorchLosses.WeightedKappaLoss(),
            TorchLosses.CrammerSingerHingeLoss(), TorchLosses.CategoricalHingeLoss(), TorchLosses.MultiLabelSoftMarginLoss(),
            TorchLosses.MultiLabelSoftMarginLoss(new MultiLabelSoftMarginOptions()), TorchLosses.MultiLabelMarginLoss(), TorchLosses.GaussianNllLoss(),
            TorchLosses.EntropyLoss(), TorchLosses.SoftmaxEntropyLoss(), TorchLosses.CrossEntropyFromProbabilitiesLoss(), TorchLosses.BCELoss(),
            TorchLosses.BinaryCrossEntropyFromProbabilitiesLoss(), TorchLosses.BrierScoreFromProbabilitiesLoss(), TorchLosses.FocalFromProbabilitiesLoss(),
            TorchLosses.BinaryFocalFromProbabilitiesLoss(),
        ];
        Assert.All(all, m => Assert.Equal(TorchReduction.Mean, m.reduction));
        Assert.Equal(TorchReduction.None, TorchLosses.SigmoidFocalLoss(new SigmoidFocalOptions { Reduction = Reduction.None }).reduction);
        Assert.Equal(TorchReduction.Mean, TorchLosses.KlDivergenceLoss(new KlDivergenceOptions { Reduction = Reduction.BatchMean }).reduction);
        Assert.Equal(Reduction.BatchMean, TorchLosses.KlDivergenceLoss(new KlDivergenceOptions { Reduction = Reduction.BatchMean }).Options.Reduction);
        Assert.Equal([1.0, 2, 3], TorchLosses.MultiLabelSoftMarginLoss(w, TorchReduction.Sum).weight!.data<double>().ToArray());
        Assert.Equal(TorchReduction.None, TorchLosses.BCELoss(reduction: TorchReduction.None).reduction);
    }

    [Fact]
    public void TheTargetFreeModules_IgnoreTheTarget_AndTheGaussianModuleUsesTheSharedVariance()
    {
        var x = Probe.Randn(21, 9, 4);
        var p = torch.softmax(x, 1);
        var anything = Probe.Labels(21, 9, 4);
        Probe.Same(Probe.Run(x, v => TorchLosses.softmax_entropy(v)), Probe.Run(x, v => TorchLosses.SoftmaxEntropyLoss().call(v, anything)), 0);
        Probe.Same(Probe.Run(p, v => TorchLosses.entropy(v)), Probe.Run(p, v => TorchLosses.EntropyLoss().call(v, anything)), 0);
        var t = Probe.Randn(22, 9, 4);
        var o = new GaussianNegativeLogLikelihoodOptions { SharedVariance = 0.5 };
        Probe.Same(Probe.Run(x, v => TorchLosses.gaussian_nll(v, t, torch.full([9, 4], 0.5, dtype: ScalarType.Float64), o)),
            Probe.Run(x, v => TorchLosses.GaussianNllLoss(o).call(v, t)), 1e-15);
    }

    [Theory]
    [InlineData(TorchReduction.Mean)]
    [InlineData(TorchReduction.Sum)]
    [InlineData(TorchReduction.None)]
    public void TheTorchStyleFactories_MatchTorchSharpsOwnModules(TorchReduction reduction)
    {
        var x = Probe.Randn(1, 19, 6);
        var y = Probe.Labels(1, 19, 6);
        y[2] = torch.tensor(4L); // a valid class to ignore below
        var w = torch.tensor(new double[] { 0.5, 1, 2, 1.5, 1, 0.75 });
        var up = Probe.Randn(2, 19, 1).reshape(19);
        var upstream = reduction == TorchReduction.None ? up : null;
        Probe.Same(Probe.Run(x, v => torch.nn.CrossEntropyLoss(w, ignore_index: 4, reduction: reduction).call(v, y), upstream),
            Probe.Run(x, v => TorchLosses.CrossEntropyLoss(w, ignore_index: 4, reduction: reduction).call(v, y), upstream), 1e-12, "CrossEntropyLoss");
        var lp = F.log_softmax(x, 1);
        Probe.Same(Probe.Run(lp, v => torch.nn.NLLLoss(w, reduction).call(v, y), upstream),
            Probe.Run(lp, v => TorchLosses.NLLLoss(w, reduction).call(v, y), upstream), 1e-12, "NLLLoss");
        Probe.Same(Probe.Run(x, v => torch.nn.MultiMarginLoss(2, 0.7, w, reduction).call(v, y), upstream),
            Probe.Run(x, v => TorchLosses.MultiMarginLoss(2, 0.7, w, reduction).call(v, y), upstream), 1e-12, "MultiMarginLoss");
        var t = Probe.Bernoulli(3, 19, 6);
        var pw = torch.tensor(new double[] { 2, 1, 0.5, 3, 1, 1 });
        // TorchSharp's BCE module reduces 'none' element-wise; ours gives row sums: compare through the row sums.
        Func<Tensor, Tensor> rows = reduction == TorchReduction.None ? l => l.sum(1) : l => l;
        Probe.Same(Probe.Run(x, v => rows(torch.nn.BCEWithLogitsLoss(w, reduction, pw).call(v, t)), upstream),
            Probe.Run(x, v => TorchLosses.BCEWithLogitsLoss(w, reduction, pw).call(v, t), upstream), 1e-12, "BCEWithLogitsLoss");
        var p = Probe.Probabilities(4, 19, 6);
        Probe.Same(Probe.Run(lp, v => rows(torch.nn.KLDivLoss(log_target: false, reduction).call(v, p)), upstream),
            Probe.Run(lp, v => TorchLosses.KLDivLoss(log_target: false, reduction).call(v, p), upstream), 1e-12, "KLDivLoss");
    }

    public static TheoryData<string> Trainable() =>
    [
        "CrossEntropyLoss", "SoftmaxCrossEntropyWithZLoss", "SoftmaxFocalLoss", "SoftmaxPoly1Loss", "MultiMarginLoss", "SparsemaxLoss",
        "SoftmaxBrierScoreLoss", "FenchelYoungLoss entmax", "BCEWithLogitsLoss", "SigmoidFocalLoss", "SigmoidAsymmetricFocalLoss",
        "CrammerSingerHingeLoss", "MultiLabelSoftMarginLoss",
    ];

    private static nn.Module<Tensor, Tensor, Tensor> Factory(string name) => name switch
    {
        "CrossEntropyLoss" => TorchLosses.CrossEntropyLoss(label_smoothing: 0.05),
        "SoftmaxCrossEntropyWithZLoss" => TorchLosses.SoftmaxCrossEntropyWithZLoss(coefficient: 1e-3),
        "SoftmaxFocalLoss" => TorchLosses.SoftmaxFocalLoss(new SoftmaxFocalOptions { Alpha = 1 }),
        "SoftmaxPoly1Loss" => TorchLosses.SoftmaxPoly1Loss(),
        "MultiMarginLoss" => TorchLosses.MultiMarginLoss(),
        "SparsemaxLoss" => TorchLosses.SparsemaxLoss(),
        "SoftmaxBrierScoreLoss" => TorchLosses.SoftmaxBrierScoreLoss(),
        "FenchelYoungLoss entmax" => TorchLosses.FenchelYoungLoss(new FenchelYoungOptions { Regularizer = FenchelYoungRegularizer.Entmax15 }),
        "BCEWithLogitsLoss" => TorchLosses.BCEWithLogitsLoss(),
        "SigmoidFocalLoss" => TorchLosses.SigmoidFocalLoss(),
        "SigmoidAsymmetricFocalLoss" => TorchLosses.SigmoidAsymmetricFocalLoss(),
        "CrammerSingerHingeLoss" => TorchLosses.CrammerSingerHingeLoss(),
        "MultiLabelSoftMarginLoss" => TorchLosses.MultiLabelSoftMarginLoss(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Trainable))]
    public void AModule_TrainsAnMlpWithAdam_ToFitSeparableClasses(string name)
    {
        // Four Gaussian blobs in 2-D, an MLP, TorchSharp's Adam and our module, 60 full-batch steps: the training accuracy
        // must end well above chance (0.25) and the loss must fall.
        torch.manual_seed(3);
        var g = new torch.Generator(11);
        long n = 200, k = 4;
        var labels = torch.randint(k, [n], generator: g, dtype: ScalarType.Int64);
        var centres = torch.tensor(new float[] { 2, 2, -2, 2, -2, -2, 2, -2 }, [k, 2]);
        var features = centres.index_select(0, labels) + (0.5f * torch.randn([n, 2], generator: g));
        bool multiLabel = name is "BCEWithLogitsLoss" or "SigmoidFocalLoss" or "SigmoidAsymmetricFocalLoss" or "MultiLabelSoftMarginLoss";
        var target = multiLabel ? F.one_hot(labels, k).to(ScalarType.Float32) : labels;
        var model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, k));
        var loss = Factory(name);
        var optimizer = torch.optim.Adam(model.parameters(), 0.05);
        double first = double.NaN, last = double.NaN;
        for (int step = 0; step < 60; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var l = loss.call(model.call(features), target);
            l.backward();
            optimizer.step();
            last = l.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        using var noGrad = torch.no_grad();
        var predicted = model.call(features).argmax(1);
        double accuracy = predicted.eq(labels).to(ScalarType.Float64).mean().item<double>();
        Assert.True(last < first, $"{name}: loss {first} -> {last}");
        Assert.True(accuracy > 0.9, $"{name}: training accuracy {accuracy}");
    }
}
