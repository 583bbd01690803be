#!/usr/bin/env node
require('../dist/ts/cli/main').main(process.argv);
