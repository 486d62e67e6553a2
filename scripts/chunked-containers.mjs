#!/usr/bin/env node
// Command-line entry point: loads the TypeScript command line through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
