import { useEffect, useState } from 'preact/hooks';
import type { ApiEntry, ApiMeta } from '../../api-types.ts';
import { formatBytes } from '../../byte-count.ts';
import { ApiFailure, apiGet, apiSend, apiUrl } from '../api.ts';
import { HexView } from '../components/hex-view.tsx';
import { JsonTree } from '../components/json-tree.tsx';
import { Select } from '../components/select.tsx';
import { ErrorBox, Loading } from '../components/status.tsx';
import { formatTime } from '../format.ts';
import { href, navigate } from '../router.ts';
import { useApi } from '../use-api.ts';
import type { PageProps } from './page-props.ts';

const CODECS = ['auto', 'json', 'msgpack', 'text', 'hex'];
const COMPRESSIONS = ['auto', 'none', 'gzip', 'brotli', 'zstd'];

function conflictMessage(error: unknown): string {
  if (error instanceof ApiFailure && error.status === 409) {
    return `Not saved: the entry changed since this page loaded it (${error.message}). Reload to see the current version.`;
  }
  return (error as Error).message;
}

function MetaTable({ meta }: { meta: ApiMeta }) {
  return (
    <table class="meta" data-testid="entry-meta">
      <tbody>
        <tr>
          <th>etag</th>
          <td class="mono" data-testid="etag">
            {meta.etag}
          </td>
        </tr>
        <tr>
          <th>size</th>
          <td>
            {formatBytes(meta.size)} ({meta.size.toLocaleString()} bytes)
          </td>
        </tr>
        <tr>
          <th>created</th>
          <td>{formatTime(meta.createdAt)}</td>
        </tr>
        <tr>
          <th>modified</th>
          <td>{formatTime(meta.modifiedAt)}</td>
        </tr>
        <tr>
          <th>checksum</th>
          <td class="mono">crc32 {meta.checksum.toString(16).padStart(8, '0')}</td>
        </tr>
        <tr>
          <th>attrs</th>
          <td>
            <pre class="attrs" data-testid="attrs">
              {JSON.stringify(meta.attrs, null, 2)}
            </pre>
          </td>
        </tr>
      </tbody>
    </table>
  );
}

function AttrEditor({
  entry,
  onSaved,
  params,
}: {
  entry: ApiEntry;
  onSaved: () => void;
  params: Record<string, string | number>;
}) {
  const [text, setText] = useState(JSON.stringify(entry.meta.attrs, null, 2));
  const [message, setMessage] = useState<string>();
  useEffect(() => setText(JSON.stringify(entry.meta.attrs, null, 2)), [entry.meta.etag]);
  const save = async () => {
    let attrs: unknown;
    try {
      attrs = JSON.parse(text);
    } catch {
      setMessage('The attributes must be a JSON object');
      return;
    }
    try {
      await apiSend('POST', '/api/entry/attrs', params, { body: { attrs }, ifMatch: entry.meta.etag });
      setMessage(undefined);
      onSaved();
    } catch (error) {
      setMessage(conflictMessage(error));
    }
  };
  return (
    <div class="panel">
      <h3>Edit attributes</h3>
      <textarea
        data-testid="attrs-editor"
        rows={6}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <div>
        <button type="button" data-testid="save-attrs" onClick={save}>
          Save (if the ETag is still {entry.meta.etag.slice(0, 12)})
        </button>
      </div>
      <ErrorBox error={message} />
    </div>
  );
}

function DeleteButton({
  entry,
  params,
  store,
}: {
  entry: ApiEntry;
  params: Record<string, string | number>;
  store: number;
}) {
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string>();
  const parent = entry.key.split('/').slice(0, -1).join('/');
  const remove = async () => {
    try {
      await apiSend('DELETE', '/api/entry', params, { ifMatch: entry.meta.etag });
      navigate('keys', { store, prefix: parent });
    } catch (error) {
      setConfirming(false);
      setMessage(conflictMessage(error));
    }
  };
  return (
    <div class="panel">
      {confirming ? (
        <p role="alertdialog">
          Delete <strong>{entry.key}</strong>? This cannot be undone.{' '}
          <button type="button" class="danger" data-testid="confirm-delete" onClick={remove}>
            Delete
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </p>
      ) : (
        <button type="button" class="danger" data-testid="delete" onClick={() => setConfirming(true)}>
          Delete entry…
        </button>
      )}
      <ErrorBox error={message} />
    </div>
  );
}

/** Entry page: metadata, the value decoded by its codec, its raw download and, with --write, attribute edits and delete. */
export function EntryPage({ params, session, store }: PageProps) {
  const key = params.get('key') ?? '';
  const [codec, setCodec] = useState('auto');
  const [compression, setCompression] = useState('auto');
  const entry = useApi(
    () => apiGet<ApiEntry>('/api/entry', { store, key, codec, compression }),
    [store, key, codec, compression],
  );
  const parent = key.split('/').slice(0, -1).join('/');
  const data = entry.data;
  const keyParams = { store, key };
  return (
    <section>
      <p>
        <a href={href('keys', { store, prefix: parent })}>← {parent === '' ? '(root)' : parent}</a>
      </p>
      <h1 class="mono" data-testid="entry-key">
        {key}
      </h1>
      <ErrorBox error={entry.error} />
      <Loading when={entry.loading && !data} />
      {data ? (
        <>
          <MetaTable meta={data.meta} />
          <div class="toolbar">
            <Select label="Decode as" value={codec} options={CODECS} onChange={setCodec} testId="codec" />
            <Select label="Compression" value={compression} options={COMPRESSIONS} onChange={setCompression} />
            <span class="badge" data-testid="decoded-codec">
              {data.decoded.codec}
              {data.decoded.guessed ? ' (guessed)' : ''}
            </span>
            <a class="button" data-testid="download" href={apiUrl('/api/entry/raw', keyParams)} download>
              Download raw value
            </a>
          </div>
          <ErrorBox error={data.decoded.error} />
          <div class="value" data-testid="value">
            {data.decoded.tree ? <JsonTree node={data.decoded.tree} /> : null}
            {data.decoded.text !== undefined ? <pre class="text-value">{data.decoded.text}</pre> : null}
            {data.decoded.hex !== undefined ? (
              <HexView hex={data.decoded.hex} truncated={data.decoded.truncated} total={data.meta.size} />
            ) : null}
          </div>
          {session.write ? (
            <>
              <AttrEditor entry={data} onSaved={entry.reload} params={keyParams} />
              <DeleteButton entry={data} params={keyParams} store={store} />
            </>
          ) : (
            <p class="muted" data-testid="read-only-note">
              Read-only: start with --write to edit attributes or delete.
            </p>
          )}
        </>
      ) : null}
    </section>
  );
}
