/**
 * `wasmtime-align doctor`: the offline `cargo tree | grep wasmtime` and `cargo tree -i wasmtime@X`, plus the
 * checks that explain a confusing build (members on different releases, a lock that breaks the family's pins,
 * a stale lock, features the locked release lacks, a toolchain below its MSRV). Reads manifests and Cargo.lock
 * only; never runs cargo.
 */
import type { Root } from '../discover/index.js';
import { discover } from '../discover/index.js';
import { embeddedReleaseData, type ReleaseData } from '../family/release-data.js';
import { rootContext, type RootContext } from './context.js';
import { DeclaredRequirements, defaultCargoHome } from './declared.js';
import { driftFindings } from './drift.js';
import { familyReport } from './family.js';
import { featureFindings } from './features.js';
import { ReleaseMap } from './releases.js';
import { toolchainChecks } from './toolchain.js';
import type { DoctorReport, NoteFinding, RootReport } from './types.js';

export type * from './types.js';
export { formatDoctor, toJson } from './format.js';

export interface DoctorOptions {
  /** The release data features and MSRVs are checked against (default: the embedded data). */
  readonly data?: ReleaseData;
  /**
   * Where to read third-party manifests for the requirement a chain's holder declares (`registry/src` below it).
   * Default `$CARGO_HOME` or `~/.cargo`; null looks nowhere, so the output depends on the inputs alone.
   */
  readonly cargoHome?: string | null;
}

/** Reads every root under `paths`; throws UserError on input cargo would reject (an unparsable lock included). */
export function doctor(paths: readonly string[], opts: DoctorOptions = {}): DoctorReport {
  const data = opts.data ?? embeddedReleaseData();
  const releases = new ReleaseMap(data);
  const declared = new DeclaredRequirements(opts.cargoHome === undefined ? defaultCargoHome() : opts.cargoHome);
  const discovery = discover(paths);
  return {
    roots: discovery.roots.map((r) => rootReport(rootContext(r, data, releases, declared), r)),
    warnings: discovery.warnings.map((w) => ({ file: w.file, message: w.message })),
  };
}

/** 1 when some root has a warning (a note alone is not a problem), else 0. */
export function doctorExitCode(report: DoctorReport): 0 | 1 {
  return report.roots.some((r) => [...r.drift, ...r.features, ...r.toolchain].some((f) => f.level === 'warning')) ? 1 : 0;
}

function rootReport(ctx: RootContext, root: Root): RootReport {
  const { family, lines } = familyReport(ctx);
  const usesFamily = ctx.asks.length > 0 || family.length > 0;
  return {
    manifest: root.manifest.path,
    kind: root.kind,
    members: [...ctx.members.values()].map((m) => m.path),
    lock: ctx.lock?.file ?? null,
    lockVersion: ctx.lock?.version ?? null,
    family,
    lines,
    drift: driftFindings(ctx),
    features: featureFindings(ctx),
    toolchain: usesFamily ? toolchainChecks(ctx, lines) : [],
    notes: lockNotes(ctx, usesFamily),
    usesFamily,
  };
}

function lockNotes(ctx: RootContext, usesFamily: boolean): NoteFinding[] {
  if (!ctx.lock) {
    return usesFamily ? [{ kind: 'note', level: 'note', file: ctx.root.manifest.path, message: 'no Cargo.lock next to this manifest: only the manifests were checked' }] : [];
  }
  return ctx.lock.unresolved.map((u) => ({
    kind: 'note',
    level: 'note',
    file: ctx.lock!.file,
    ...(u.line !== null ? { line: u.line, column: u.column! } : {}),
    message: `dependency \`${u.dependency}\` of ${u.package} names no single package of the lock; cargo ignores it`,
  }));
}
