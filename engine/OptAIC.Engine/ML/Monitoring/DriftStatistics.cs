namespace OptAIC.Engine.ML.Monitoring;

/// <summary>
/// Drift statistics between a reference sample (the training data) and a current sample. Numerical
/// statistics take samples already sorted ascending, without NaN (see <see cref="SortedFinite"/>), so a
/// column is sorted once and every statistic is a linear pass or a binary search over it.
/// Each formula follows the implementation Evidently calls, so thresholds carry over:
/// <list type="bullet">
/// <item>KS: scipy.stats.ks_2samp (two-sided), statistic D = sup |F_ref - F_cur| over the ECDFs.
/// p-value as ks_2samp's default method='auto': exact (counting the lattice paths that stay inside
/// |i/n - j/m| &lt; D, as method='exact') when both samples have at most 10,000 values; otherwise the
/// limiting Kolmogorov distribution Q(sqrt(nm/(n+m)) D). (scipy's method='asymp' instead evaluates the
/// finite-n one-sample distribution kstwo(round(nm/(n+m))); the two differ by O(1/sqrt(nm/(n+m))),
/// under 1e-3 for samples of 10,000 and more.)</item>
/// <item>PSI: 10 bins whose 9 inner edges are the reference's deciles (numpy's linear quantiles); bin k
/// holds values v with edge_k &lt;= v &lt; edge_k+1, so values below or above the reference's range fall
/// in the first or last bin; a bin's share is replaced by 1e-4 when it is empty (as Evidently);
/// PSI = sum (cur - ref) ln(cur / ref).</item>
/// <item>Wasserstein-1: scipy.stats.wasserstein_distance, the integral of |F_ref - F_cur|; normalised (as
/// Evidently's wasserstein_distance_norm) by max(population std of the reference, 0.001).</item>
/// <item>Jensen-Shannon: scipy.spatial.distance.jensenshannon with its default natural-log base, so a
/// distance in [0, sqrt(ln 2)]: sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2, over category shares (no
/// smoothing). For a numerical column (only by explicit choice), the shares of 30 equal-width bins over
/// the range of both samples (numpy.histogram_bin_edges, as Evidently).</item>
/// </list>
/// </summary>
public static class DriftStatistics
{
    /// <summary>Both samples at most this size: exact KS p-value (as scipy's ks_2samp method='auto').</summary>
    public const int ExactKsLimit = 10_000;

    /// <summary>Share given to an empty PSI bin.</summary>
    public const double PsiEpsilon = 1e-4;

    public const int PsiBins = 10;

    /// <summary>Bins of the Jensen-Shannon distance on a numerical column.</summary>
    public const int JensenShannonNumericBins = 30;

