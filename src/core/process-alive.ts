import { hostname } from 'node:os';

/** This machine's host name, recorded in lock files so only local holders are probed. */
export const HOST = hostname();

/** Whether a process with this id exists on this machine (EPERM means it does, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
