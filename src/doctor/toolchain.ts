/**
 * The toolchain against the locked release: plan/toolchain.ts's checks (rust-version fields and the
 * rust-toolchain file against the MSRV, edition 2024 against the toolchain file).
 */
import { toolchainFindings } from '../plan/toolchain.js';
import { memberManifests } from './asks.js';
import type { RootContext } from './context.js';
import type { FamilyLine, ToolchainFinding } from './types.js';

/** toolchain.ts's checks, with the locked release as the target (the newest line when the lock holds several). */
export function toolchainChecks(ctx: RootContext, lines: readonly FamilyLine[]): ToolchainFinding[] {
  const release = lines.find((l) => l.hasWasmtime)?.release ?? lines[0]?.release ?? null;
  const manifests = [...new Map([ctx.root.manifest, ...memberManifests(ctx.root)].map((m) => [m.path, m])).values()];
  const target = { version: release ?? '', requirement: release ?? '', operator: '', origin: 'workspace' as const, release };
  return toolchainFindings(ctx.root, manifests, target, ctx.data, false).findings.map((f) => ({ kind: 'toolchain', ...f }));
}
