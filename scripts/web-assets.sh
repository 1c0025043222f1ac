#!/usr/bin/env bash
# Installs the web client's npm packages (pinned in web/package.json) if
# needed and copies the guacamole-common-js bundle into the embedded assets
# (web/static/vendor/, not committed). Rebuild goguacd afterwards.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -d node_modules/guacamole-common-js ] || [ ! -d node_modules/playwright-core ]; then
	npm install --no-audit --no-fund
fi
src=node_modules/guacamole-common-js/dist/esm/guacamole-common.min.js
if [ ! -f "$src" ]; then
	echo "web-assets: $src not found; is guacamole-common-js 1.5.0 installed?" >&2
	exit 1
fi
install -m 0644 "$src" static/vendor/guacamole-common.js
echo "web-assets: copied $(wc -c <"$src") bytes of guacamole-common-js to web/static/vendor/guacamole-common.js"
