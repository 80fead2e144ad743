import fs from 'node:fs';

/** What the deployment test runs of a systemd service unit (deploy/systemd/*.service). */
export interface ServiceUnit {
  /** `ExecStart=`, split into words. */
  execStart: string[];
  /** `Environment=`, every assignment. */
  environment: Record<string, string>;
  /** `EnvironmentFile=` paths. */
  environmentFiles: string[];
  workingDirectory: string | undefined;
  stateDirectory: string | undefined;
}

/** Strips one pair of double quotes around a value, as systemd does. */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}

/**
 * Reads a unit's `[Service]` section, `%i` replaced by `instance` (a template unit such as
 * `portal-web@.service`); only the plain forms this project's units use (no quoting inside
 * words, no line continuations).
 */
export function readServiceUnit(file: string, instance?: string): ServiceUnit {
  const unit: ServiceUnit = {
    execStart: [],
    environment: {},
    environmentFiles: [],
    workingDirectory: undefined,
    stateDirectory: undefined,
  };
  let section = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    if (line.endsWith('\\')) throw new Error(`${file}: line continuations are not read: ${line}`);
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll('%i', instance ?? '%i');
    if (value.includes('%i')) throw new Error(`${file} is a template: name its instance`);
    if (key === 'ExecStart') unit.execStart = value.split(/\s+/);
    else if (key === 'EnvironmentFile') unit.environmentFiles.push(value);
    else if (key === 'WorkingDirectory') unit.workingDirectory = value;
    else if (key === 'StateDirectory') unit.stateDirectory = value;
    else if (key === 'Environment') {
      for (const assignment of value.split(/\s+/)) {
        const at = assignment.indexOf('=');
        unit.environment[assignment.slice(0, at)] = unquote(assignment.slice(at + 1));
      }
    }
  }
  return unit;
}

/** Reads an `EnvironmentFile=` (`KEY=value` lines, `#` comments, values maybe in quotes). */
export function readEnvironmentFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`${file}: not KEY=value: ${line}`);
    env[match[1]!] = unquote(match[2]!);
  }
  return env;
}
