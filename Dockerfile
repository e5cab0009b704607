# syntax=docker/dockerfile:1
# Entra Provisioning Exporter: a native AOT binary, built with the .NET SDK's AOT image (the SDK plus the C
# toolchain the linker needs), run on the chiseled runtime-deps image (Ubuntu chiseled: the C library, OpenSSL
# and CA certificates; no shell, no package manager, no .NET runtime: the binary carries its own).

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble-aot AS build
WORKDIR /src
# Restore first, so source edits do not invalidate the package layer.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/EntraProvisioningExporter/EntraProvisioningExporter.csproj src/EntraProvisioningExporter/
COPY src/EntraProvisioningExporter.Simulator/EntraProvisioningExporter.Simulator.csproj src/EntraProvisioningExporter.Simulator/
RUN dotnet restore src/EntraProvisioningExporter/EntraProvisioningExporter.csproj --runtime linux-x64 -p:PublishAot=true
COPY src/ src/
COPY docker/publish.sh docker/
RUN bash docker/publish.sh /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="entra-provisioning-exporter" \
      org.opencontainers.image.description="Prometheus/OTLP exporter for Microsoft Entra ID provisioning job health" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/entra-provisioning-exporter/entra-provisioning-exporter"
WORKDIR /app
# The binary and its settings only (not the .dbg symbols the publish leaves beside it).
COPY --from=build /app/EntraProvisioningExporter /app/appsettings.json /app/
# Listen on the exporter's port. Nothing is written outside /tmp: mount an emptyDir (Kubernetes) or a tmpfs
# there, with a read-only root filesystem.
ENV ASPNETCORE_HTTP_PORTS=9464 \
    TMPDIR=/tmp
EXPOSE 9464
USER $APP_UID
ENTRYPOINT ["/app/EntraProvisioningExporter"]
