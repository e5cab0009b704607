using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using EntraProvisioningExporter.Configuration;

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
            CredentialKind.ClientSecret => new ClientSecretCredential(tenant.TenantId, c.ClientId, c.ClientSecret, new ClientSecretCredentialOptions { AuthorityHost = authority }),
            CredentialKind.ClientCertificate => new ClientCertificateCredential(tenant.TenantId, c.ClientId, LoadCertificate(c), new ClientCertificateCredentialOptions { AuthorityHost = authority }),
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

    private static X509Certificate2 LoadCertificate(CredentialOptions c)
    {
        var path = c.CertificatePath!;
        return path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase)
            ? X509Certificate2.CreateFromEncryptedPemFile(path, c.CertificatePassword ?? "")
            : X509CertificateLoader.LoadPkcs12FromFile(path, c.CertificatePassword);
    }
}
