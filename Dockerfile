# syntax=docker/dockerfile:1
# Entra Provisioning Exporter: build with the .NET SDK, run on the chiseled ASP.NET Core runtime
# (Ubuntu chiseled: no shell, no package manager, non-root "app" user, UID 1654).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, so source edits do not invalidate the package layer.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/EntraProvisioningExporter/EntraProvisioningExporter.csproj src/EntraProvisioningExporter/
COPY src/EntraProvisioningExporter.Simulator/EntraProvisioningExporter.Simulator.csproj src/EntraProvisioningExporter.Simulator/
RUN dotnet restore src/EntraProvisioningExporter/EntraProvisioningExporter.csproj
COPY src/ src/
COPY docker/publish.sh docker/
RUN bash docker/publish.sh /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="entra-provisioning-exporter" \
      org.opencontainers.image.description="Prometheus/OTLP exporter for Microsoft Entra ID provisioning job health" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/entra-provisioning-exporter/entra-provisioning-exporter"
WORKDIR /app
COPY --from=build /app ./
# Listen on the exporter's port (the base image defaults to 8080). Nothing is written outside /tmp:
# mount an emptyDir (Kubernetes) or tmpfs there with a read-only root filesystem.
ENV ASPNETCORE_HTTP_PORTS=9464 \
    DOTNET_EnableDiagnostics=0 \
    TMPDIR=/tmp
EXPOSE 9464
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/EntraProvisioningExporter.dll"]
