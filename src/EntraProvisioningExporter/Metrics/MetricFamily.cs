using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Jobs;

namespace EntraProvisioningExporter.Metrics;

public enum MetricKind { Gauge, Counter, Histogram }

/// <summary>Receives a family's samples: the value, then the label values in the order of the family's label names.</summary>
public abstract class SampleWriter
{
    public abstract void Add(double value, params ReadOnlySpan<string> labelValues);
}

/// <summary>
/// The most series a family can have: so many per job plus a fixed number. Only exporters that size storage up
/// front use it (OpenTelemetry's cardinality limit, for OTLP).
/// </summary>
public readonly record struct SeriesBound(int PerJob, int Fixed)
{
    public static SeriesBound Jobs(int perJob) => new(perJob, 0);
    public static SeriesBound AtMost(int series) => new(0, series);

    public int At(int maxJobs) => checked(PerJob * maxJobs + Fixed + 1);
}

/// <summary>
/// One metric family, defined once: its name, type, help, label names, and how its samples are read. Every
/// consumer (the /metrics registry, OTLP, the docs' metric table check, the tests) takes families from <see cref="MetricTable"/>.
/// </summary>
public abstract class MetricFamily
{
    private protected MetricFamily(string name, MetricKind kind, string help, IReadOnlyList<string> labelNames, SeriesBound series)
    {
        Name = name;
        Kind = kind;
        Help = MetricHelp.Sanitize(help);
        LabelNames = labelNames;
        Series = series;
    }

    public string Name { get; }
    public MetricKind Kind { get; }
    public string Help { get; }
    public IReadOnlyList<string> LabelNames { get; }
    public SeriesBound Series { get; }

    public override string ToString() => Name;
}

/// <summary>
/// A family read from each tenant's snapshot: applied for a tenant whenever one of <see cref="Inputs"/> is published
/// for it. An age family's reader writes Unix timestamps; its value is the seconds since then, at collection time.
/// A per-job family (<see cref="PerJob"/>) is read job by job: its labels are the job identity, then its own.
/// </summary>
public sealed class TenantFamily : MetricFamily
{
    public TenantFamily(string name, MetricKind kind, string help, IReadOnlyList<string> labelNames, SeriesBound series,
        TenantInputs inputs, Action<TenantSnapshot, SampleWriter> read, bool isAge = false)
        : base(name, kind, help, labelNames, series)
    {
        if (kind == MetricKind.Histogram) throw new ArgumentException("A tenant family is a gauge or a counter.", nameof(kind));
        if (isAge && kind != MetricKind.Gauge) throw new ArgumentException("An age is a gauge.", nameof(isAge));
        Inputs = inputs;
        Read = read;
        IsAge = isAge;
    }

    private TenantFamily(string name, string help, IReadOnlyList<string> ownLabels, int seriesPerJob, Action<JobState,
        SampleWriter> readJob, bool isAge)
        : this(name, MetricKind.Gauge, help, [.. JobFamily.Identity, .. ownLabels], SeriesBound.Jobs(seriesPerJob), TenantInputs.Jobs,
            ReadEachJob(readJob, ownLabels.Count), isAge)
    {
        ReadJob = readJob;
    }

    /// <summary>
    /// A gauge with, per job of the tenant's job snapshot, up to <paramref name="seriesPerJob"/> series: the reader is
    /// given one job at a time and writes only the family's own label values (none, for one series per job).
    /// </summary>
    public static TenantFamily PerJob(string name, string help, IReadOnlyList<string> ownLabels, int seriesPerJob,
        Action<JobState, SampleWriter> readJob, bool isAge = false) => new(name, help, ownLabels, seriesPerJob, readJob, isAge);

    public TenantInputs Inputs { get; }
    public Action<TenantSnapshot, SampleWriter> Read { get; }
    public bool IsAge { get; }

    /// <summary>A per-job family's reader of one job (own label values only); null for other families.</summary>
    public Action<JobState, SampleWriter>? ReadJob { get; }

    /// <summary>An age's value: seconds from the timestamp to now, never negative.</summary>
    public static double Age(double unixSeconds, DateTimeOffset now) => Math.Max(0, now.ToUnixTimeMilliseconds() / 1000.0 - unixSeconds);

    private static Action<TenantSnapshot, SampleWriter> ReadEachJob(Action<JobState, SampleWriter> readJob, int ownLabels) => (tenant, w) =>
    {
        var withIdentity = new IdentityFirst(w, ownLabels);
        foreach (var job in tenant.JobList)
        {
            withIdentity.Job = job;
            readJob(job, withIdentity);
        }
    };

