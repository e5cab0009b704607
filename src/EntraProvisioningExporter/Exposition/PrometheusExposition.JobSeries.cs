using EntraProvisioningExporter.Metrics;
using EntraProvisioningExporter.Sources.Jobs;
using Prometheus;

namespace EntraProvisioningExporter.Exposition;

public sealed partial class PrometheusExposition
{
    /// <summary>The per-job families, with each one's place in a job's row of series (sized from its series per job).</summary>
    private sealed class JobFamilies
    {
        public JobFamilies(TenantFamily[] families, Dictionary<MetricFamily, Collector> collectors)
        {
            Families = families;
            // A per-job family is a gauge (TenantFamily.PerJob).
            Collectors = [.. families.Select(f => (Gauge)collectors[f])];
            Offsets = new int[families.Length];
            for (var i = 0; i < families.Length; i++)
            {
                Offsets[i] = Width;
                Width += families[i].Series.PerJob;
            }
        }

        public TenantFamily[] Families { get; }
        public Gauge[] Collectors { get; }
        public int[] Offsets { get; }

        /// <summary>Series slots in a job's row: the sum of the families' series per job.</summary>
        public int Width { get; }
    }

    /// <summary>One series a job has, and the application that last set it.</summary>
    private struct Slot
    {
        public int Family;
        public string[] Labels;
        public Gauge.Child? Child;
        public long Stamp;
    }

    /// <summary>
    /// One job's series of every per-job family, held so that applying a job snapshot sets them directly: the job is
    /// looked up once, not each of its series by its labels. A family's series live in its range of the row; more
    /// than its bound (a renamed app, a new state, while the old series is still there) go to the overflow until
    /// the stale ones are gone.
    /// </summary>
    private sealed class JobRow(string tenantId, string servicePrincipalId, string jobId, int width)
    {
        /// <summary>The identity label values, shared by every series of the job that has no label of its own.</summary>
        public readonly string[] Identity = [tenantId, servicePrincipalId, jobId];
        public readonly Slot[] Slots = new Slot[width];
        public List<Slot>? Overflow;
        public long Stamp;

        public void RemoveAll()
        {
            foreach (var slot in Slots) slot.Child?.Remove();
            foreach (var slot in Overflow ?? []) slot.Child?.Remove();
        }
    }

    /// <summary>One tenant's job rows: applies the per-job families job by job and removes what a publication no longer has.</summary>
    private sealed class JobSeriesTable(JobFamilies families)
    {
        private readonly Dictionary<(string ServicePrincipalId, string JobId), JobRow> rows = [];
        private readonly AgeFamily?[] ages = new AgeFamily?[families.Families.Length];
        private readonly RowWriter writer = new();
        private readonly List<(string, string)> gone = [];
        private long stamp;

        public IEnumerable<AgeFamily> Ages => ages.OfType<AgeFamily>();

        /// <summary>
        /// Writes per-job family <paramref name="k"/>'s series of every job, with its header when there is one; under the tenant's lock.
        /// </summary>
        public void WriteFamily(int k, TenantFamily family, System.Text.StringBuilder text)
        {
            var header = false;
            var (start, width) = (families.Offsets[k], family.Series.PerJob);
            foreach (var row in rows.Values)
            {
                for (var i = start; i < start + width; i++) Write(row.Slots[i]);
                foreach (var slot in row.Overflow ?? [])
                    if (slot.Family == k) Write(slot);
            }

            void Write(Slot slot)
            {
                if (slot.Child is null) return;
                if (!header) TextFormat.Header(text, family);
                header = true;
                TextFormat.Sample(text, family, slot.Labels, slot.Child.Value);
            }
        }

