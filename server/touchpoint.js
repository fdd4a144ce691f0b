#!/usr/bin/env node
// The `touchpoint` command: runs the TypeScript sources through tsx, no build step.
import fs from 'node:fs';
import { register } from 'tsx/esm/api';

// A .env file in the working directory is read first; the real environment wins.
if (fs.existsSync('.env')) process.loadEnvFile('.env');

register();
await import('./cli.ts');
