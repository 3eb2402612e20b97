namespace ClassLoss.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum μ, optional Nesterov momentum and L2 weight decay λ, as PyTorch's
/// <c>torch.optim.SGD</c> (dampening 0): <c>g ← g + λθ; v ← μv + g; d = nesterov ? g + μv : v; θ ← θ − lr·d</c>.
/// </summary>
public sealed class Sgd(int size, double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0) : IOptimizer
{
    private readonly float[] _velocity = new float[size];

    /// <inheritdoc/>
    public string Name => $"sgd:lr={learningRate:R},momentum={momentum:R},nesterov={nesterov},wd={weightDecay:R}".ToLowerInvariant();

    /// <inheritdoc/>
    public double LearningRate => learningRate;

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, double lr)
    {
        float mu = (float)momentum;
        float wd = (float)weightDecay;
        float a = (float)lr;
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradients[i] + (wd * parameters[i]);
            if (momentum != 0)
            {
                float v = (mu * _velocity[i]) + g;
                _velocity[i] = v;
                g = nesterov ? g + (mu * v) : v;
            }

            parameters[i] -= a * g;
        }
    }

    /// <inheritdoc/>
    public void Save(BinaryWriter writer) => OptimizerState.Write(writer, 0, _velocity);

    /// <inheritdoc/>
    public void Load(BinaryReader reader) => OptimizerState.Read(reader, out _, _velocity);
}
