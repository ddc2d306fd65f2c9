import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver, { type S3rverObject, type S3rverStore } from 's3rver';

/**
 * Starts s3rver on loopback with its object writes made whole before it answers.
 *
 * s3rver 3.7 answers a PUT before its write stream has flushed (it resolves when the
 * body has been read, not written), and it rewrites the object, ETag and metadata files in
 * place: a GET right after a PUT the client saw succeed could read an empty or partial
 * object, and overlapping PUTs to one key could interleave. S3 is read-after-write
 * consistent and replaces objects atomically, so here each of those files is written
 * whole to a temporary file first and renamed into place before the PUT answers. Each
 * file is whole, not the three together: a read between the renames can pair the new
 * object with its previous ETag (stowage checks the object's own checksum, not the ETag).
 *
 * `root` holds the buckets (in `root/buckets`) and the files being written (in
 * `root/partial`, outside the buckets so a listing never meets a file that is renamed
 * away under it); the caller removes `root`.
 */
export async function startS3rver(root: string): Promise<{ server: S3rver; endpoint: string }> {
  const partial = join(root, 'partial');
  await mkdir(partial, { recursive: true });
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: join(root, 'buckets'), silent: true });
  const store = server.store;
  const writeMetadata = store.putMetadata;
  const temporaryPath = () => join(partial, randomBytes(8).toString('hex'));

  store.putObject = async (object: S3rverObject) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.byteLength;
        callback(null, chunk);
      },
    });
    const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    const temporary = temporaryPath();
    try {
      await pipeline(content, counting, createWriteStream(temporary));
      await rename(temporary, objectPath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };

  // s3rver's own metadata writer (it picks the headers S3 keeps), pointed at temporary
  // files through a view of the store whose resource paths lead there; each is then renamed
  // over the file s3rver reads. It asks for the ETag file's path even when it has no ETag
  // to write (a copy that replaces metadata), so a path it did not write is skipped.
  store.putMetadata = async (bucket, key, metadata, md5) => {
    const staged: [temporary: string, final: string][] = [];
    const staging: S3rverStore = Object.create(store, {
      getResourcePath: {
        value: (b: string, k: string, resource: string) => {
          const temporary = temporaryPath();
          staged.push([temporary, store.getResourcePath(b, k, resource)]);
          return temporary;
        },
      },
    });
    try {
      await writeMetadata.call(staging, bucket, key, metadata, md5);
      for (const [temporary, final] of staged) {
        await rename(temporary, final).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
    } finally {
      await Promise.all(staged.map(([temporary]) => rm(temporary, { force: true })));
    }
  };

  const { port } = await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}` };
}
