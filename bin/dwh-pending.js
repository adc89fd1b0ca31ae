#!/usr/bin/env node
// `dwh-pending`: the bundled CLI (dist/cli.js, built by `npm run bundle`).
'use strict';
require('../dist/cli.js').main('dwh-pending', process.argv.slice(2));
