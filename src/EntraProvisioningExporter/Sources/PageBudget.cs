namespace EntraProvisioningExporter.Sources;

/// <summary>The bound on paging: how many pages of one collection a source reads in one cycle.</summary>
public static class PageBudget
{
    /// <summary>
    /// Pages of one collection per cycle: the service principal list (999 a page), one service principal's jobs, one
    /// time slice of Graph's provisioning logs. Far above any real tenant's need, and it stops a next-link chain that
    /// never ends after that many requests rather than thousands.
    /// </summary>
    public const int MaxPagesPerCollection = 200;
}
