#!/bin/sh
# Runs inside an image build (see Dockerfile): compiles one workspace and the workspaces it
# references, then leaves only what runs — compiled output and production dependencies.
#   build-workspace services/config
set -eu
dir="$1"
name=$(node -p "require('./$dir/package.json').name")

# The root's devDependencies hold the compiler and @types/node.
npm ci --no-audit --no-fund --ignore-scripts -w "$name" --include-workspace-root
node node_modules/typescript/bin/tsc -b "$dir"

# Again from the lockfile, production dependencies of this workspace only (the workspaces it
# imports are linked, not copied). No install scripts run: none of them is needed at run time.
rm -rf node_modules
npm ci --no-audit --no-fund --ignore-scripts --omit=dev -w "$name" --include-workspace-root=false
for ws in packages/* services/* sandbox; do
  if [ -d "$ws" ]; then rm -rf "$ws/src" "$ws/test" "$ws"/tsconfig*.json "$ws"/*.md; fi
done
find . -name '*.tsbuildinfo' -delete
rm -f tsconfig.base.json
npm cache clean --force 2>/dev/null