    /// <summary>A sorted copy of the finite values (NaN and infinities are missing).</summary>
    public static double[] SortedFinite(ReadOnlySpan<double> values)
    {
        var count = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                count++;
            }
        }
        var result = new double[count];
        var k = 0;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                result[k++] = v;
            }
        }
        Array.Sort(result);
        return result;
    }

    /// <summary>The two-sample Kolmogorov-Smirnov statistic D of two sorted samples (ties handled as scipy does).</summary>
    public static double KsStatistic(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        CheckNotEmpty(reference, current);
        int n = reference.Length, m = current.Length, i = 0, j = 0;
        var d = 0.0;
        while (i < n && j < m)
        {
            // Step past every value equal to the smaller head in both samples, then compare the ECDFs.
            var v = Math.Min(reference[i], current[j]);
            while (i < n && reference[i] == v)
            {
                i++;
            }
            while (j < m && current[j] == v)
            {
                j++;
            }
            d = Math.Max(d, Math.Abs(((double)i / n) - ((double)j / m)));
        }
        // Once one sample is exhausted the gap only closes; the largest is where we stopped.
        return d;
    }

    /// <summary>Two-sided p-value of a KS statistic <paramref name="d"/> for samples of n and m values (see the class notes).</summary>
    public static double KsPValue(double d, int n, int m)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        return Math.Max(n, m) <= ExactKsLimit ? KsPValueExact(d, n, m) : KolmogorovSurvival(Math.Sqrt((double)n * m / (n + m)) * d);
    }

    /// <summary>
    /// Exact P(D_{n,m} &gt;= d) under the null for continuous data: one minus the share of the C(n+m, n) equally
    /// likely lattice paths from (0,0) to (n,m) that stay strictly inside |i/n - j/m| &lt; d. D is first rounded to
    /// a multiple of 1/lcm(n,m) (as scipy). v(i,j), the share of paths to (i,j) that stay inside, satisfies
    /// v(i,j) = v(i-1,j) i/(i+j) + v(i,j-1) j/(i+j): every term stays in [0,1], so nothing overflows. Only the band
    /// of inside cells is visited: O(n m d) work.
    /// </summary>
    public static double KsPValueExact(double d, int n, int m)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        var g = Gcd(n, m);
        long a = m / g, b = n / g; // i/n - j/m = (i a - j b) / lcm
        var lcm = (long)(n / g) * m;
        var h = (long)Math.Round(d * lcm);
        if (h <= 0)
        {
            return 1.0;
        }
        if (h > lcm)
        {
            return 0.0;
        }
        var v = new double[m + 1];
        var reciprocal = new double[n + m + 1];
        for (var k = 1; k < reciprocal.Length; k++)
        {
            reciprocal[k] = 1.0 / k;
        }
        var previousHigh = -1L;
        for (long i = 0; i <= n; i++)
        {
            // Inside: |i a - j b| < h  <=>  (i a - h) / b < j < (i a + h) / b.
            var low = Math.Max(0, FloorDiv((i * a) - h, b) + 1);
            var high = Math.Min(m, CeilDiv((i * a) + h, b) - 1);
            if (i == 0)
            {
                for (var j = 0L; j <= high; j++)
                {
                    v[j] = 1.0;
                }
                previousHigh = high;
                continue;
            }
            var left = 0.0; // v(i, low - 1) is outside
            for (var j = low; j <= high; j++)
            {
                var up = j <= previousHigh ? v[j] : 0.0;
                left = ((up * i) + (left * j)) * reciprocal[i + j];
                v[j] = left;
            }
            previousHigh = high;
        }
        var inside = v[m];
        return Math.Clamp(1.0 - inside, 0.0, 1.0);
    }

    /// <summary>
    /// The limiting Kolmogorov distribution's survival function Q(x) = 2 sum_{k&gt;=1} (-1)^(k-1) exp(-2 k^2 x^2)
    /// (scipy.special.kolmogorov); below x = 1 the equivalent theta series 1 - sqrt(2 pi)/x sum exp(-(2k-1)^2 pi^2 / (8 x^2)),
    /// which converges fast there.
    /// </summary>
    public static double KolmogorovSurvival(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }
        if (x <= 0)
        {
            return 1.0;
        }
        double sum = 0;
        if (x < 1)
        {
            for (var k = 1; k < 100; k++)
            {
                var odd = (2 * k) - 1;
                var term = Math.Exp(-odd * odd * Math.PI * Math.PI / (8 * x * x));
                sum += term;
                if (term < 1e-17 * sum)
                {
                    break;
                }
            }
            return Math.Clamp(1 - (Math.Sqrt(2 * Math.PI) / x * sum), 0.0, 1.0);
        }
        for (var k = 1; k < 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * x * x);
            sum += (k % 2 == 1 ? 1 : -1) * term;
            if (term < 1e-17)
            {
                break;
            }
        }
        return Math.Clamp(2 * sum, 0.0, 1.0);
    }

    /// <summary>The 9 inner PSI bin edges: the reference's deciles (numpy's linear interpolation).</summary>
    public static double[] PsiEdges(ReadOnlySpan<double> sortedReference)
    {
        CheckNotEmpty(sortedReference, sortedReference);
        var edges = new double[PsiBins - 1];
        for (var k = 1; k < PsiBins; k++)
        {
            edges[k - 1] = Quantile(sortedReference, (double)k / PsiBins);
        }
        return edges;
    }

    /// <summary>Shares of a sorted sample in the PSI bins given by <paramref name="edges"/> (bin k: edge_k &lt;= v &lt; edge_k+1).</summary>
    public static double[] PsiShares(ReadOnlySpan<double> sorted, ReadOnlySpan<double> edges)
    {
        var shares = new double[edges.Length + 1];
        var below = 0;
        for (var k = 0; k < edges.Length; k++)
        {
            var count = LowerBound(sorted, edges[k]); // values < edge_k
            shares[k] = count - below;
            below = count;
        }
        shares[edges.Length] = sorted.Length - below;
        for (var k = 0; k < shares.Length; k++)
        {
            shares[k] /= sorted.Length;
        }
        return shares;
    }

    /// <summary>Population stability index between two sorted samples (reference deciles as bins).</summary>
    public static double Psi(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent)
    {
        CheckNotEmpty(sortedReference, sortedCurrent);
        var edges = PsiEdges(sortedReference);
        return PsiFromShares(PsiShares(sortedReference, edges), PsiShares(sortedCurrent, edges));
    }

    /// <summary>PSI from bin (or category) shares: empty shares become 1e-4, then sum (c - r) ln(c / r).</summary>
    public static double PsiFromShares(ReadOnlySpan<double> referenceShares, ReadOnlySpan<double> currentShares)
    {
        var psi = 0.0;
        for (var k = 0; k < referenceShares.Length; k++)
        {
            var r = referenceShares[k] == 0 ? PsiEpsilon : referenceShares[k];
            var c = currentShares[k] == 0 ? PsiEpsilon : currentShares[k];
            psi += (c - r) * Math.Log(c / r);
        }
        return psi;
    }

    /// <summary>Wasserstein-1 distance between two sorted samples: the integral of |F_ref - F_cur| over the merged values.</summary>
    public static double Wasserstein(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        CheckNotEmpty(reference, current);
        int n = reference.Length, m = current.Length, i = 0, j = 0;
        var total = 0.0;
        var x = Math.Min(reference[0], current[0]);
        while (i < n || j < m)
        {
            // Consume every value equal to x, then F_ref = i/n, F_cur = j/m hold until the next value.
            while (i < n && reference[i] == x)
            {
                i++;
            }
            while (j < m && current[j] == x)
            {
                j++;
            }
            if (i == n && j == m)
            {
                break;
            }
            var next = i == n ? current[j] : j == m ? reference[i] : Math.Min(reference[i], current[j]);
            total += Math.Abs(((double)i / n) - ((double)j / m)) * (next - x);
            x = next;
        }
        return total;
    }

    /// <summary>Population standard deviation (ddof 0, as numpy's std).</summary>
    public static double PopulationStd(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return double.NaN;
        }
        var mean = 0.0;
        foreach (var v in values)
        {
            mean += v;
        }
        mean /= values.Length;
        var ss = 0.0;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }
        return Math.Sqrt(ss / values.Length);
    }

    /// <summary>Wasserstein-1 divided by max(population std of the reference, 0.001), as Evidently.</summary>
    public static double NormalisedWasserstein(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent, double referenceStd) =>
        Wasserstein(sortedReference, sortedCurrent) / Math.Max(referenceStd, 0.001);

    /// <summary>Jensen-Shannon distance (natural log) between two count or share vectors over the same categories.</summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException("both distributions need the same categories");
        }
        double sp = 0, sq = 0;
        for (var k = 0; k < p.Length; k++)
        {
            sp += p[k];
            sq += q[k];
        }
        if (!(sp > 0) || !(sq > 0))
        {
            throw new ArgumentException("a distribution with no mass has no Jensen-Shannon distance");
        }
        var js = 0.0;
        for (var k = 0; k < p.Length; k++)
        {
            var pk = p[k] / sp;
            var qk = q[k] / sq;
            var mk = (pk + qk) / 2;
            if (pk > 0)
            {
                js += pk * Math.Log(pk / mk);
            }
            if (qk > 0)
            {
                js += qk * Math.Log(qk / mk);
            }
        }
        return Math.Sqrt(Math.Max(js / 2, 0));
    }

    /// <summary>Jensen-Shannon distance between the category shares of two text samples (null values are missing).</summary>
    public static double JensenShannon(IEnumerable<string?> reference, IEnumerable<string?> current)
    {
        var (p, q) = CategoryCounts(Count(reference), Count(current));
        return JensenShannon(p, q);
    }

    /// <summary>Jensen-Shannon distance of a numerical column over 30 equal-width bins spanning both sorted samples.</summary>
    public static double JensenShannonBinned(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent)
    {
        CheckNotEmpty(sortedReference, sortedCurrent);
        var (p, q) = EqualWidthHistograms(sortedReference, sortedCurrent, JensenShannonNumericBins);
        return JensenShannon(p, q);
    }

    internal static Dictionary<string, long> Count(IEnumerable<string?> values)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var v in values)
        {
            if (v is not null)
            {
                counts[v] = counts.GetValueOrDefault(v) + 1;
            }
        }
        return counts;
    }

    /// <summary>Counts over the union of categories, in ordinal order.</summary>
    internal static (double[] Reference, double[] Current) CategoryCounts(IReadOnlyDictionary<string, long> reference, IReadOnlyDictionary<string, long> current)
    {
        var keys = reference.Keys.Union(current.Keys).Order(StringComparer.Ordinal).ToArray();
        return ([.. keys.Select(k => (double)reference.GetValueOrDefault(k))], [.. keys.Select(k => (double)current.GetValueOrDefault(k))]);
    }

    /// <summary>numpy.histogram counts of both samples over numpy.histogram_bin_edges(both, bins).</summary>
    internal static (double[] Reference, double[] Current) EqualWidthHistograms(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent, int bins)
    {
        var lo = Math.Min(sortedReference[0], sortedCurrent[0]);
        var hi = Math.Max(sortedReference[^1], sortedCurrent[^1]);
        if (lo == hi)
        {
            lo -= 0.5;
            hi += 0.5;
        }
        return (Histogram(sortedReference, lo, hi, bins), Histogram(sortedCurrent, lo, hi, bins));
    }

    internal static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((pos - lo) * (sorted[hi] - sorted[lo]));
    }

    /// <summary>The number of values below <paramref name="v"/> in a sorted span.</summary>
    /// <summary>The number of values at or below <paramref name="v"/> in a sorted span.</summary>
    internal static int UpperBound(ReadOnlySpan<double> sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    internal static int LowerBound(ReadOnlySpan<double> sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private static double[] Histogram(ReadOnlySpan<double> values, double lo, double hi, int bins)
    {
        var counts = new double[bins];
        var width = (hi - lo) / bins;
        foreach (var v in values)
        {
            // The last bin is closed on the right, as numpy's.
            var k = (int)((v - lo) / width);
            counts[Math.Clamp(k, 0, bins - 1)]++;
        }
        return counts;
    }

    private static void CheckNotEmpty(ReadOnlySpan<double> reference, ReadOnlySpan<double> current)
    {
        if (reference.IsEmpty || current.IsEmpty)
        {
            throw new ArgumentException("drift statistics need at least one value in each sample");
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }
        return a;
    }

    private static long FloorDiv(long x, long y) => x >= 0 ? x / y : -((-x + y - 1) / y);

    private static long CeilDiv(long x, long y) => x >= 0 ? (x + y - 1) / y : -(-x / y);
}
