#!/usr/bin/env node
// @ts-check
// glance-edge: upload and download VM images on a glance-edge server, in parts, with progress,
// retries, resume and checksum verification. Run `glance-edge --help`; see docs/cli.md.

import { main } from "../cli/main.mjs";

process.exitCode = await main(process.argv.slice(2));
