using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The guard-page utility itself: the span handed out touches a page the kernel maps with no access at all (so an
/// access one element outside it faults), the span itself is read-write, and the unused rest of the mapping holds
/// poison. (The fault itself cannot be shown in-process: it kills the test host, which is the point.)
/// </summary>
public unsafe class BoundedMemoryTests
{
    [GuardPageTheory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1024)] // exactly one page of floats
    [InlineData(1025)]
    [InlineData(3300)]
    public void BoundedBuffer_PutsANoAccessPageRightAfterTheSpan(int length)
    {
        using var buffer = new BoundedBuffer<float>(3300, GuardSide.After);
        Span<float> span = buffer.Span(length);
        fixed (float* p = span)
        {
            Assert.Equal(buffer.GuardPage, (nint)(p + length));
            Assert.Equal("---p", BoundedMemory.PermissionsAt(buffer.GuardPage));
            Assert.Equal("rw-p", BoundedMemory.PermissionsAt((nint)(p + length - 1)));
            Assert.Equal("rw-p", BoundedMemory.PermissionsAt((nint)p));
            if (length < 3300)
            {
                Assert.Equal(BoundedMemory.PoisonBits, BitConverter.SingleToUInt32Bits(p[-1]));
            }
        }

        span.Fill(1f); // writable to the last element
        Assert.Equal(1f, span[^1]);
    }

    [GuardPageTheory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1025)]
    public void BoundedBuffer_PutsANoAccessPageRightBeforeTheSpan(int length)
    {
        using var buffer = new BoundedBuffer<int>(2000, GuardSide.Before);
        Span<int> span = buffer.Span(length);
        fixed (int* p = span)
        {
            Assert.Equal(buffer.GuardPage + Environment.SystemPageSize, (nint)p);
            Assert.Equal("---p", BoundedMemory.PermissionsAt((nint)p - 1));
            Assert.Equal("rw-p", BoundedMemory.PermissionsAt((nint)p));
            Assert.Equal(unchecked((int)BoundedMemory.PoisonBits), p[length]);
        }

        span.Fill(7);
        Assert.Equal(7, span[0]);
    }
}
