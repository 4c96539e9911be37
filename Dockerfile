# syntax=docker/dockerfile:1
# Multi-stage build of the PrescribeGuard server. Not built on the development machines (no Docker
# engine there); reviewed against the README's manual steps.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore in its own layer: it is re-run only when a project or package version changes.
COPY Directory.Build.props Directory.Packages.props PrescribeGuard.sln ./
COPY protos/ protos/
COPY src/PrescribeGuard.Domain/PrescribeGuard.Domain.csproj src/PrescribeGuard.Domain/
COPY src/PrescribeGuard.Contracts/PrescribeGuard.Contracts.csproj src/PrescribeGuard.Contracts/
COPY src/PrescribeGuard.Ledger/PrescribeGuard.Ledger.csproj src/PrescribeGuard.Ledger/
COPY src/PrescribeGuard.Cache/PrescribeGuard.Cache.csproj src/PrescribeGuard.Cache/
COPY src/PrescribeGuard.Server/PrescribeGuard.Server.csproj src/PrescribeGuard.Server/
RUN dotnet restore src/PrescribeGuard.Server/PrescribeGuard.Server.csproj
COPY src/ src/
COPY policy/ policy/
# The image has no .git, so the commit is passed in (docker build --build-arg SOURCE_REVISION=$(git rev-parse HEAD));
# it becomes the revision label of prescribeguard_build_info. Empty: "unknown".
ARG SOURCE_REVISION=
RUN dotnet publish src/PrescribeGuard.Server/PrescribeGuard.Server.csproj -c Release --no-restore -o /app \
    -p:SourceRevisionId="${SOURCE_REVISION}"

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /var/lib/prescribeguard && chown -R app:app /var/lib/prescribeguard
USER app
ENV Guard__DataDirectory=/var/lib/prescribeguard \
    Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:5080 \
    Kestrel__Endpoints__Grpc__Protocols=Http2
VOLUME /var/lib/prescribeguard
# 5080: gRPC (h2c). 9464: Prometheus metrics and /healthz, /readyz (observability work).
EXPOSE 5080 9464
# The gRPC health service is probed with the server's own client (no extra tools in the image).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["dotnet", "PrescribeGuard.Server.dll", "--health-probe", "http://127.0.0.1:5080"]
ENTRYPOINT ["dotnet", "PrescribeGuard.Server.dll"]
