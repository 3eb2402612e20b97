namespace ClassLoss.Tests.Fuzz;

/// <summary>
/// Predicates for the bugs in src/ that the fuzz properties found, so that each test leaves out exactly the affected
/// cases (every use carries a <c>// KNOWN BUG:</c> comment); remove a predicate's uses when its bug is fixed.
/// </summary>
internal static class KnownBugs
{
    /// <summary>Element-wise or of row flags.</summary>
    public static bool[] Or(bool[] a, bool[] b)
    {
        for (int i = 0; i < a.Length && i < b.Length; i++)
        {
            a[i] |= b[i];
        }

        return a;
    }
}
