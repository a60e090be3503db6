#!/usr/bin/env bash
# Runs `vercel build` offline (pinned CLI, hand-written .vercel/project.json) and checks the output:
# the Hono API, /api/health and the middleware are edge functions, and nothing else under api/
# (the Hono sources in api/_hono) became a stray function of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERCEL_VERSION=58.10.0   # newer CLIs do not install here
TOOLS="$PWD/tmp/vercel-cli"
if [[ ! -x "$TOOLS/node_modules/.bin/vercel" ]]; then
  mkdir -p "$TOOLS"
  (cd "$TOOLS" && echo '{"private":true}' >package.json && npm install --no-audit --no-fund --silent "vercel@$VERCEL_VERSION" >/dev/null 2>&1)
fi
set -a
eval "$(npx tsx scripts/generate-keys.ts)"   # throwaway values: the build must not need real secrets
UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079 UPSTASH_REDIS_REST_TOKEN=build-check
DATABASE_URL='prisma://accelerate.example/?api_key=build-check'
CLIENT_IP_SOURCE=vercel
set +a
rm -rf .vercel/output
# Without telemetry: the CLI would leave a background process trying to reach Vercel after the build.
VERCEL_TELEMETRY_DISABLED=1 "$TOOLS/node_modules/.bin/vercel" build --yes >tmp/vercel-build.log 2>&1 || { tail -40 tmp/vercel-build.log; exit 1; }

out=.vercel/output/functions
fail=0
runtime() { node -e 'console.log(require(process.argv[1]).runtime)' "$PWD/$out/$1.func/.vc-config.json"; }
for fn in 'api/v1/[[...route]]' 'api/health' 'middleware'; do
  rt=$(runtime "$fn")
  if [[ "$rt" == edge ]]; then echo "ok   $fn is an edge function"; else echo "FAIL $fn runs on '$rt', expected edge"; fail=1; fi
done
# Every function under api/ must come from a route file of the app (app/api/**/route.ts); anything else
# (such as the Hono sources in api/_hono) would be a stray function of its own.
while IFS= read -r fn; do
  rel=${fn#"$out/"}
  route=${rel%.func}; route=${route%.rsc}
  if [[ ! -f "app/$route/route.ts" ]]; then echo "FAIL stray function $rel (no app/$route/route.ts)"; fail=1; fi
done < <(find "$out/api" -name '*.func' -prune)
[[ $fail == 0 ]] && echo "vercel build: 3 edge functions, no stray api/ functions"
exit $fail
