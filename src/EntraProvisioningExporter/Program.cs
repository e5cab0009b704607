using EntraProvisioningExporter.Hosting;

// Entra Provisioning Exporter: Microsoft Entra ID provisioning job health as Prometheus/OTLP metrics.
// Composition lives in Hosting/ExporterApplication.cs; run with --demo to watch a simulated tenant.
return await ExporterApplication.RunAsync(args);
