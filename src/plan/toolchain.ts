import * as fs from 'node:fs';
import * as path from 'node:path';
import * as semver from '../semver.js';
import { getStaticTOMLValue, type AST } from 'toml-eslint-parser';
import type { Root } from '../discover/index.js';
import type { ReleaseData } from '../family/release-data.js';
import { keyName, lookup } from '../manifest/dependencies.js';
import { nodeLocation } from '../manifest/locate.js';
import { parseToml, type Manifest, type TomlTable } from '../manifest/read.js';
import type { Finding, RewriteString, Target } from './types.js';

/** Edition 2024 needs Rust 1.85. */
const EDITION_2024_RUST = '1.85.0';

/**
 * The chosen release's minimum Rust version against the workspace's `rust-version` fields and its
 * rust-toolchain file; edition 2024 against the toolchain file. Warnings, and with --bump-rust-version,
 * format-preserving raises of the `rust-version` fields.
 */
export function toolchainFindings(root: Root, manifests: readonly Manifest[], target: Target, data: ReleaseData, bump: boolean): { findings: Finding[]; changes: RewriteString[] } {
  const findings: Finding[] = [];
  const changes: RewriteString[] = [];
  const info = target.release === null ? undefined : data.msrvInfo(target.release);
  const msrv = info?.rustVersion;
  const msrvText = msrv?.replace(/\.0$/, '');
  // A release whose own minimum no source states: the newest known earlier one, and the warning says so.
  const whose = info === undefined || info.own ? '' : ` (${target.release}'s own minimum is not in the data; ${info.rustVersion} is ${info.release}'s)`;
  if (msrv !== undefined) {
    for (const m of manifests) {
      for (const path of [['package', 'rust-version'], ['workspace', 'package', 'rust-version']]) {
        // The value first: only a field that is too low needs the syntax tree.
        const text = lookup(m.value, path);
        const have = typeof text === 'string' ? rustVersion(text) : undefined;
        if (!have || semver.gte(have, msrv)) continue;
        const node = stringNode(m, path);
        if (!node) continue;
        const loc = nodeLocation(m, node);
        if (bump) {
          changes.push({ kind: 'string', manifest: m, path, node, after: msrvText!, reasons: ['rust-version'] });
          findings.push({ level: 'note', ...loc, message: `\`rust-version\` raised from ${String(node.value)} to ${msrvText}, the minimum Rust version of wasmtime ${target.release}${whose}` });
        } else {
          findings.push({ level: 'warning', ...loc, message: `\`rust-version = "${String(node.value)}"\` is below ${msrvText}, the minimum Rust version of wasmtime ${target.release}${whose} (--bump-rust-version raises it)` });
        }
      }
    }
  }
  const toolchain = findToolchain(path.dirname(root.manifest.path));
  if (toolchain?.version) {
    if (msrv !== undefined && semver.lt(toolchain.version, msrv)) {
      findings.push({ level: 'warning', file: toolchain.file, message: `the toolchain file pins ${toolchain.channel} (Rust ${shortVersion(toolchain.version)}), below ${msrvText}, the minimum Rust version of wasmtime ${target.release}${whose}` });
    }
    const edition2024 = manifests.filter((m) => editionOf(m, root.manifest) === '2024');
    if (edition2024.length > 0 && semver.lt(toolchain.version, EDITION_2024_RUST)) {
      findings.push({
        level: 'warning',
        file: toolchain.file,
        message: `the toolchain file pins ${toolchain.channel} (Rust ${shortVersion(toolchain.version)}), but ${edition2024.length} ${edition2024.length === 1 ? 'member uses' : 'members use'} edition 2024, which needs Rust 1.85`,
      });
    }
  }
  return { findings, changes };
}

/** The string value node at a document path (`package.rust-version`), in any of TOML's spellings. */
function stringNode(m: Manifest, path: readonly string[]): AST.TOMLValue | undefined {
  if (typeof lookup(m.value, path) !== 'string') return undefined;
  for (const top of m.ast.body) {
    for (const node of top.body) {
      const kvs = node.type === 'TOMLKeyValue' ? [{ prefix: [] as (string | number)[], kv: node }] : node.body.map((kv) => ({ prefix: node.resolvedKey, kv }));
      for (const { prefix, kv } of kvs) {
        const full = [...prefix, ...kv.key.keys.map(keyName)];
        if (full.length === path.length && full.every((k, i) => k === path[i]) && kv.value.type === 'TOMLValue') return kv.value;
      }
    }
  }
  return undefined;
}

function editionOf(m: Manifest, rootManifest: Manifest): string | undefined {
  const own = lookup(m.value, ['package', 'edition']);
  if (typeof own === 'string') return own;
  if (typeof own === 'object' && own !== null && (own as Record<string, unknown>).workspace === true) {
    const ws = lookup(rootManifest.value, ['workspace', 'package', 'edition']);
    return typeof ws === 'string' ? ws : undefined;
  }
  return undefined;
}

/** `1.70` -> 1.70.0; anything else (a channel name, garbage) is not a version. */
function rustVersion(text: string): semver.SemVer | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  return m ? new semver.SemVer(`${m[1]}.${m[2]}.${m[3] ?? '0'}`) : undefined;
}

function shortVersion(v: semver.SemVer): string {
  return v.patch === 0 ? `${v.major}.${v.minor}` : v.version;
}

interface Toolchain {
  readonly file: string;
  readonly channel: string;
  /** The Rust version the channel pins, if it pins one (a nightly's date is read as the version it led to). */
  readonly version: semver.SemVer | undefined;
}

/** rustup's search: `rust-toolchain.toml` or `rust-toolchain` in the directory or the nearest ancestor. */
export function findToolchain(dir: string): Toolchain | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    for (const name of ['rust-toolchain.toml', 'rust-toolchain']) {
      const file = path.join(d, name);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const channel = channelOf(file, text);
      return channel === undefined ? undefined : { file, channel, version: channelVersion(channel) };
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function channelOf(file: string, text: string): string | undefined {
  const trimmed = text.trim();
  if (/^[\w.-]+$/.test(trimmed)) return trimmed; // the legacy one-line form
  try {
    const value = lookup(getStaticTOMLValue(parseToml(file, text)) as TomlTable, ['toolchain', 'channel']);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `1.80`, `1.80.0`, `1.80.0-x86_64-unknown-linux-gnu` pin a version; `nightly-2023-04-15` pins the version that
 * nightly became (a release every six weeks since 1.0 on 2015-05-15). `stable`, `beta`, `nightly` pin nothing.
 */
function channelVersion(channel: string): semver.SemVer | undefined {
  const v = /^(\d+\.\d+(?:\.\d+)?)/.exec(channel);
  if (v) return rustVersion(v[1]!);
  const nightly = /^(?:nightly|beta)-(\d{4})-(\d{2})-(\d{2})/.exec(channel);
  if (!nightly) return undefined;
  const days = (Date.UTC(+nightly[1]!, +nightly[2]! - 1, +nightly[3]!) - Date.UTC(2015, 4, 15)) / 86_400_000;
  return new semver.SemVer(`1.${Math.floor(days / 42) + 2}.0`);
}
