# One image recipe for every component of the monorepo: the workspaces share a lockfile and a
# build, so each image differs only in the entry point it runs (build arg COMPONENT).
#   docker build --build-arg COMPONENT=services/config -t call-sync/config .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages/ packages/
COPY services/ services/
COPY sandbox/ sandbox/
RUN npm ci --no-audit --no-fund \
  && node node_modules/typescript/bin/tsc -b \
  && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG COMPONENT=services/config
ENV NODE_ENV=production \
    COMPONENT=${COMPONENT}
WORKDIR /app
COPY --from=build --chown=1000:1000 /app /app
# The base image's unprivileged "node" user.
USER 1000
EXPOSE 8080
ENTRYPOINT ["/bin/sh", "-c", "exec node \"/app/${COMPONENT}/dist/main.js\" \"$@\"", "--"]
