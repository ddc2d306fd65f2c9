// s3rver ships no types; the tests use only this much of it.
declare module 's3rver' {
  import type { Readable } from 'node:stream';

  /** An object as s3rver's controllers hand it to the store. */
  export interface S3rverObject {
    bucket: string;
    key: string;
    content: Buffer | Readable;
    metadata: Record<string, string>;
  }

  /** The filesystem store behind s3rver (lib/stores/filesystem.js). */
  export interface S3rverStore {
    getResourcePath(bucket: string, key: string, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
    putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  }

  export default class S3rver {
    constructor(options: { port?: number; address?: string; directory: string; silent?: boolean });
    readonly store: S3rverStore;
    run(): Promise<{ port: number; address: string }>;
    close(): Promise<void>;
  }
}
