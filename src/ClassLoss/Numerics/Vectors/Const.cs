namespace ClassLoss.Numerics;

/// <summary>
/// A compile-time constant: a kernel generic over <c>T : IConst</c> is compiled by the JIT once per value, with
/// <see cref="Value"/> (and <see cref="On"/>) folded, so a switch costs nothing inside the loop. The one family of such
/// types in the project: flags (<see cref="No"/>, <see cref="Yes"/>), the focal loss's γ cases and the GEMM's tile
/// sizes (<see cref="C1"/> .. <see cref="C8"/>). <see cref="Specialize"/> turns run-time values into these types.
/// </summary>
internal interface IConst
{
    /// <summary>The value.</summary>
    static abstract int Value { get; }

    /// <summary><c>Value != 0</c>: the value read as a flag.</summary>
    static abstract bool On { get; }
}

/// <summary>0, or a flag that is off.</summary>
internal readonly struct No : IConst
{
    public static int Value => 0;

    public static bool On => false;
}

/// <summary>1, or a flag that is on.</summary>
internal readonly struct Yes : IConst
{
    public static int Value => 1;

    public static bool On => true;
}

/// <summary>1 (as a size).</summary>
internal readonly struct C1 : IConst
{
    public static int Value => 1;

    public static bool On => true;
}

/// <summary>2.</summary>
internal readonly struct C2 : IConst
{
    public static int Value => 2;

    public static bool On => true;
}

/// <summary>3.</summary>
internal readonly struct C3 : IConst
{
    public static int Value => 3;

    public static bool On => true;
}

/// <summary>4.</summary>
internal readonly struct C4 : IConst
{
    public static int Value => 4;

    public static bool On => true;
}

/// <summary>5.</summary>
internal readonly struct C5 : IConst
{
    public static int Value => 5;

    public static bool On => true;
}

/// <summary>6.</summary>
internal readonly struct C6 : IConst
{
    public static int Value => 6;

    public static bool On => true;
}

/// <summary>7.</summary>
internal readonly struct C7 : IConst
{
    public static int Value => 7;

    public static bool On => true;
}

/// <summary>8.</summary>
internal readonly struct C8 : IConst
{
    public static int Value => 8;

    public static bool On => true;
}
