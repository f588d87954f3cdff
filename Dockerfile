# One image for every process: the command is shardtrack-frontend, shardtrack-shard or
# shardtrack-node; shardtrack-dfile (import, inspect, export, retire) and shardtrack-curve-keys
# run in it against the data volume (`docker-compose run --rm shard0 shardtrack-dfile ...`).
# Dependencies come from scripts/install-deps, the same script the README's set-up runs.
#   docker build -t shardtrack .

FROM debian:12-slim AS build
COPY scripts/install-deps /src/scripts/install-deps
RUN /src/scripts/install-deps --build && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
 && cmake --build /build --parallel "$(nproc)" \
    --target shardtrack-frontend shardtrack-shard shardtrack-node shardtrack-curve-keys \
      shardtrack-dfile \
 && strip --strip-debug /build/bin/shardtrack-frontend /build/bin/shardtrack-shard /build/bin/shardtrack-node \
    /build/bin/shardtrack-curve-keys /build/bin/shardtrack-dfile

FROM debian:12-slim
COPY scripts/install-deps /usr/local/lib/shardtrack/install-deps
RUN /usr/local/lib/shardtrack/install-deps --runtime && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 shardtrack \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin shardtrack \
 && mkdir -p /data && chown shardtrack:shardtrack /data
COPY --from=build /build/bin/shardtrack-frontend /build/bin/shardtrack-shard /build/bin/shardtrack-node \
    /build/bin/shardtrack-curve-keys /build/bin/shardtrack-dfile /usr/local/bin/
USER shardtrack
WORKDIR /data
VOLUME /data
# 6969: HTTP (frontend). 7000: ZeroMQ (shard). 9100: metrics and health (shard).
EXPOSE 6969 7000 9100
CMD ["shardtrack-frontend", "--help"]
