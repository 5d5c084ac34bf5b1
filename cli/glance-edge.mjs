#!/usr/bin/env node
// @ts-check
// The `glance-edge` command of the installed package (cli/ is the package: `npm pack ./cli`);
// bin/glance-edge.mjs is the same command inside a checkout. Run `glance-edge --help`.

import { main } from "./main.mjs";

process.exitCode = await main(process.argv.slice(2));
