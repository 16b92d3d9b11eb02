# Build stage: the release binary, linked against the system libpq. Debian trixie on both
# stages: its PostgreSQL client (17) can dump and restore the compose file's PostgreSQL 16
# (`engagiert backup` runs pg_dump, which must be at least the server's major version).
FROM rust:1-trixie AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked

# Run stage: the binary, libpq and the PostgreSQL client tools (pg_dump, pg_restore) for
# `engagiert backup` and `engagiert restore`.
FROM debian:trixie-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 postgresql-client ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data engagiert && mkdir -p /data/attachments \
    && chown -R engagiert /data
COPY --from=build /src/target/release/engagiert /usr/local/bin/engagiert
USER engagiert
WORKDIR /data
ENV ENGAGIERT_BIND=0.0.0.0:8080 ENGAGIERT_LOG_FORMAT=json
EXPOSE 8080
# The binary asks its own /readyz (the image has no curl; `/bin/sh` is dash, without /dev/tcp).
# tests/api/deployment.rs runs this very line under dash.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD engagiert healthcheck
ENTRYPOINT ["engagiert"]
