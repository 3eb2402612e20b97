using System.Globalization;
using System.Runtime.InteropServices;

namespace ClassLoss.Tests.TestUtilities;

/// <summary>Which end of a <see cref="BoundedBuffer{T}"/> span touches the inaccessible guard page.</summary>
public enum GuardSide
{
    /// <summary>The span's last element is the last one before the guard page: reading or writing element
    /// <c>Length</c> faults.</summary>
    After,

    /// <summary>The span's first element is the first one after the guard page: reading or writing element
    /// <c>-1</c> faults.</summary>
    Before,
}

/// <summary>
/// Memory whose every access outside a span is fatal: an anonymous <c>mmap</c> mapping with one page turned
/// <c>PROT_NONE</c> by <c>mprotect</c> right after (or right before) the span, so that a kernel reading or writing one
/// element past its span takes a segmentation fault, which kills the test host and fails the run (the managed runtime
/// cannot turn it into an exception). Linux only (<see cref="IsSupported"/>); the tests skip elsewhere.
/// </summary>
/// <remarks>
/// One mapping holds one buffer of up to <c>capacity</c> elements and is reused for any shorter span (the span is
/// moved so that it still touches the guard), so a test maps a few buffers once and unmaps them when disposed. The
/// part of the mapping the span does not use is filled with <see cref="Poison"/>, so a read just past the far
/// (unguarded) end of a span brings in NaNs that a comparison with a run on managed arrays would notice.
/// </remarks>
public static partial class BoundedMemory
{
    /// <summary>The bits of the NaN that fills unused memory and outputs before a call (a quiet NaN no kernel produces).</summary>
    public const uint PoisonBits = 0x7FC0DEAD;

    /// <summary>The float with <see cref="PoisonBits"/>.</summary>
    public static float Poison => BitConverter.UInt32BitsToSingle(PoisonBits);

    /// <summary>Why guard-page tests are skipped here, or null when they run.</summary>
    public static string? SkipReason =>
        !OperatingSystem.IsLinux() ? "guard pages use mmap/mprotect from libc; this runs only on Linux"
        : !Environment.Is64BitProcess ? "the libc declarations assume a 64-bit process"
        : null;

    /// <summary>True when guard pages can be made here (64-bit Linux).</summary>
    public static bool IsSupported => SkipReason is null;

    internal const int ProtNone = 0;
    internal const int ProtReadWrite = 1 | 2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;

    internal static nint Map(nuint bytes)
    {
        nint p = Mmap(0, bytes, ProtReadWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == -1)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"mmap of {bytes} bytes failed (errno {Marshal.GetLastPInvokeError()})."));
        }

        return p;
    }

    internal static void Protect(nint address, nuint bytes, int protection)
    {
        if (Mprotect(address, bytes, protection) != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"mprotect failed (errno {Marshal.GetLastPInvokeError()})."));
        }
    }

    internal static void Unmap(nint address, nuint bytes) => _ = Munmap(address, bytes);

    /// <summary>The permissions (e.g. <c>rw-p</c>, <c>---p</c>) of the mapping that holds <paramref name="address"/>, read
    /// from <c>/proc/self/maps</c>, or null when no mapping holds it.</summary>
    public static string? PermissionsAt(nint address)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            // "7fa5c9ee1000-7fa5c9ee2000 rw-p 00000000 00:00 0"
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            ulong lo = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong hi = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if ((ulong)address >= lo && (ulong)address < hi)
            {
                return line.Substring(space + 1, 4);
            }
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}

