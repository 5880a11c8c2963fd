import { createHook } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { delay } from './polling.js';

/** Kinds of resource that keep the event loop alive while ref'd (async_hooks type names). */
const HANDLE_TYPES = new Set([
  'Timeout',
  'Immediate',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'TLSWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'PROCESSWRAP',
  'UDPWRAP',
  'SIGNALWRAP',
  'FSEVENTWRAP',
  'STATWATCHER',
]);

/** Watches the handles opened between {@link watchHandles} and `leftOver()`. */
export interface HandleWatch {
  /**
   * Stop recording (later handles, such as the case's own polling timers, are not the
   * backend's), then poll, for up to `boundMs`, until every handle opened while watching is closed or unref'd;
   * resolve the ones still open (`"Timeout ×1"`), empty when none. Polled because sockets close
   * a tick or two after a client's `quit()` resolves. Stops watching.
   */
  leftOver(boundMs: number): Promise<string[]>;
}

/**
 * Record every handle (socket, timer, child process, ...) opened from now on, and which of them
 * close: the in-process form of "nothing keeps the process alive after close()". Counting
 * `process.getActiveResourcesInfo()` before and after cannot tell the backend's timer from one
 * of the runner's that ended meanwhile; recording what was opened can.
 */
export function watchHandles(): HandleWatch {
  const open = new Map<number, { type: string; resource: unknown }>();
  let opening = true;
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (opening && HANDLE_TYPES.has(type)) open.set(id, { type, resource });
    },
    destroy(id) {
      open.delete(id);
    },
  }).enable();
  const alive = (): string[] => {
    const counts = new Map<string, number>();
    for (const { type, resource } of open.values()) {
      const ref = (resource as { hasRef?: () => boolean } | null)?.hasRef;
      if (typeof ref === 'function' && !ref.call(resource)) continue; // unref'd: does not keep the process alive
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    return [...counts].map(([type, n]) => `${type} ×${n}`);
  };
  return {
    async leftOver(boundMs) {
      opening = false;
      const deadline = Date.now() + boundMs;
      try {
        for (;;) {
          const left = alive();
          if (left.length === 0 || Date.now() >= deadline) return left;
          await delay(25);
        }
      } finally {
        hook.disable();
      }
    },
  };
}

/** The child-process check: a module that builds the backend, and how long the child may take to exit. */
export interface ExitCheck {
  /**
   * The module that builds the backend, as plain Node (not vitest) imports it: a JavaScript
   * file (absolute, or relative to the working directory), a `file:` URL, or a package name.
   * For a TypeScript backend, point at its build output.
   */
  module: string;
  /** The export to call (no arguments, may be async) for a new backend. Default `"default"`. */
  exportName?: string;
  /** How long the child may stay alive after `close()` resolved, ms. Default 5000. */
  boundMs?: number;
}

/** How long building the backend, one write and one read may take in the child. */
const CHILD_SETUP_MS = 30_000;

const CHILD_SCRIPT = `
const { TCC_MODULE: spec, TCC_EXPORT: exportName, TCC_KIND: kind, TCC_BOUND: bound } = process.env;
const mod = await import(spec);
const make = mod[exportName];
if (typeof make !== 'function') {
  console.error('TCC-ERROR ' + exportName + ' is not a function exported by ' + spec);
  process.exit(3);
}
const backend = await make();
if (kind === 'stream') {
  const stream = 'tcc-exit-' + process.pid;
  await backend.streamAdd(stream, [['k', 'v']]);
  const read = await backend.streamRead(stream, '0', 10);
  if (read.length !== 1) { console.error('TCC-ERROR the entry added was not read back'); process.exit(3); }
} else {
  const key = 'tcc:exit:' + process.pid;
  await backend.setWithTtl(key, 'v', 60000);
  const read = await backend.get(key);
  if (read !== 'v') { console.error('TCC-ERROR the value written was not read back'); process.exit(3); }
  await backend.remove(key);
}
await backend.close?.();
console.log('TCC-CLOSED');
// Unref'd: it reports what is still open without being one more reason to stay alive.
// The child's own stdout and stderr pipes are not the backend's.
setTimeout(() => console.error('TCC-HANDLES ' + JSON.stringify(process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap'))), Number(bound) / 2).unref();
`;

/**
 * Run the exit check: a child process builds the backend, writes and reads one entry, closes
 * it, and must then exit by itself within `boundMs`. Resolves `undefined` on success, else a
 * message that says what to fix.
 */
export async function exitCheckProblem(
  check: ExitCheck,
  kind: 'cache' | 'stream',
): Promise<string | undefined> {
  const boundMs = check.boundMs ?? 5000;
  const exportName = check.exportName ?? 'default';
  const spec =
    check.module.startsWith('.') || isAbsolute(check.module)
      ? pathToFileURL(resolve(check.module)).href
      : check.module;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    env: {
      ...process.env,
      TCC_MODULE: spec,
      TCC_EXPORT: exportName,
      TCC_KIND: kind,
      TCC_BOUND: String(boundMs),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let closedAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (closedAt === undefined && stdout.includes('TCC-CLOSED')) closedAt = Date.now();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const started = Date.now();
  let code: number | null | undefined;
  for (;;) {
    code = await Promise.race([exited, delay(50).then(() => undefined)]);
    if (code !== undefined) break;
    const late =
      closedAt === undefined ? Date.now() - started > CHILD_SETUP_MS : Date.now() - closedAt > boundMs;
    if (late) {
      child.kill('SIGKILL');
      await exited;
      break;
    }
  }
  const where = `(exitCheck: ${exportName} from ${check.module})`;
  if (closedAt === undefined) {
    const error = /TCC-ERROR (.*)/.exec(stderr)?.[1] ?? lastLines(stderr);
    return code === undefined
      ? `the child process did not get to close() within ${CHILD_SETUP_MS} ms ${where}: ${error || 'no output'}`
      : `the child process failed before close() ${where}: ${error || `exit code ${code}`}`;
  }
  if (code === undefined) {
    const handles = /TCC-HANDLES (.*)/.exec(stderr)?.[1] ?? 'unknown';
    return `the process was still running ${boundMs} ms after close() resolved ${where}; still open: ${handles}. close() must end every socket, timer and child it started (or unref them)`;
  }
  if (code !== 0)
    return `the child process exited with code ${code} after close() ${where}: ${lastLines(stderr)}`;
  return undefined;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
