# wsecho on Deno, as a container image.
#
#   docker build -t wsecho .
#   docker run --rm -p 1234:1234 wsecho            # ws://localhost:1234/
#   docker run --rm -e PORT=8080 -p 8080:8080 wsecho --debug
#
# What was verified, and how (tests/e2e/container_test.ts): base images
# cannot be pulled on our machines, so the test reads THIS file and runs
# what the image would run outside a container: the build stage's RUN
# commands and the COPY lines into a temporary root, then ENTRYPOINT + CMD
# with the ENV below, as the unprivileged user `nobody`, with the Deno the
# image pins; it echoes, honours PORT, runs the HEALTHCHECK command against
# it, and stops on STOPSIGNAL with exit code 0. `docker build` itself and
# the official image's contents were not tried here (podman cannot run
# containers in our sandbox: crun may not set RLIMIT_NPROC).

# Pinned: the Deno version the tests ran with.
ARG DENO_VERSION=2.9.6

FROM denoland/deno:${DENO_VERSION} AS build
WORKDIR /app
# package.json too: deno.lock records it, and --frozen refuses a lockfile
# that would change (its dev dependency ws, ~0.2 MiB, is fetched as well).
COPY deno.json deno.lock package.json main.ts ./
# bench/ is a workspace member that deno.lock records: its deno.json only.
COPY bench/deno.json bench/
# web/ (the page's sources) is a member too: without its deno.json, Deno
# warns at every start that a workspace member is missing.
COPY web/deno.json web/
COPY lib/ lib/
# Download the npm dependencies into DENO_DIR at build time, exactly as
# locked, so that the container needs no network access to the registry.
RUN ["deno", "install", "--frozen", "--entrypoint", "main.ts"]

FROM denoland/deno:${DENO_VERSION}
WORKDIR /app
# Owned by root and read-only to the server: it cannot alter its own code.
COPY --from=build /deno-dir/ /deno-dir/
COPY --from=build /app/ /app/
COPY deploy/container/healthcheck.sh /usr/local/bin/wsecho-healthcheck
# The official image's unprivileged user (uid 1993).
USER deno
# wsecho listens on $PORT (default 1234) on all interfaces.
ENV PORT=1234
EXPOSE 1234
# wsecho drains on SIGTERM: a 1001 close frame to every client, then exit 0
# within --shutdown-timeout (5 s by default; docker stop waits 10 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/wsecho-healthcheck"]
# The narrowest permissions: the network, and only the environment
# variables wsecho reads. No --allow-read: TLS is for the proxy in front
# (to serve wss:// here, add --allow-read=/certs and mount them there).
# --cached-only: everything was fetched in the build stage.
ENTRYPOINT ["deno", "run", "--cached-only", "--unstable-no-legacy-abort", "--allow-net", "--allow-env=PORT,WSECHO_WORKER,WSECHO_PRIMARY_PID", "main.ts"]
# Extra wsecho options go here or after the image name in `docker run`.
CMD ["--log-format", "json"]
