# rosterd's image. Build: docker build -t rosterd:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
# Two stages: the build stage has the compilers (better-sqlite3, the SQLite driver, is compiled from source
# here) and the dev dependencies (TypeScript); the runtime stage gets only the production node_modules,
# dist/, bin/ and schemas/ on a slim Node.js LTS image, running as a numeric non-root user with nothing to
# write outside its volumes.
# WHY Node 22 and not 24 (the active LTS): better-sqlite3 12 aborts on Node 24 ("Assertion failed: (env) !=
# nullptr" in RemoveEnvironmentCleanupHook, from its Statement finalizer); `rosterd run` died at start in 6 of
# 8 tries on 24 and 0 of 10 on 22. better-sqlite3 13 fixes it but needs Node >= 22 everywhere, dev machines
# included. Move both FROM lines to 24 together with better-sqlite3 13 (and scripts/node-lts, which CI tests on).
# scripts/check-image.sh reproduces the install and start steps on a host without a container engine.

FROM node:22-bookworm AS build
WORKDIR /src
# Compile the native module here instead of downloading a prebuilt binary: the result is built for exactly
# this Node.js and this glibc (bookworm, the same as the runtime stage).
ENV npm_config_build_from_source=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY daemon ./daemon
RUN npx tsc -p tsconfig.build.json \
    && npm prune --omit=dev --no-audit --no-fund \
    && node bin/rosterd.js --version

FROM node:22-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="rosterd" \
      org.opencontainers.image.description="Syncs school rosters from a SIS over OneRoster into a Hāpara-style classroom platform; config as code" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:22-bookworm-slim"
ENV NODE_ENV=production \
    ROSTERD_CONFIG=/etc/rosterd/oneroster.yaml
WORKDIR /app
# Owned by root and not writable by the runtime user: the app cannot change itself.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/schemas ./schemas
# The only places rosterd writes (the store and exports) or reads secrets from; Kubernetes mounts volumes here.
RUN mkdir -p /var/lib/rosterd /etc/rosterd /var/run/secrets/rosterd \
    && chown 1000:1000 /var/lib/rosterd \
    && ln -s /app/bin/rosterd.js /usr/local/bin/rosterd
VOLUME ["/var/lib/rosterd"]
# The node image's "node" user, by number so Kubernetes can enforce runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# Exec form, no shell: node is PID 1 and receives SIGTERM itself (rosterd then finishes or rolls back
# running syncs within daemon.shutdownGraceSeconds and exits 0).
ENTRYPOINT ["node", "/app/bin/rosterd.js"]
CMD ["run"]
