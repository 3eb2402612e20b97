using ClassLoss.Losses.Kernels;

namespace ClassLoss.Losses;

/// <summary>
/// A kernel of a loss of the input alone (the entropies): its <c>[Evaluate]</c> entry points (ClassLoss.Generators) take
/// no targets, <c>Evaluate&lt;T&gt;(input, classes, options, gradient, losses, sampleWeights, gradOutput)</c> over
/// <c>Batch.NoTargets</c>, and a tensor twin over <c>TensorArguments.NoTargets</c>.
/// </summary>
internal interface INoTargetsKernel<T, TOptions> : ILossKernel<T, T, TOptions>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOptions : LossOptions;
