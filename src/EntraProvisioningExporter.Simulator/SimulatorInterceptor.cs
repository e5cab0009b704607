using EntraProvisioningExporter.Simulator.Graph;
using EntraProvisioningExporter.Simulator.Scenario;

namespace EntraProvisioningExporter.Simulator;

/// <summary>One request as the simulator received it: a top-level request, or one inside a $batch.</summary>
public sealed record SimulatedRequest(DateTimeOffset At, SimulatedTenant Tenant, string Method, string PathAndQuery, bool InBatch,
    string Authorization, string BaseUrl);

/// <summary>
/// A test rig's hold on the simulator: it sees each request first and may answer it instead of the tenant (a fault,
/// a refused token), and it sees each answer's status. The shipped demo runs without one, so it keeps no history.
/// </summary>
public interface ISimulatorInterceptor
{
    /// <summary>
    /// The answer to send instead of the tenant's, or null to answer normally. <paramref name="answer"/> computes the
    /// tenant's own answer (its argument: Log Analytics answers with only part of the rows, as a PartialError).
    /// </summary>
    ValueTask<GraphResponse?> InterceptAsync(SimulatedRequest request, Func<bool, Task<GraphResponse>> answer,
        CancellationToken cancellationToken);

    /// <summary>The status the simulator answered a request with.</summary>
    void Answered(SimulatedRequest request, int status);
}