    /// <summary>Puts the job identity before a per-job reader's own label values.</summary>
    private sealed class IdentityFirst(SampleWriter inner, int ownLabels) : SampleWriter
    {
        private readonly string[] labels = new string[JobFamily.Identity.Count + ownLabels];

        public JobState Job { get; set; } = null!;

        public override void Add(double value, params ReadOnlySpan<string> labelValues)
        {
            labels[0] = Job.TenantId;
            labels[1] = Job.ServicePrincipalId;
            labels[2] = Job.JobId;
            labelValues.CopyTo(labels.AsSpan(JobFamily.Identity.Count));
            inner.Add(value, labels.AsSpan(0, JobFamily.Identity.Count + labelValues.Length));
        }
    }
}

/// <summary>
/// Receives a histogram family's series: per bucket (not cumulative, the last one unbounded) the count and the seconds summed.
/// </summary>
public abstract class HistogramWriter
{
    public abstract void Add(IReadOnlyList<long> counts, IReadOnlyList<double> sums, params ReadOnlySpan<string> labelValues);
}

/// <summary>
/// A histogram read from each tenant's snapshot: its reader gives each series' cumulative per-bucket counts and sums as the
/// source counted them, and the expositions turn what grew since the last publication into observations (a count that
/// went down is the source starting again: a reset).
/// </summary>
public sealed class TenantHistogramFamily(string name, string help, IReadOnlyList<string> labelNames, SeriesBound series,
    IReadOnlyList<double> buckets, TenantInputs inputs, Action<TenantSnapshot, HistogramWriter> read)
    : MetricFamily(name, MetricKind.Histogram, help, labelNames, series)
{
    /// <summary>The upper bounds, ascending, without +Inf.</summary>
    public IReadOnlyList<double> Buckets { get; } = buckets;

    public TenantInputs Inputs { get; } = inputs;

    public Action<TenantSnapshot, HistogramWriter> Read { get; } = read;

    /// <summary>The highest value the last (unbounded) bucket holds: the sources' longest usable duration.</summary>
    public const double MaxValue = 86_400;

    /// <summary>
    /// A bucket's new events are observed at their mean, which lies in the bucket (low, high]; rounding in the sums, or a
    /// sum no events could have, is kept inside it (and never negative, never past <see cref="MaxValue"/>, never NaN).
    /// </summary>
    public double MeanInBucket(double sum, long count, int bucket)
    {
        var low = bucket == 0 ? 0 : Buckets[bucket - 1];
        var high = bucket < Buckets.Count ? Buckets[bucket] : MaxValue;
        var mean = sum / count;
        if (double.IsNaN(mean) || mean < low || (bucket > 0 && mean == low)) return bucket == 0 ? 0 : Math.BitIncrement(low);
        return mean > high ? high : mean;
    }
}

/// <summary>
/// The exporter's own state (build, configuration, shard, the last configuration reload): set at start, and again
/// when a reload is accepted or refused.
/// </summary>
public sealed record ExporterInfo(string Version, TimeSpan PollInterval, int ShardIndex, int ShardCount, int ConfiguredTenants,
    int PolledTenants,
    bool LastReloadSuccessful, DateTimeOffset LastReloadSuccess);

/// <summary>A family read from <see cref="ExporterInfo"/>.</summary>
public sealed class ExporterFamily(string name, string help, IReadOnlyList<string> labelNames, Action<ExporterInfo, SampleWriter> read)
    : MetricFamily(name, MetricKind.Gauge, help, labelNames, SeriesBound.AtMost(1))
{
    public Action<ExporterInfo, SampleWriter> Read { get; } = read;
}

/// <summary>A family recorded as events happen (poll cycles, HTTP responses) through <see cref="ExporterSelfMetrics"/>.</summary>
public sealed class RecordedFamily : MetricFamily
{
    public RecordedFamily(string name, MetricKind kind, string help, IReadOnlyList<string> labelNames, SeriesBound series,
        IReadOnlyList<double>? buckets = null)
        : base(name, kind, help, labelNames, series)
    {
        if (kind == MetricKind.Gauge) throw new ArgumentException("A recorded family is a counter or a histogram.", nameof(kind));
        if ((kind == MetricKind.Histogram) != (buckets
            is not null)) throw new ArgumentException("A histogram, and only a histogram, has buckets.", nameof(buckets));
        Buckets = buckets;
    }

    /// <summary>A histogram's upper bounds, ascending, without +Inf.</summary>
    public IReadOnlyList<double>? Buckets { get; }
}
