using System.Collections.Concurrent;
using System.Text.Json;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources;
using Microsoft.Extensions.Logging;
using Prometheus;
using PrometheusMetrics = Prometheus.Metrics;

namespace EntraProvisioningExporter.Exposition;

/// <summary>
/// What /metrics serves: a prometheus-net registry of its own with one collector per family of the
/// <see cref="MetricTable"/>. A tenant's families are applied when one of their inputs is published for that
/// tenant (values set, series of vanished jobs and label values removed), never re-read at a scrape: per-job
/// families job by job through each job's row of series (PrometheusExposition.JobSeries.cs), the others family by
/// family. The only values a scrape computes are the ages, set from their kept timestamps in a before-collect
/// callback. The process and .NET runtime families come from prometheus-net (<see cref="ProcessMetrics"/>). Disposing
/// it stops it following publications and reloads (a table replaced at a reload: <see cref="MetricExpositions"/>).
/// </summary>
public sealed partial class PrometheusExposition : IMetricRecorder, IDisposable
{
    private readonly Dictionary<MetricFamily, Collector> collectors = [];
    private readonly TenantFamily[] tenantFamilies;
    private readonly JobFamilies jobFamilies;
    private readonly ConcurrentDictionary<string, TenantSeries> tenants = new(StringComparer.OrdinalIgnoreCase);
    private readonly TenantSnapshotStore snapshots;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly RuntimeConfiguration runtime;
    private readonly Action applyInfo;
    private readonly Action reapplyThresholds;
    private readonly Action<TenantSnapshot> apply;

    public PrometheusExposition(MetricTable table, TenantSnapshotStore snapshots, RuntimeConfiguration runtime, TimeProvider time,
        ILogger<PrometheusExposition> logger)
    {
        this.snapshots = snapshots;
        this.time = time;
        this.logger = logger;
        this.runtime = runtime;
        Registry = PrometheusMetrics.NewCustomRegistry();
        var factory = PrometheusMetrics.WithCustomRegistry(Registry);
        foreach (var family in table.Families)
        {
            string[] labels = [.. family.LabelNames];
            collectors[family] = family.Kind switch
            {
                MetricKind.Counter => factory.CreateCounter(family.Name, family.Help, labels),
                MetricKind.Histogram => factory.CreateHistogram(family.Name, family.Help, labels, new HistogramConfiguration
                {
                    Buckets = [.. family is TenantHistogramFamily h ? h.Buckets : ((RecordedFamily)family).Buckets!],
                }),
                _ => factory.CreateGauge(family.Name, family.Help, labels),
            };
        }
        ExporterFamily[] exporterFamilies = [.. table.Families.OfType<ExporterFamily>()];
        applyInfo = () =>
        {
            var info = runtime.Info;
            foreach (var family in exporterFamilies) family.Read(info, new ExporterWriter((Gauge)collectors[family]));
        };
        applyInfo();
        runtime.InfoChanged += applyInfo;
        ProcessMetrics.Register(Registry, table.Selection);
        tenantFamilies = [.. table.TenantFamilies.Where(f => f.ReadJob is null)];
        histogramFamilies = [.. table.Families.OfType<TenantHistogramFamily>()];
        jobFamilies = new JobFamilies([.. table.TenantFamilies.Where(f => f.ReadJob is not null)], collectors);
        PrepareProbe(table);
        Registry.AddBeforeCollectCallback(UpdateAgesOf(new WeakReference<PrometheusExposition>(this)));
        var thresholds = Thresholds(runtime.Options.Quarantine);
        reapplyThresholds = () =>
        {
            // Escrow proximity and the disable date read the thresholds in force: a reload that changes them shows at
            // once, as on the status page, not only from the next cycle.
            var now = Thresholds(runtime.Options.Quarantine);
            if (now == thresholds) return;
            thresholds = now;
            foreach (var tenant in snapshots.All) Apply(tenant, TenantInputs.Jobs);
        };
        runtime.InfoChanged += reapplyThresholds;
        apply = snapshot => Apply(snapshot);
        snapshots.Published += apply;
        foreach (var tenant in snapshots.All) Apply(tenant);
    }

    public void Dispose()
    {
        snapshots.Published -= apply;
        runtime.InfoChanged -= applyInfo;
        runtime.InfoChanged -= reapplyThresholds;
    }

    private static string Thresholds(QuarantineOptions q) => JsonSerializer.Serialize(q, OptionsJsonContext.Default.QuarantineOptions);

