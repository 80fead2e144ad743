import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Debian's nginx (`apt-get install nginx`), or undefined when it is not installed. */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((d) => path.join(d, 'nginx')).find((f) => fs.existsSync(f));
}

/**
 * The site file with this machine's values in place of the shipped ones: each `[from, to]`
 * must occur in it exactly `times` (default 1), so an edit of the file that this would silently
 * miss fails instead.
 */
export function substitute(
  text: string,
  replacements: { from: string; to: string; times?: number }[],
): string {
  let out = text;
  for (const { from, to, times = 1 } of replacements) {
    const found = out.split(from).length - 1;
    if (found !== times) {
      throw new Error(`expected "${from}" ${times} time(s) in the nginx site file, found ${found}`);
    }
    out = out.replaceAll(from, to);
  }
  return out;
}

/** A self-signed certificate for 127.0.0.1 (openssl), as `cert.pem` and `key.pem` in `dir`. */
export function makeCertificate(dir: string): { cert: string; key: string; pem: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert, key, pem: fs.readFileSync(cert, 'utf8') };
}

export interface NginxProcess {
  child: ChildProcess;
  /** What nginx wrote to stderr, and its access log (with each answer's upstream). */
  log(): string;
  /** Fast shutdown (SIGTERM); the master and its worker are killed if not ended in 5 s. */
  stop(): Promise<void>;
  /** Kills the master and its worker at once (for an exit handler: synchronous). */
  kill(): void;
}

/** The processes whose parent is `pid` (nginx's worker), from /proc. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid)
        found.push(Number(entry));
    } catch {
      // Ended meanwhile.
    }
  }
  return found;
}

/** Someone accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The uid and gid of an unprivileged account for nginx when the test runs as root. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['www-data', 'nobody']) {
    const entry = passwd.find((l) => l.startsWith(`${name}:`))?.split(':');
    if (entry) return { uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error('no unprivileged account (www-data, nobody) to run nginx as');
}

/**
 * Runs nginx in the foreground as a child of the test, never the system's service: a main
 * configuration of its own in `dir` (temporary files and logs there too) that includes `site`
 * (the http-block contents an operator puts in sites-available) and adds one response header,
 * `X-Upstream`, naming the web process that answered. As root, nginx runs as www-data (or
 * nobody), and `dir` is given to that account. Waits until `port` accepts connections.
 */
export async function startNginx(options: {
  binary: string;
  dir: string;
  site: string;
  port: number;
}): Promise<NginxProcess> {
  const { binary, dir, site, port } = options;
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  }
  fs.writeFileSync(path.join(dir, 'portal.conf'), site);
  // Debian's /etc/nginx/nginx.conf http block, minus its logs and includes, plus the header.
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
events {
    worker_connections 256;
}
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    gzip on;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    log_format upstream '$remote_addr "$request" $status $body_bytes_sent upstream=$upstream_addr $request_time s';
    access_log ${dir}/access.log upstream;
    # The test's one addition to the site file: which web process answered.
    add_header X-Upstream $upstream_addr always;
    include ${dir}/portal.conf;
}
`,
  );
  const account = unprivileged();
  if (account) {
    for (const entry of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      fs.chownSync(path.join(dir, entry), account.uid, account.gid);
    }
    fs.chownSync(dir, account.uid, account.gid);
  }
  let output = '';
  const child = spawn(
    binary,
    [
      '-e',
      'stderr',
      '-p',
      dir,
      '-c',
      path.join(dir, 'nginx.conf'),
      '-g',
      `daemon off; pid ${dir}/nginx.pid; error_log stderr;`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...account },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => {
    const access = path.join(dir, 'access.log');
    return `${output}${fs.existsSync(access) ? `\naccess log:\n${fs.readFileSync(access, 'utf8')}` : ''}`;
  };
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // The master and its worker, which would outlive a killed master.
    for (const pid of [...childrenOf(child.pid!), child.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  const until = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
      kill();
      throw new Error(`nginx did not start: ${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    log,
    kill,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const ended = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
      ]);
      if (!ended) kill();
    },
  };
}
