#!/usr/bin/env node
// `dwh-approvals`: the bundled CLI (dist/cli.js, built by `npm run bundle`).
'use strict';
require('../dist/cli.js').main('dwh-approvals', process.argv.slice(2));
