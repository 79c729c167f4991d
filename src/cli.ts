#!/usr/bin/env node
import { run } from './command.js';

const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
process.exitCode = await run(process.argv.slice(2), io);
