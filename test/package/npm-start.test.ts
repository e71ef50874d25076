/**
 * The quick start's `npm start` under a process manager: SIGTERM (or SIGINT)
 * to the npm process stops the server with exit 0 and leaves no process
 * behind (the script execs node, so the signal reaches the server itself
 * rather than a shell that would die and orphan it).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../helpers/start-server.ts';
import { alive, waitUntil } from '../helpers/latch.ts';

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to the npm process: exit 0, no orphan server`, async () => {
      const home = mkdtempSync(path.join(os.tmpdir(), 'lib-chan-npm-start-'));
      const npm = spawn('npm', ['start', '--silent', '--', '--port', '0', '--json'], {
        cwd: REPO,
        env: { ...process.env, HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const waiters = new Set<() => void>();
      const lines: string[] = [];
      let stderr = '';
      let exit: { code: number | null; signal: string | null } | undefined;
      npm.stdout!.setEncoding('utf8').on('data', (c: string) => {
        lines.push(...c.split('\n').filter(Boolean));
        waiters.forEach((w) => w());
      });
      npm.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      npm.once('exit', (code, sig) => {
        exit = { code, signal: sig };
        waiters.forEach((w) => w());
      });
      try {
        const loaded = await waitUntil(waiters, () => lines.find((l) => l.includes('"configLoaded"')), {
          what: 'configLoaded',
          ms: 30_000,
          exited: () => exit !== undefined,
          name: 'npm start',
          describe: () => `${lines.join('\n')}\n${stderr}`,
        });
        const serverPid = (JSON.parse(loaded) as { pid: number }).pid;
        assert.ok(alive(serverPid));
        npm.kill(signal);
        const done = await waitUntil(waiters, () => exit, { what: 'exit', ms: 30_000, exited: () => false, name: 'npm start', describe: () => stderr });
        assert.deepEqual(done, { code: 0, signal: null }, stderr);
        assert.ok(
          lines.some((l) => l.includes('"stopped"')),
          'the server logged its stop',
        );
        assert.equal(alive(serverPid), false, `server pid ${serverPid} is gone`);
      } finally {
        if (exit === undefined) npm.kill('SIGKILL');
        rmSync(home, { recursive: true, force: true });
      }
    });
  }
});
