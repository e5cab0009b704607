using System.Security.Cryptography;
using Azure.Core;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Configuration.Files;

namespace EntraProvisioningExporter.Sources;

/// <summary>
/// The credential of every tenant this replica polls, made before a configuration is put in force (at start, and at
/// each reload before anything is swapped), so that one that cannot be made (a certificate file that cannot be read
/// or does not load, a wrong password) refuses that configuration with its key instead of failing it half-applied.
/// </summary>
public sealed class TenantCredentials(CredentialFactory factory)
{
    /// <summary>Each assigned tenant's credential by tenant id (null: no token), or the problems that refuse them.</summary>
    public (IReadOnlyDictionary<string, TokenCredential?> Credentials, IReadOnlyList<string> Problems) Prepare(ExporterOptions options)
    {
        var credentials = new Dictionary<string, TokenCredential?>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var tenant in new TenantSharding(options).Assigned)
        {
            var key = $"{ExporterOptions.SectionName}:Tenants:{options.Tenants.IndexOf(tenant)}:Credential";
            try
            {
                credentials[tenant.TenantId!] = factory(tenant);
            }
            catch (ConfigurationFileException ex)
            {
                problems.Add($"{key}:CertificatePath: {ex.File}: {ex.Reason}");
            }
            catch (CryptographicException ex)
            {
                problems.Add($"{key}:CertificatePath: {tenant.Credential.CertificatePath} does not load as a certificate (or "
                    + $"{key}:CertificatePassword is wrong): {ex.Message}");
            }
            catch (ArgumentException ex)
            {
                problems.Add($"{key}: {ex.Message}");
            }
        }
        return (credentials, problems);
    }
}
