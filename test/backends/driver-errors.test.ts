import { describe, expect, it } from 'vitest';
import { classifyDriverError } from '../../src/backends/kit/driver-errors.ts';
import { REDIS_ERRORS } from '../../src/backends/redis.ts';
import { ConnectionError, OperationError, UnknownOutcomeError } from '../../src/index.ts';

const context = {
  backend: 'redis://127.0.0.1:6379/0',
  what: 'put',
  key: 'k',
  secrets: ['hunter2'],
  table: REDIS_ERRORS,
};

describe('driver error classification', () => {
  it('reports a command refused while disconnected as ConnectionError, even for writes (it was never sent)', () => {
    const error = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    expect(classifyDriverError(error, { ...context, write: true })).toBeInstanceOf(ConnectionError);
  });

  it('reports a write flushed after the connection broke as UnknownOutcomeError, a read as ConnectionError', () => {
    const error = Object.assign(
      new Error(
        'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
      ),
      { name: 'MaxRetriesPerRequestError' },
    );
    expect(classifyDriverError(error, { ...context, write: true })).toBeInstanceOf(UnknownOutcomeError);
    expect(classifyDriverError(error, { ...context, write: false })).toBeInstanceOf(ConnectionError);
  });

  it('keeps other failures as OperationError, with the password scrubbed and the key named', () => {
    const classified = classifyDriverError(new Error('WRONGPASS hunter2 rejected'), context);
    expect(classified).toBeInstanceOf(OperationError);
    expect(classified).not.toBeInstanceOf(ConnectionError);
    expect(String(classified)).not.toContain('hunter2');
    expect(String(classified)).toContain("'k'");
  });
});
