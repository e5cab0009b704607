using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EntraProvisioningExporter.IntegrationTests.Infrastructure;

/// <summary>
/// A self-signed certificate for 127.0.0.1, valid from five minutes ago for a day: what a test's HTTPS endpoint presents.
/// </summary>
public static class LoopbackCertificate
{
    public static X509Certificate2 Create(string subject = "CN=127.0.0.1")
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
