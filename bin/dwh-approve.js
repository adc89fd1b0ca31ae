#!/usr/bin/env node
// `dwh-approve`: the bundled CLI (dist/cli.js, built by `npm run bundle`).
'use strict';
require('../dist/cli.js').main('dwh-approve', process.argv.slice(2));
