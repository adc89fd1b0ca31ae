#!/usr/bin/env node
// `dwh-reject`: the bundled CLI (dist/cli.js, built by `npm run bundle`).
'use strict';
require('../dist/cli.js').main('dwh-reject', process.argv.slice(2));