    /// <summary>The registry /metrics serializes.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>
    /// Applies a published snapshot: every family that reads one of its inputs newer than those last applied for the
    /// tenant, and also those reading <paramref name="again"/> (re-read under new thresholds). Under the tenant's lock;
    /// a snapshot older than the one applied (two threads published) changes nothing.
    /// </summary>
    public void Apply(TenantSnapshot snapshot, TenantInputs again = TenantInputs.None)
    {
        var tenantId = snapshot.TenantId;
        var state = tenants.GetOrAdd(tenantId,
            _ => new TenantSeries(tenantFamilies.Length, jobFamilies, tenantRecorded, histogramFamilies));
        lock (state)
        {
            if (snapshot.Version < state.Applied.Version
                || (snapshot.Version == state.Applied.Version && again == TenantInputs.None)) return;
            var changed = snapshot.Versions.NewerThan(state.Applied.Versions) | again;
            state.Applied = (snapshot.Version, snapshot.Versions);
            var now = time.GetUtcNow();
            if ((changed & TenantInputs.Jobs) != 0)
            {
                try
                {
                    state.Jobs.Apply(snapshot.JobList, now);
                }
                catch (Exception ex)
                {
                    LogApplyFailed(logger, "(per-job families)", tenantId, ex);
                }
            }
            for (var i = 0; i < tenantFamilies.Length; i++)
            {
                var family = tenantFamilies[i];
                if ((family.Inputs & changed) == 0) continue;
                try
                {
                    state.Apply(i, family, collectors[family], snapshot, now);
                }
                catch (Exception ex)
                {
                    LogApplyFailed(logger, family.Name, tenantId, ex);
                }
            }
            for (var i = 0; i < histogramFamilies.Length; i++)
            {
                var family = histogramFamilies[i];
                if ((family.Inputs & changed) == 0) continue;
                try
                {
                    state.Histograms!.Apply(i, family, (Histogram)collectors[family], snapshot);
                }
                catch (Exception ex)
                {
                    LogApplyFailed(logger, family.Name, tenantId, ex);
                }
            }
        }
    }

    /// <summary>
    /// The before-collect callback, holding the exposition weakly and nothing else (so made in a static method): prometheus-net
    /// keeps callbacks in a ConcurrentBag, whose per-thread queues every thread that added one keeps reachable; a callback
    /// holding its exposition would keep each one a reload replaced, and its registry, for ever.
    /// </summary>
    private static Action UpdateAgesOf(WeakReference<PrometheusExposition> exposition) => () =>
    {
        if (exposition.TryGetTarget(out var target)) target.UpdateAges();
    };

    private void UpdateAges()
    {
        var now = time.GetUtcNow();
        foreach (var state in tenants.Values)
            foreach (var ages in state.Ages)
                foreach (var age in Volatile.Read(ref ages.Series))
                    age.Child.Set(TenantFamily.Age(age.Since, now));
    }

    // A recorded family Exporter:Metrics leaves out has no collector: its events cost a dictionary lookup.
    public void Add(RecordedFamily family, double increment, params ReadOnlySpan<string> labelValues)
    {
        if (collectors.GetValueOrDefault(family) is not Counter counter) return;
        counter.WithLabels(labelValues).Inc(increment);
        if (TenantMirror(family, labelValues) is Counter mirror) mirror.WithLabels(labelValues).Inc(increment);
    }

    public void Observe(RecordedFamily family, double value, params ReadOnlySpan<string> labelValues)
    {
        if (collectors.GetValueOrDefault(family) is not Histogram histogram) return;
        histogram.WithLabels(labelValues).Observe(value);
        if (TenantMirror(family, labelValues) is Histogram mirror) mirror.WithLabels(labelValues).Observe(value);
    }

