# One image per component, each a target of this file:
#   docker build --target config -t call-sync/config .
# targets: config, extractor, van-writer, csv-writer (the services) and sandbox (the compose demo's
# stand-ins for VAN, Airtable and Livevox). A target copies only its own folder and the workspaces
# its package.json imports, and keeps production dependencies only;
# scripts/deploy/check-image-contexts.mjs proves that from this file.
# At run time: the unprivileged "node" user, nothing written outside /tmp (a read-only root file
# system works), tini as PID 1 so SIGTERM reaches node and ends it even before its handlers exist.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY scripts/deploy/build-workspace.sh /usr/local/bin/build-workspace

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
USER 1000:1000

# The workspaces the services import (their package.json files say so; the check verifies it):
# every service needs core, platform, store and the integrations store reads configuration with.
FROM toolchain AS service-workspaces
COPY packages/core/ packages/core/
COPY packages/platform/ packages/platform/
COPY packages/integrations/ packages/integrations/
COPY packages/store/ packages/store/

FROM service-workspaces AS config-build
COPY services/config/ services/config/
RUN build-workspace services/config

FROM runtime AS config
COPY --from=config-build /app /app
# 8080: API and pages; 9464: /metrics when METRICS_PORT is set (the chart sets it).
EXPOSE 8080 9464
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--require", "@call-sync/platform/dist/instrumentation.js", "services/config/dist/main.js"]

FROM service-workspaces AS extractor-build
COPY services/extractor/ services/extractor/
RUN build-workspace services/extractor

FROM runtime AS extractor
COPY --from=extractor-build /app /app
# The CronJobs pass the command: extract (the default), archive or audit-reports.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--require", "@call-sync/platform/dist/instrumentation.js", "services/extractor/dist/main.js"]
CMD ["extract"]

FROM service-workspaces AS van-writer-build
COPY services/van-writer/ services/van-writer/
RUN build-workspace services/van-writer

FROM runtime AS van-writer
COPY --from=van-writer-build /app /app
EXPOSE 8082
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--require", "@call-sync/platform/dist/instrumentation.js", "services/van-writer/dist/main.js"]

FROM service-workspaces AS csv-writer-build
COPY services/csv-writer/ services/csv-writer/
RUN build-workspace services/csv-writer

FROM runtime AS csv-writer
COPY --from=csv-writer-build /app /app
EXPOSE 8083
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--require", "@call-sync/platform/dist/instrumentation.js", "services/csv-writer/dist/main.js"]

FROM toolchain AS sandbox-build
COPY packages/core/ packages/core/
COPY sandbox/ sandbox/
RUN build-workspace sandbox

FROM runtime AS sandbox
COPY --from=sandbox-build /app /app
EXPOSE 18081 18082 18083
ENTRYPOINT ["/usr/bin/tini", "--", "node", "sandbox/dist/main.js"]
