using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Identity;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Sources;
using EntraProvisioningExporter.Sources.Graph;

namespace EntraProvisioningExporter.Tests.Sources;

/// <summary>
/// Credentials are made before a configuration is put in force: one that cannot be made is a problem with its key, never an exception.
/// </summary>
public sealed class TenantCredentialsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("entra-credentials-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static ExporterOptions WithCertificate(string path, string? password) => new()
    {
        Tenants =
        [
            new TenantOptions { TenantId = "6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e",
                Credential = new CredentialOptions { Kind = "ClientSecret", ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                ClientSecret = "s" } },
            new TenantOptions
            {
                TenantId = "11111111-2222-3333-4444-555555555555",
                Credential = new CredentialOptions { Kind = "ClientCertificate", ClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                    CertificatePath = path, CertificatePassword = password },
            },
        ],
    };

    private string Pfx(string password)
    {
        using var key = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=exporter", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(directory, "tenant.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    [Fact]
    public void Every_assigned_tenant_gets_its_credential()
    {
        var (credentials, problems) = new TenantCredentials(TokenCredentialFactory.Create)
            .Prepare(WithCertificate(Pfx("pfx-password"), "pfx-password"));
        Assert.Empty(problems);
        Assert.IsType<ClientSecretCredential>(credentials["6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e"]);
        Assert.IsType<ClientCertificateCredential>(credentials["11111111-2222-3333-4444-555555555555"]);
    }

    [Fact]
    public void A_certificate_that_does_not_load_or_has_another_password_is_a_problem_with_its_key()
    {
        var path = Pfx("pfx-password");
        var (credentials, problems) = new TenantCredentials(TokenCredentialFactory.Create).Prepare(WithCertificate(path, "wrong-password"));
        var problem = Assert.Single(problems);
        Assert.StartsWith($"Exporter:Tenants:1:Credential:CertificatePath: {path} does not load as a certificate (or "
            + "Exporter:Tenants:1:Credential:CertificatePassword is wrong)", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", problem, StringComparison.Ordinal);
        Assert.False(credentials.ContainsKey("11111111-2222-3333-4444-555555555555"));

        File.WriteAllBytes(path, [0x30, 0x82, 0x00, 0x01]);
        Assert.StartsWith($"Exporter:Tenants:1:Credential:CertificatePath: {path} does not load as a certificate",
            Assert.Single(new TenantCredentials(TokenCredentialFactory.Create).Prepare(WithCertificate(path, null)).Problems),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_file_that_cannot_be_read_says_why()
    {
        var missing = Path.Combine(directory, "gone.pfx");
        Assert.Equal($"Exporter:Tenants:1:Credential:CertificatePath: {missing}: required file is missing",
            Assert.Single(new TenantCredentials(TokenCredentialFactory.Create).Prepare(WithCertificate(missing, null)).Problems));
        Directory.CreateDirectory(Path.Combine(directory, "dir.pfx"));
        Assert.Equal($"Exporter:Tenants:1:Credential:CertificatePath: {Path.Combine(directory, "dir.pfx")}: "
            + "not a regular file (a directory)",
            Assert.Single(new TenantCredentials(TokenCredentialFactory.Create)
                .Prepare(WithCertificate(Path.Combine(directory, "dir.pfx"), null)).Problems));
    }
}
