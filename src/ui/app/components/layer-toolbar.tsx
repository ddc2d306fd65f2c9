import type { ApiSession } from '../../api-types.ts';
import { navigate, type PageName } from '../router.ts';
import { StorePicker } from './store-picker.tsx';

/** The toolbar of a page over one layer's records: the store picker, and the prefix the layer keeps them under. */
export function LayerToolbar({
  session,
  store,
  page,
  records,
  prefix,
}: {
  session: ApiSession;
  store: number;
  page: PageName;
  records: string;
  prefix: string;
}) {
  return (
    <div class="toolbar">
      <StorePicker session={session} store={store} onPick={(id) => navigate(page, { store: id })} />
      <span class="muted">
        {records} under the prefix <code>{prefix}</code>
      </span>
    </div>
  );
}
