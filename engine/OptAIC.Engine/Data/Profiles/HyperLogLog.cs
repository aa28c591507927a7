using System.Numerics;

namespace OptAIC.Engine.Data.Profiles;

/// <summary>
/// A HyperLogLog distinct-count sketch (Flajolet et al. 2007) with 2^14 registers (16 KB, a standard error
/// of about 0.8%), the small-range correction by linear counting, and 64-bit hashes (no large-range
/// correction needed). Mergeable: the register-wise maximum of two sketches is the sketch of the union.
/// </summary>
public sealed class HyperLogLog
{
    public const int Precision = 14;
    private const int RegisterCount = 1 << Precision;
    private readonly byte[] _registers = new byte[RegisterCount];

    /// <summary>Adds a number; -0 and 0 count as one value, and every NaN is skipped by the caller.</summary>
    public void Add(double value) => AddHash(Mix(BitConverter.DoubleToInt64Bits(value == 0 ? 0d : value)));

    public void AddHash(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rest = (hash << Precision) | (1UL << (Precision - 1)); // a sentinel bit caps the rank
        var rank = (byte)(BitOperations.LeadingZeroCount(rest) + 1);
        if (rank > _registers[index])
        {
            _registers[index] = rank;
        }
    }

    public void Merge(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < RegisterCount; i++)
        {
            _registers[i] = Math.Max(_registers[i], other._registers[i]);
        }
    }

    public long Estimate()
    {
        var sum = 0d;
        var zeros = 0;
        foreach (var register in _registers)
        {
            sum += Math.ScaleB(1d, -register);
            if (register == 0)
            {
                zeros++;
            }
        }
        const double m = RegisterCount;
        var alpha = 0.7213 / (1 + 1.079 / m);
        var raw = alpha * m * m / sum;
        var estimate = raw <= 2.5 * m && zeros > 0 ? m * Math.Log(m / zeros) : raw;
        return (long)Math.Round(estimate);
    }

    /// <summary>The 64-bit finalizer of MurmurHash3: every input bit reaches every output bit.</summary>
    public static ulong Mix(long bits)
    {
        var x = unchecked((ulong)bits);
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }
}
