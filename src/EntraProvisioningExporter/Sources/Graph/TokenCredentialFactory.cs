using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Configuration.Files;

namespace EntraProvisioningExporter.Sources.Graph;

/// <summary>Builds the Azure.Identity credential a tenant's configuration asks for (none for the loopback simulator).</summary>
public static class TokenCredentialFactory
{
    public static TokenCredential? Create(TenantOptions tenant)
    {
        var c = tenant.Credential;
        var authority = GraphCloud.AuthorityHost(tenant.Cloud);
        var kind = CredentialKind.All.First(k => k.Equals(c.Kind, StringComparison.OrdinalIgnoreCase));
        return kind switch
        {
            CredentialKind.None => null,
            CredentialKind.ClientSecret
                => new ClientSecretCredential(tenant.TenantId, c.ClientId, c.ClientSecret,
                new ClientSecretCredentialOptions { AuthorityHost = authority }),
            CredentialKind.ClientCertificate
                => new ClientCertificateCredential(tenant.TenantId, c.ClientId, LoadCertificate(c),
                new ClientCertificateCredentialOptions { AuthorityHost = authority }),
            CredentialKind.WorkloadIdentity => new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
            {
                TenantId = tenant.TenantId,
                ClientId = c.ClientId ?? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"),
                TokenFilePath = c.TokenFilePath ?? Environment.GetEnvironmentVariable("AZURE_FEDERATED_TOKEN_FILE"),
                AuthorityHost = authority,
            }),
            CredentialKind.ManagedIdentity => new ManagedIdentityCredential(string.IsNullOrEmpty(c.ClientId)
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(c.ClientId)),
            _ => new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                TenantId = tenant.TenantId,
                AuthorityHost = authority,
                ManagedIdentityClientId = string.IsNullOrEmpty(c.ClientId) ? null : c.ClientId,
                WorkloadIdentityClientId = string.IsNullOrEmpty(c.ClientId) ? null : c.ClientId,
            }),
        };
    }

    /// <summary>
    /// The client certificate, read through <see cref="ConfigurationFileReader"/> so that a file that cannot be read
    /// says why (and a FIFO cannot hang the reload); a certificate that does not load throws CryptographicException.
    /// </summary>
    private static X509Certificate2 LoadCertificate(CredentialOptions c)
    {
        var path = c.CertificatePath!;
        if (!path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase))
            return X509CertificateLoader.LoadPkcs12(ConfigurationFileReader.ReadBytes(path), c.CertificatePassword);
        var pem = ConfigurationFileReader.ReadText(path);
        return string.IsNullOrEmpty(c.CertificatePassword) ? X509Certificate2.CreateFromPem(pem, pem)
            : X509Certificate2.CreateFromEncryptedPem(pem, pem, c.CertificatePassword);
    }
}
