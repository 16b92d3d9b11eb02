# Build stage: the release binary, linked against the system libpq.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked

# Run stage: the binary, libpq and nothing else.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data engagiert && mkdir -p /data \
    && chown engagiert /data
COPY --from=build /src/target/release/engagiert /usr/local/bin/engagiert
USER engagiert
WORKDIR /data
ENV ENGAGIERT_BIND=0.0.0.0:8080 ENGAGIERT_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["engagiert"]
