#!/usr/bin/env node
import { run } from './command.js';
import { quietOnClosedPipe, type Output } from './cli/pipe.js';

const stdout: Output = quietOnClosedPipe(process.stdout, () => stderr);
const stderr: Output = quietOnClosedPipe(process.stderr);
const io = { stdout, stderr, cwd: process.cwd(), env: process.env };
process.exitCode = await run(process.argv.slice(2), io);
