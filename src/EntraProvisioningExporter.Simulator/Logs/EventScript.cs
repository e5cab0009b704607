using System.Security.Cryptography;
using System.Text;

namespace EntraProvisioningExporter.Simulator.Logs;

/// <summary>
/// A job's provisioning log as a function of time: runs on a grid (every <paramref name="interval"/> from
/// <paramref name="origin"/>, the same grid as the job's executions), each run logging the events
/// <paramref name="mix"/> gives for it, spread over the run. Deterministic: the same run always yields the
/// same events, ids and delays.
/// </summary>
public sealed class EventScript(DateTimeOffset origin, TimeSpan interval, TimeSpan duration, Func<DateTimeOffset,
    IReadOnlyList<EventMix>> mix, string targetSystem = "SCIM")
{
    /// <summary>Events take 2 to 6 minutes to reach Log Analytics, and 1 to 3 minutes to show in Graph.</summary>
    public static readonly TimeSpan MaxIngestionDelay = TimeSpan.FromMinutes(6);


    /// <summary>Events whose activity time is in (from, to].</summary>
    public IEnumerable<ProvisioningEvent> Between(string tenantId, string spId, string spName, string jobId, DateTimeOffset from,
        DateTimeOffset to)
    {
        if (to <= from) yield break;
        var first = (long)Math.Floor((from - duration - origin) / interval);
        var last = (long)Math.Floor((to - origin) / interval);
        for (var n = first; n <= last; n++)
        {
            var runStart = origin + interval * n;
            var events = mix(runStart);
            var total = events.Sum(e => e.Count);
            if (total == 0) continue;
            var cycleId = Guid(jobId + "#cycle#" + n);
            var i = 0;
            foreach (var m in events)
            {
                for (var k = 0; k < m.Count; k++, i++)
                {
                    var at = runStart + duration * ((i + 0.5) / total);
                    if (at <= from || at > to) continue;
                    var id = Guid($"{jobId}#{n}#{i}");
                    var h = Hash(id);
                    yield return new ProvisioningEvent
                    {
                        Id = id,
                        ActivityDateTime = TruncateToMilliseconds(at),
                        IngestionTime = TruncateToMilliseconds(at + TimeSpan.FromSeconds(120 + h % 240)),
                        GraphVisibleTime = TruncateToMilliseconds(at + TimeSpan.FromSeconds(60 + h % 120)),
                        TenantId = tenantId,
                        JobId = jobId,
                        ServicePrincipalId = spId,
                        ServicePrincipalName = spName,
                        CycleId = cycleId,
                        Action = m.Action,
                        Status = m.Status,
                        ErrorCode = m.ErrorCode,
                        DurationMs = m.DurationMs is { } d ? d / 2 + (int)(h % (uint)Math.Max(1, d)) : 150 + (int)(h % 900),
                        Initiator = m.Initiator,
                        IdentityType = m.Identity,
                        FailedStep = m.Status == "failure" ? m.FailedStep ?? "export" : null,
                        TargetSystem = targetSystem,
                    };
                }
            }
        }
    }

    /// <summary>
    /// The latest event with activity in (notBefore, to] that is visible by <paramref name="visibleBy"/>
    /// (ingested into Log Analytics), found by walking runs backwards: cheap even over days.
    /// </summary>
    public DateTimeOffset? LastEvent(string tenantId, string spId, string spName, string jobId, DateTimeOffset notBefore, DateTimeOffset to,
        DateTimeOffset visibleBy)
    {
        var last = (long)Math.Floor((to - origin) / interval);
        for (var n = last; origin + interval * n + duration > notBefore; n--)
        {
            var runStart = origin + interval * n;
            var candidates = Between(tenantId, spId, spName, jobId, Max(notBefore, runStart - TimeSpan.FromTicks(1)),
                Min(to, runStart + duration))
                .Where(e => e.IngestionTime <= visibleBy).ToList();
            if (candidates.Count > 0) return candidates.Max(e => e.ActivityDateTime);
        }
        return null;
    }

    /// <summary>
    /// The events (visible by <paramref name="now"/>) of the cycle of the latest event after <paramref name="activeSince"/>:
    /// the job's current cycle, or nothing when it logged nothing since then.
    /// </summary>
    public IReadOnlyList<ProvisioningEvent> CurrentCycle(string tenantId, string spId, string spName, string jobId,
        DateTimeOffset activeSince, DateTimeOffset now)
    {
        if (LastEvent(tenantId, spId, spName, jobId, activeSince, now, now) is not { } last) return [];
        var visible = Between(tenantId, spId, spName, jobId, last - duration - TimeSpan.FromTicks(1), now)
            .Where(e => e.IngestionTime <= now).ToList();
        var cycleId = visible.First(e => e.ActivityDateTime == last).CycleId;
        return visible.Where(e => e.CycleId == cycleId).ToList();
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset t)
        => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private static string Guid(string name) => new System.Guid(MD5.HashData(Encoding.UTF8.GetBytes(name))).ToString();

    private static uint Hash(string s) => BitConverter.ToUInt32(MD5.HashData(Encoding.UTF8.GetBytes(s)), 0);
}
