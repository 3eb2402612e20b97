namespace ClassLoss.Training.Optimizers;

/// <summary>A first-order optimiser over a flat parameter buffer, with state that can be saved and restored exactly.</summary>
public interface IOptimizer
{
    /// <summary>The specification that recreates it, e.g. <c>sgd:lr=0.1,momentum=0.9</c>.</summary>
    string Name { get; }

    /// <summary>The base learning rate (schedules scale it).</summary>
    double LearningRate { get; }

    /// <summary>One update of <paramref name="parameters"/> with <paramref name="gradients"/> at learning rate <paramref name="lr"/>.</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients, double lr);

    /// <summary>Writes the optimiser state (step count, moment buffers).</summary>
    void Save(BinaryWriter writer);

    /// <summary>Restores the state written by <see cref="Save"/>.</summary>
    void Load(BinaryReader reader);
}
