namespace ClassLoss.Training.Models;

/// <summary>The hidden-layer nonlinearity of an <see cref="Mlp"/>.</summary>
public enum Activation
{
    /// <summary>max(0, x); weights get He (Kaiming) normal initialisation.</summary>
    Relu,

    /// <summary>tanh(x); weights get Xavier (Glorot) uniform initialisation.</summary>
    Tanh,
}
