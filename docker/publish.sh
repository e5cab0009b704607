#!/usr/bin/env bash
# The one publish command: the Dockerfile runs it, and the tests run it too (then run the binary as a non-root
# user from a read-only directory, and much of the integration suite against it). Native AOT for linux-x64:
# one self-contained executable that needs only the C library, OpenSSL and CA certificates from the image.
set -euo pipefail
out="${1:?usage: docker/publish.sh <output-directory> [extra dotnet publish arguments, e.g. -p:IlcGenerateMapFile=true]}"
shift
cd "$(dirname "$0")/.."
dotnet publish src/EntraProvisioningExporter/EntraProvisioningExporter.csproj \
  --configuration Release \
  --runtime linux-x64 \
  --output "$out" \
  -p:PublishAot=true \
  -p:GenerateDocumentationFile=false \
  -nologo "$@"