    public void Remove(RecordedFamily family, params ReadOnlySpan<string> labelValues)
    {
        var values = labelValues.ToArray();
        foreach (var collector in new[] { collectors.GetValueOrDefault(family), TenantMirror(family, labelValues) })
        {
            switch (collector)
            {
                case Counter c: c.RemoveLabelled(values); break;
                case Histogram h: h.RemoveLabelled(values); break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Metric family {Family} could not be updated for tenant {Tenant}; "
        + "it keeps its previous series. This is a bug: please report it.")]
    private static partial void LogApplyFailed(ILogger logger, string family, string tenant, Exception exception);

    /// <summary>An age series: its gauge and the Unix time it counts from.</summary>
    private readonly record struct AgeSeries(Gauge.Child Child, double Since);

    /// <summary>An age family's series for one tenant, replaced as a whole at each application.</summary>
    private sealed class AgeFamily
    {
        public AgeSeries[] Series = [];
    }

    /// <summary>
    /// The series one tenant's families last set, so a publication can remove those it no longer has: the job rows,
    /// and for the other families each series with the application that last stamped it (older stamps are removed).
    /// </summary>
    private sealed class TenantSeries(int families, JobFamilies jobFamilies, RecordedFamily[] recorded, TenantHistogramFamily[] histograms)
    {
        public JobSeriesTable Jobs { get; } = new(jobFamilies);

        /// <summary>The version, and input versions, of the snapshot last applied.</summary>
        public (long Version, InputVersions Versions) Applied;

        /// <summary>The tenant's histogram series (none when Exporter:Metrics leaves every histogram family out).</summary>
        public TenantHistograms? Histograms { get; } = histograms.Length > 0 ? new TenantHistograms(histograms) : null;

        /// <summary>The tenant's poll durations and errors again, for /probe (none when Exporter:Metrics leaves them all out).</summary>
        public TenantRecorded? Recorded { get; } = recorded.Length > 0 ? new TenantRecorded(recorded) : null;

        private readonly Dictionary<ChildBase,
            SeenSeries>[] seen = [.. Enumerable.Range(0, families).Select(_ => new Dictionary<ChildBase, SeenSeries>())];
        private readonly AgeFamily?[] ages = new AgeFamily?[families];
        private readonly List<ChildBase> stale = [];
        private readonly SeriesWriter writer = new();
        private long stamp;

        public IEnumerable<AgeFamily> Ages => ages.OfType<AgeFamily>().Concat(Jobs.Ages);

        public void Apply(int index, TenantFamily family, Collector collector, TenantSnapshot snapshot, DateTimeOffset now)
        {
            var ageSeries = family.IsAge ? new List<AgeSeries>() : null;
            writer.Begin(collector, seen[index], ++stamp, ageSeries, now);
            family.Read(snapshot, writer);
            foreach (var (child, at) in seen[index])
                if (at.Stamp != stamp) stale.Add(child);
            foreach (var child in stale)
            {
                seen[index].Remove(child);
                child.Remove();
            }
            stale.Clear();
            if (ageSeries is not null) Volatile.Write(ref (ages[index] ??= new AgeFamily()).Series, [.. ageSeries]);
        }

        /// <summary>
        /// Writes a (not per-job) family's series of this tenant, with its header when it has any; under the tenant's lock.
        /// </summary>
        public void WriteFamily(int index, TenantFamily family, System.Text.StringBuilder text)
        {
            if (seen[index].Count == 0) return;
            TextFormat.Header(text, family);
            foreach (var (child, series) in seen[index]) TextFormat.Sample(text, family, series.Labels, TextFormat.Value(child));
        }
    }

    /// <summary>A series a tenant family set: its label values (for /probe) and the application that last set it.</summary>
    private struct SeenSeries
    {
        public string[] Labels;
        public long Stamp;
    }

    /// <summary>Sets one family's series for one tenant and stamps each as seen.</summary>
    private sealed class SeriesWriter : SampleWriter
    {
        private Collector collector = null!;
        private Dictionary<ChildBase, SeenSeries> seen = null!;
        private long stamp;
        private List<AgeSeries>? ages;
        private DateTimeOffset now;

        public void Begin(Collector collector, Dictionary<ChildBase, SeenSeries> seen, long stamp, List<AgeSeries>? ages,
            DateTimeOffset now)
        {
            this.collector = collector;
            this.seen = seen;
            this.stamp = stamp;
            this.ages = ages;
            this.now = now;
        }

        public override void Add(double value, params ReadOnlySpan<string> labelValues)
        {
            ChildBase child;
            if (collector is Counter counter)
            {
                var c = counter.WithLabels(labelValues);
                if (value < c.Value)
                {
                    // The source's count went down (it started again): show a counter reset, not a value held back.
                    seen.Remove(c);
                    c.Remove();
                    c = counter.WithLabels(labelValues);
                }
                c.IncTo(value);
                child = c;
            }
            else
            {
                var g = ((Gauge)collector).WithLabels(labelValues);
                if (ages is not null)
                {
                    ages.Add(new AgeSeries(g, value));
                    g.Set(TenantFamily.Age(value, now));
                }
                else
                {
                    g.Set(value);
                }
                child = g;
            }
            ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(seen, child, out var existed);
            if (!existed) entry.Labels = labelValues.ToArray();
            entry.Stamp = stamp;
        }
    }

    /// <summary>Sets an exporter family's one series (no labels: the collector's own; else the labelled one).</summary>
    private sealed class ExporterWriter(Gauge gauge) : SampleWriter
    {
        public override void Add(double value, params ReadOnlySpan<string> labelValues)
        {
            if (labelValues.IsEmpty) gauge.Set(value);
            else gauge.WithLabels(labelValues).Set(value);
        }
    }
}
