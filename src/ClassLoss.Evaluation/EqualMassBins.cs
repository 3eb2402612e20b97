namespace ClassLoss.Evaluation;

/// <summary>
/// The non-empty equal-mass bins of <c>n</c> sorted rows, as the equal-mass ECE and the ACE take them: bin b of B
/// holds the rows <c>[b n / B, (b + 1) n / B)</c>. A struct enumerable (<c>foreach (var (lo, hi) in ...)</c>) that
/// allocates nothing.
/// </summary>
internal readonly struct EqualMassBins(int n, int bins)
{
    public Enumerator GetEnumerator() => new(n, bins);

    internal struct Enumerator(int n, int bins)
    {
        private int _bin = -1;

        public (int Lo, int Hi) Current { get; private set; }

        public bool MoveNext()
        {
            while (++_bin < bins)
            {
                int lo = (int)((long)_bin * n / bins), hi = (int)((long)(_bin + 1) * n / bins);
                if (hi > lo)
                {
                    Current = (lo, hi);
                    return true;
                }
            }

            return false;
        }
    }
}
