
namespace ClassLoss.TorchSharp;

/// <summary>
/// A ClassLoss loss as a TorchSharp loss module: it derives from TorchSharp's <c>WeightedLoss&lt;Tensor, Tensor, Tensor&gt;</c>
/// (so from <c>Loss&lt;Tensor, Tensor, Tensor&gt;</c> and <c>nn.Module&lt;Tensor, Tensor, Tensor&gt;</c>), as
/// <c>torch.nn.CrossEntropyLoss</c> and TorchSharp's other losses do, and can stand wherever one of them stands:
/// <c>loss.call(input, target)</c> returns the loss tensor, differentiable through autograd. Made by the factories of
/// <see cref="TorchLosses"/> (<see cref="TorchLosses.CrossEntropyLoss"/>, <see cref="TorchLosses.SoftmaxFocalLoss"/>, ...).
/// </summary>
/// <typeparam name="TOptions">The core loss's options type.</typeparam>
/// <remarks>
/// <c>reduction</c> is the options' reduction in TorchSharp's terms (<see cref="Reduction.BatchMean"/>, which TorchSharp
/// lacks, reads as <c>Mean</c>: <see cref="Options"/> holds the real one); <c>weight</c> is the options' class weights as a
/// float64 tensor, or null.
/// </remarks>
public sealed class ClassLossModule<TOptions> : global::TorchSharp.WeightedLoss<Tensor, Tensor, Tensor>
    where TOptions : LossOptions
{
    private readonly Func<Tensor, Tensor, TOptions, Tensor> _loss;

    internal ClassLossModule(TOptions options, Func<Tensor, Tensor, TOptions, Tensor> loss)
        : base(WeightTensor(options), ToTorch(options.Reduction))
    {
        Options = options;
        _loss = loss;
    }

    /// <summary>The core loss's options this module computes with (reduction, class weights, ignore index, ...).</summary>
    public TOptions Options { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    /// <param name="input">[..., K] logits, probabilities or scores, as the loss takes.</param>
    /// <param name="target">Class indices (int64) of the input's leading shape, or target rows of the input's shape.</param>
    public override Tensor forward(Tensor input, Tensor target) => _loss(input, target, Options);

    /// <summary>The class weights as a float64 tensor kept outside any dispose scope (the module owns it), or null.</summary>
    private static Tensor? WeightTensor(TOptions options) =>
        options.ClassWeights is null ? null : global::TorchSharp.torch.tensor([.. options.ClassWeights], dtype: ScalarType.Float64).DetachFromDisposeScope();

    internal static nn.Reduction ToTorch(Reduction reduction) => reduction switch
    {
        Reduction.None => nn.Reduction.None,
        Reduction.Sum => nn.Reduction.Sum,
        _ => nn.Reduction.Mean,
    };
}