/// <summary>
/// A reusable buffer of up to <see cref="Capacity"/> elements of <typeparamref name="T"/> with an inaccessible page on
/// one side (see <see cref="BoundedMemory"/>). <see cref="Span(int)"/> hands out a span that touches that page.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class BoundedBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly nint _mapping;
    private readonly nuint _mappingBytes;
    private readonly byte* _dataStart;
    private readonly byte* _dataEnd;
    private byte* _usedStart;
    private byte* _usedEnd;
    private bool _disposed;

    /// <summary>Maps room for <paramref name="capacity"/> elements and a guard page on <paramref name="side"/>.</summary>
    /// <param name="capacity">The most elements a span may have.</param>
    /// <param name="side">Where the guard page is.</param>
    public BoundedBuffer(int capacity, GuardSide side)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (!BoundedMemory.IsSupported)
        {
            throw new PlatformNotSupportedException(BoundedMemory.SkipReason);
        }

        Capacity = capacity;
        Side = side;
        nuint page = (nuint)Environment.SystemPageSize;
        nuint dataBytes = Math.Max(page, ((nuint)(capacity * sizeof(T)) + page - 1) / page * page);
        _mappingBytes = dataBytes + page;
        _mapping = BoundedMemory.Map(_mappingBytes);
        nint guard = side == GuardSide.After ? _mapping + (nint)dataBytes : _mapping;
        BoundedMemory.Protect(guard, page, BoundedMemory.ProtNone);
        GuardPage = guard;
        _dataStart = (byte*)(side == GuardSide.After ? _mapping : _mapping + (nint)page);
        _dataEnd = _dataStart + dataBytes;
        PoisonBytes(_dataStart, _dataEnd);
        _usedStart = _usedEnd = _dataStart;
    }

    /// <summary>The most elements a span may have.</summary>
    public int Capacity { get; }

    /// <summary>Which end of the spans touches the guard page.</summary>
    public GuardSide Side { get; }

    /// <summary>The first byte of the inaccessible page.</summary>
    public nint GuardPage { get; }

    /// <summary>
    /// A span of <paramref name="length"/> elements that ends at the guard page (<see cref="GuardSide.After"/>) or
    /// starts right after it (<see cref="GuardSide.Before"/>). Everything outside it in the mapping holds poison;
    /// the span's own contents are unspecified (callers fill it).
    /// </summary>
    /// <param name="length">0 to <see cref="Capacity"/>.</param>
    public Span<T> Span(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long bytes = (long)length * sizeof(T);
        byte* start = Side == GuardSide.After ? _dataEnd - bytes : _dataStart;

        // Only the previous span can hold anything but poison (the mapping was poisoned when made), so re-poisoning
        // it keeps everything outside the new span poisoned at the cost of the previous length, not the capacity.
        PoisonBytes(_usedStart, _usedEnd);
        _usedStart = start;
        _usedEnd = start + bytes;
        return new Span<T>(start, length);
    }

    /// <summary>As <see cref="Span(int)"/>, filled with a copy of <paramref name="values"/>.</summary>
    /// <param name="values">The contents.</param>
    public Span<T> Copy(ReadOnlySpan<T> values)
    {
        Span<T> span = Span(values.Length);
        values.CopyTo(span);
        return span;
    }

    /// <summary>Unmaps the memory; spans handed out must not be used afterwards.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            BoundedMemory.Unmap(_mapping, _mappingBytes);
        }
    }

    private static void PoisonBytes(byte* from, byte* to)
    {
        // Whole poison floats where they fit, the odd bytes (a span of an element size that is not a multiple of 4)
        // as 0xFF, which is NaN-like for any float that straddles them.
        while (from < to && ((nint)from & 3) != 0)
        {
            *from++ = 0xFF;
        }

        for (; from + 4 <= to; from += 4)
        {
            *(uint*)from = BoundedMemory.PoisonBits;
        }

        while (from < to)
        {
            *from++ = 0xFF;
        }
    }
}

/// <summary>A fact that needs guard pages: skipped, with the reason, where <see cref="BoundedMemory"/> cannot make them.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GuardPageFactAttribute : FactAttribute
{
    /// <summary>Skips the test where guard pages are not available.</summary>
    public GuardPageFactAttribute()
    {
        if (BoundedMemory.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs guard pages: skipped, with the reason, where <see cref="BoundedMemory"/> cannot make them.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class GuardPageTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips the test where guard pages are not available.</summary>
    public GuardPageTheoryAttribute()
    {
        if (BoundedMemory.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
