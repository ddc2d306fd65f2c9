import type { ApiStoreInfo } from '../../api-types.ts';
import { formatBytes } from '../../byte-count.ts';
import { apiGet } from '../api.ts';
import { GridHead } from '../components/grid-head.tsx';
import { ErrorBox, Loading } from '../components/status.tsx';
import { href } from '../router.ts';
import { useApi } from '../use-api.ts';
import type { PageProps } from './page-props.ts';

function Capabilities({ info }: { info: ApiStoreInfo }) {
  const entries = Object.entries(info.capabilities ?? {}).filter(([, v]) => v !== undefined && v !== false);
  return (
    <ul class="caps">
      {entries.map(([name, value]) => (
        <li key={name}>{value === true ? name : `${name}: ${String(value)}`}</li>
      ))}
    </ul>
  );
}

/** Stores page: each store's type, location, size, capabilities and driver. */
export function StoresPage(_props: PageProps) {
  const stores = useApi(() => apiGet<ApiStoreInfo[]>('/api/stores'), []);
  return (
    <section>
      <h1>Stores</h1>
      <ErrorBox error={stores.error} />
      <Loading when={stores.loading && !stores.data} />
      <table class="grid" data-testid="stores-table">
        <GridHead
          columns={['store', 'type', 'location', 'entries', 'bytes', 'capabilities', 'driver']}
          numeric={['entries', 'bytes']}
        />
        <tbody>
          {(stores.data ?? []).map((info) => (
            <tr key={info.id}>
              <td>
                <a href={href('keys', { store: info.id })}>{info.name}</a>
              </td>
              {info.error ? (
                <td colSpan={6} class="error">
                  {info.error}
                </td>
              ) : (
                <>
                  <td>{info.type}</td>
                  <td class="mono">{info.location}</td>
                  <td class="num">{info.entries?.toLocaleString()}</td>
                  <td class="num">{formatBytes(info.bytes)}</td>
                  <td>
                    <Capabilities info={info} />
                  </td>
                  <td>{info.driver}</td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
