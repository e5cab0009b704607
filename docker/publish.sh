#!/usr/bin/env bash
# The one publish command: the Dockerfile runs it, and the tests run it too (then start the output as a
# non-root user from a read-only directory). Framework-dependent, no apphost: the runtime image provides .NET.
set -euo pipefail
out="${1:?usage: docker/publish.sh <output-directory>}"
cd "$(dirname "$0")/.."
dotnet publish src/EntraProvisioningExporter/EntraProvisioningExporter.csproj \
  --configuration Release \
  --output "$out" \
  --no-self-contained \
  -p:UseAppHost=false \
  -p:GenerateDocumentationFile=false \
  -nologo
