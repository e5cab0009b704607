using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Configuration.Files;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EntraProvisioningExporter.Hosting;

/// <summary>
/// The certificates of the HTTPS endpoints configured for Kestrel (Kestrel:Endpoints:NAME:Certificate:Path, KeyPath,
/// Password, or Kestrel:Certificates:Default), loaded by the exporter and presented through a certificate selector,
/// so that a reload swaps them for new connections without rebinding anything, and a certificate that does not load
/// refuses the reload (the endpoint keeps serving the last good one) instead of Kestrel's own reload logging it while
/// the reload reports success. The endpoints themselves (addresses, protocols) are bound once, at start.
/// </summary>
public sealed class TlsCertificates
{
    /// <summary>The certificate key of Kestrel:Certificates:Default (for HTTPS endpoints without one of their own).</summary>
    private const string Default = "";

    private IReadOnlyDictionary<string, X509Certificate2>? current;

    /// <summary>What a configuration's certificates loaded to, and the files they came from (to watch).</summary>
    public sealed record Loaded(IReadOnlyDictionary<string, X509Certificate2> Certificates, IReadOnlyList<string> Files);

    /// <summary>The files the certificates in force were read from.</summary>
    public IReadOnlyList<string> Files { get; private set; } = [];

    /// <summary>Loads every certificate <paramref name="configuration"/> names for Kestrel, or says why one does not load.</summary>
    public static (Loaded? Loaded, IReadOnlyList<string> Problems) Load(IConfiguration configuration)
    {
        var certificates = new Dictionary<string, X509Certificate2>(StringComparer.OrdinalIgnoreCase);
        var files = new List<string>();
        var problems = new List<string>();
        void Add(string name, IConfigurationSection section)
        {
            if (string.IsNullOrWhiteSpace(section["Path"])) return;
            try
            {
                certificates[name] = LoadOne(section, files);
            }
            catch (ConfigurationFileException ex)
            {
                problems.Add($"{section.Path}: {ex.File}: {ex.Reason}");
            }
            catch (CryptographicException ex)
            {
                problems.Add($"{section.Path}: {section["Path"]} does not load as a certificate with its private key (or "
                    + $"{section.Path}:Password is wrong): {ex.Message}");
            }
        }
        Add(Default, configuration.GetSection("Kestrel:Certificates:Default"));
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
            if (IsHttps(endpoint)) Add(endpoint.Key, endpoint.GetSection("Certificate"));
        return problems.Count == 0 ? (new Loaded(certificates, files), []) : (null, problems);
    }

    private static bool IsHttps(IConfigurationSection endpoint)
        => endpoint["Url"]?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// A PEM certificate and key (Path and KeyPath), or a PKCS#12 file (Path), as Kestrel reads them; relative paths from the content
    /// root.
    /// </summary>
    private static X509Certificate2 LoadOne(IConfigurationSection section, List<string> files)
    {
        var path = Path.GetFullPath(section["Path"]!, AppContext.BaseDirectory);
        var password = section["Password"];
        files.Add(path);
        X509Certificate2 certificate;
        if (section["KeyPath"] is { Length: > 0 } keyPath)
        {
            keyPath = Path.GetFullPath(keyPath, AppContext.BaseDirectory);
            files.Add(keyPath);
            var certificatePem = ConfigurationFileReader.ReadText(path);
            var keyPem = ConfigurationFileReader.ReadText(keyPath);
            certificate = string.IsNullOrEmpty(password) ? X509Certificate2.CreateFromPem(certificatePem, keyPem)
                : X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, password);
        }
        else
        {
            certificate = X509CertificateLoader.LoadPkcs12(ConfigurationFileReader.ReadBytes(path), password);
        }
        if (!certificate.HasPrivateKey) throw new CryptographicException("the certificate has no private key.");
        return certificate;
    }

    /// <summary>Puts loaded certificates in force: new TLS connections get them.</summary>
    public void Commit(Loaded loaded)
    {
        Volatile.Write(ref current, loaded.Certificates);
        Files = loaded.Files;
    }

    /// <summary>The certificate in force for an endpoint (its own, else the default), or null.</summary>
    private X509Certificate2? For(string endpoint)
    {
        var certificates = Volatile.Read(ref current);
        return certificates?.GetValueOrDefault(endpoint) ?? certificates?.GetValueOrDefault(Default);
    }

    /// <summary>
    /// Kestrel's endpoints from the configuration, loaded once (not on each change: their addresses apply at the next
    /// restart), every HTTPS endpoint with a certificate from a file presenting the one in force.
    /// </summary>
    public static void AddTo(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TlsCertificates>();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var tls = kestrel.ApplicationServices.GetRequiredService<TlsCertificates>();
            // Normally committed by the start-up check; a host started without it loads them here (and fails to start on a problem).
            if (Volatile.Read(ref tls.current) is null)
            {
                var (loaded, problems) = Load(context.Configuration);
                if (loaded is null) throw new InvalidConfigurationException(problems);
                tls.Commit(loaded);
            }
            var loader = kestrel.Configure(context.Configuration.GetSection("Kestrel"), reloadOnChange: false);
            // Every HTTPS endpoint starts from these defaults, its own certificate or not; one call, as a second replaces the first.
            var hasDefault = tls.For(Default) is not null;
            kestrel.ConfigureHttpsDefaults(https =>
            {
                ServingLimits.ApplyTo(https);
                if (hasDefault) https.ServerCertificateSelector = (_, _) => tls.For(Default);
            });
            foreach (var endpoint in context.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Where(IsHttps))
            {
                var name = endpoint.Key;
                if (tls.For(name) is null) continue; // a certificate from a store, or none: Kestrel's own
                loader.Endpoint(name, e => e.HttpsOptions.ServerCertificateSelector = (_, _) => tls.For(name));
            }
        });
    }
}