        public void Apply(IReadOnlyList<JobState> jobs, DateTimeOffset now)
        {
            stamp++;
            var ageSeries = new List<AgeSeries>?[families.Families.Length];
            for (var k = 0; k < ageSeries.Length; k++)
                if (families.Families[k].IsAge) ageSeries[k] = [];
            foreach (var job in jobs)
            {
                ref var row = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(rows,
                    (job.ServicePrincipalId, job.JobId), out _);
                row ??= new JobRow(job.TenantId, job.ServicePrincipalId, job.JobId, families.Width);
                row.Stamp = stamp;
                for (var k = 0; k < families.Families.Length; k++)
                {
                    var family = families.Families[k];
                    writer.Begin(row, k, families.Offsets[k], family.Series.PerJob, families.Collectors[k], stamp, ageSeries[k], now);
                    family.ReadJob!(job, writer);
                    writer.End();
                }
            }
            foreach (var (key, row) in rows)
                if (row.Stamp != stamp) gone.Add(key);
            foreach (var key in gone)
            {
                rows[key].RemoveAll();
                rows.Remove(key);
            }
            gone.Clear();
            for (var k = 0; k < ageSeries.Length; k++)
                if (ageSeries[k] is { } series) Volatile.Write(ref (ages[k] ??= new AgeFamily()).Series, [.. series]);
        }
    }

    /// <summary>Sets one family's series of one job in its row, creating those it does not have yet.</summary>
    private sealed class RowWriter : SampleWriter
    {
        private JobRow row = null!;
        private int family, start, width;
        private Gauge collector = null!;
        private long stamp;
        private List<AgeSeries>? ages;
        private DateTimeOffset now;

        public void Begin(JobRow row, int family, int start, int width, Gauge collector, long stamp, List<AgeSeries>? ages,
            DateTimeOffset now)
        {
            (this.row, this.family, this.start, this.width, this.collector, this.stamp, this.ages, this.now) = (row, family, start, width,
                collector, stamp, ages, now);
        }

        public override void Add(double value, params ReadOnlySpan<string> labelValues)
        {
            ref var slot = ref Find(labelValues);
            if (slot.Child is null)
            {
                slot.Family = family;
                slot.Labels = labelValues.IsEmpty ? row.Identity : [.. row.Identity, .. labelValues];
                slot.Child = collector.WithLabels(slot.Labels);
            }
            slot.Stamp = stamp;
            if (ages is null)
            {
                slot.Child.Set(value);
                return;
            }
            ages.Add(new AgeSeries(slot.Child, value));
            slot.Child.Set(TenantFamily.Age(value, now));
        }

        /// <summary>After a family's pass over the job: its series not set by this pass are gone.</summary>
        public void End()
        {
            for (var i = start; i < start + width; i++)
            {
                ref var slot = ref row.Slots[i];
                if (slot.Child is null || slot.Stamp == stamp) continue;
                slot.Child.Remove();
                slot = default;
            }
            if (row.Overflow is not { } overflow) return;
            for (var i = overflow.Count - 1; i >= 0; i--)
            {
                if (overflow[i].Family != family) continue;
                var moved = overflow[i];
                overflow.RemoveAt(i);
                if (moved.Stamp != stamp)
                {
                    moved.Child!.Remove();
                    continue;
                }
                // Back into the row if the stale series left room.
                var free = Array.FindIndex(row.Slots, start, width, s => s.Child is null);
                if (free >= 0) row.Slots[free] = moved;
                else overflow.Insert(i, moved);
            }
            if (overflow.Count == 0) row.Overflow = null;
        }

        /// <summary>The family's slot with these label values, or a free one (in the row, else in the overflow).</summary>
        private ref Slot Find(ReadOnlySpan<string> labelValues)
        {
            var free = -1;
            for (var i = start; i < start + width; i++)
            {
                ref var slot = ref row.Slots[i];
                if (slot.Child is null)
                {
                    if (free < 0) free = i;
                }
                else if (SameOwnLabels(slot.Labels, labelValues))
                {
                    return ref slot;
                }
            }
            if (row.Overflow is { } overflow)
                for (var i = 0; i < overflow.Count; i++)
                    if (overflow[i].Family == family && SameOwnLabels(overflow[i].Labels, labelValues))
                        return ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(overflow)[i];
            if (free >= 0) return ref row.Slots[free];
            (row.Overflow ??= []).Add(new Slot { Family = family });
            return ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(row.Overflow)[^1];
        }

        private static bool SameOwnLabels(string[] labels, ReadOnlySpan<string> own)
        {
            var identity = JobFamily.Identity.Count;
            if (labels.Length != identity + own.Length) return false;
            for (var i = 0; i < own.Length; i++)
                if (!string.Equals(labels[identity + i], own[i], StringComparison.Ordinal)) return false;
            return true;
        }
    }
}
