/**
 * The requirement a third-party crate declares on a family crate. The lock records none, so it is read from the
 * crate's own manifest where cargo left one on disk: the unpacked registry sources under `$CARGO_HOME`
 * (`registry/src/<index>/<name>-<version>/Cargo.toml`). Without it the crate is only named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as semver from '../semver.js';
import { dependencyEntries } from '../manifest/dependencies.js';
import { readManifest } from '../manifest/read.js';
import { parseRequirement } from '../manifest/requirement.js';
import { requirementText } from '../plan/target.js';

export interface Declared {
  readonly requirement: string;
  readonly file: string;
}

/** `$CARGO_HOME`, else `~/.cargo`, as cargo finds it. */
export function defaultCargoHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CARGO_HOME !== undefined && env.CARGO_HOME !== '' ? path.resolve(env.CARGO_HOME) : path.join(os.homedir(), '.cargo');
}

export class DeclaredRequirements {
  private sources: readonly string[] | undefined;

  /** `cargoHome` null: look nowhere (deterministic output, e.g. in tests). */
  constructor(private readonly cargoHome: string | null) {}

  /** What `name@version` declares on `dependency`, preferring a requirement that `dependencyVersion` meets. */
  lookup(name: string, version: string, dependency: string, dependencyVersion: string): Declared | undefined {
    for (const dir of this.sourceDirs()) {
      const file = path.join(dir, `${name}-${version}`, 'Cargo.toml');
      if (!fs.existsSync(file)) continue;
      let reqs: string[];
      try {
        reqs = dependencyEntries(readManifest(file))
          .filter((e) => e.table.scope === 'package' && e.package === dependency)
          .flatMap((e) => requirementText(e) ?? []);
      } catch {
        continue; // a damaged cache entry is not the user's problem here
      }
      const fits = reqs.find((r) => {
        const req = parseRequirement(r);
        return req !== undefined && semver.satisfies(dependencyVersion, req.npmRange, { includePrerelease: false });
      });
      const found = fits ?? reqs[0];
      if (found !== undefined) return { requirement: found, file };
    }
    return undefined;
  }

  private sourceDirs(): readonly string[] {
    if (this.sources === undefined) {
      const root = this.cargoHome === null ? undefined : path.join(this.cargoHome, 'registry', 'src');
      let names: string[] = [];
      try {
        names = root === undefined ? [] : fs.readdirSync(root).sort();
      } catch {
        names = [];
      }
      this.sources = names.map((n) => path.join(root!, n));
    }
    return this.sources;
  }
}
